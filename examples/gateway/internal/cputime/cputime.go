// Package cputime reads the CPU time of the process, for the benchmarks
// that report CPU per message (ReportMetric "cpu-us/msg"): with embedded
// NATS servers or Pebble's background work in the process, wall time per
// operation says little about cost.
package cputime
