package pdu_test

import (
	"fmt"

	"github.com/esmsafrica/smpp/pdu"
)

// A server reads requests leniently, so as not to drop a peer over a field a
// little too long, then checks them against the 3.4 limits before accepting
// one it must forward: Validate answers as AppendBinary would, without
// encoding the body.
func ExampleSubmitSM_Validate() {
	body := []byte("\x00\x01\x011234\x00\x01\x014915550000123456789012\x00" + // a 22-digit destination_addr
		"\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02hi")
	var sm pdu.SubmitSM
	if err := (pdu.DecodeOptions{Lenient: true}).Unmarshal(&sm, body); err != nil {
		panic(err)
	}
	err := sm.Validate()
	fmt.Println(pdu.StatusOf(err).String())
	fmt.Println(err)

	sm.DestinationAddr = "4915550000"
	fmt.Println(sm.Validate())
	// Output:
	// ESME_RINVDSTADR
	// smpp: submit_sm.destination_addr: field longer than the spec allows (ESME_RINVDSTADR)
	// <nil>
}

// An SMSC checks a request's values after its sizes, before it stores or
// answers anything: AppendBinary writes a priority_flag of 4, but SMPP 3.4
// allows 0–3.
func ExampleSubmitSM_CheckValues() {
	sm := &pdu.SubmitSM{DestinationAddr: "4915550000", PriorityFlag: 4, ShortMessage: []byte("hi")}
	fmt.Println(sm.Validate())
	err := sm.CheckValues()
	fmt.Println(pdu.StatusOf(err).String())
	fmt.Println(err)
	// Output:
	// <nil>
	// ESME_RINVPRTFLG
	// smpp: submit_sm.priority_flag: field value not allowed (ESME_RINVPRTFLG)
}
