package pdu_test

import (
	"fmt"

	"github.com/esmsafrica/smpp/pdu"
)

// An SMSC refusing a bind can send its system_id with the status, for ESMEs
// that read it from every bind_resp (gosmpp reports EOF without it).
func ExampleBindResp_bodyOnError() {
	refusal := &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "SMSC", BodyOnError: true}
	out, err := pdu.AppendPDU(nil, 3, pdu.ESME_RINVPASWD, refusal)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", out)

	refusal.BodyOnError = false // the default: header only
	out, _ = pdu.AppendPDU(nil, 3, pdu.ESME_RINVPASWD, refusal)
	fmt.Printf("% x\n", out)
	// Output:
	// 00 00 00 15 80 00 00 09 00 00 00 0e 00 00 00 03 53 4d 53 43 00
	// 00 00 00 10 80 00 00 09 00 00 00 0e 00 00 00 03
}
