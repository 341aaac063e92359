// Package bench holds benchmarks that compare this module with other SMPP
// libraries. It is a separate module so that a library user never downloads them.
package bench
