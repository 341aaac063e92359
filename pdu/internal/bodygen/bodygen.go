// Package bodygen turns the table of SMPP PDU bodies (pdu/bodies.txt) into
// the encoders and decoders of package pdu (zpdu.go). The command
// pdu/internal/gen runs it for go generate; the tests of package pdu run it
// into memory to tell when zpdu.go is stale.
//
// Before writing anything it checks the table against the hand-written
// structs of package pdu: every field of the table must be a field of the
// struct, in the same order and of a Go type that fits its wire type, and the
// struct must have no other field. So the table, the structs and the
// generated code cannot drift apart without the generator or the compiler
// saying so.
package bodygen

import (
	"fmt"
	"go/format"
)

// Output is the name of the generated file; the structs are read from every
// other non-test Go file of the package.
const Output = "zpdu.go"

// Generate parses table, checks it against the structs of the Go package in
// dir, and returns the formatted source of zpdu.go.
func Generate(table []byte, dir string) ([]byte, error) {
	bodies, err := parse(table)
	if err != nil {
		return nil, err
	}
	pkg, err := readPackage(dir)
	if err != nil {
		return nil, err
	}
	if err := check(bodies, pkg); err != nil {
		return nil, err
	}
	g := &gen{pkg: pkg}
	g.file(bodies)
	out, err := format.Source(g.buf.Bytes())
	if err != nil {
		return g.buf.Bytes(), fmt.Errorf("bodygen: formatting the generated code: %v", err)
	}
	return out, nil
}
