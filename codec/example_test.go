package codec_test

import (
	"bytes"
	"fmt"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
)

// A batch of PDUs appended to one buffer leaves in one write; a Reader reads
// them back one frame at a time, checking each command_length before reading
// its body.
func Example() {
	var buf []byte
	buf, _ = pdu.AppendPDU(buf, 1, pdu.ESME_ROK, &pdu.EnquireLink{})
	buf, _ = pdu.AppendPDU(buf, 2, pdu.ESME_ROK, &pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte("hi")})
	buf, _ = pdu.AppendPDU(buf, 2, pdu.ESME_RTHROTTLED, &pdu.SubmitSMResp{}) // an error response: header only

	var conn bytes.Buffer // stands for a net.Conn
	conn.Write(buf)

	r := codec.NewReader(&conn, 0)
	for {
		f, err := r.Read()
		if err != nil {
			break // io.EOF
		}
		fmt.Printf("%s seq=%d status=%s length=%d\n", f.ID, f.Sequence, f.Status.String(), f.Length)
	}
	// Output:
	// enquire_link seq=1 status=ESME_ROK length=16
	// submit_sm seq=2 status=ESME_ROK length=47
	// submit_sm_resp seq=2 status=ESME_RTHROTTLED length=16
}
