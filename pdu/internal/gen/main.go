// Command gen writes zpdu.go, the encoders and decoders of the PDU bodies of
// package pdu, from the table bodies.txt (see package bodygen). Run it with
// go generate ./pdu; TestGeneratedIsFresh fails when zpdu.go is stale.
package main

import (
	"flag"
	"log"
	"os"

	"github.com/esmsafrica/smpp/pdu/internal/bodygen"
)

func main() {
	table := flag.String("table", "bodies.txt", "the table of PDU bodies")
	dir := flag.String("dir", ".", "the directory of package pdu, whose structs the table must match")
	out := flag.String("out", bodygen.Output, "output file")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gen: ")

	src, err := os.ReadFile(*table)
	if err != nil {
		log.Fatal(err)
	}
	code, err := bodygen.Generate(src, *dir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		log.Fatal(err)
	}
}
