package pdu_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/pdu"
)

// An SMSC refusing a bind can send its system_id with the status, for ESMEs
// that read it from every bind_transceiver_resp (gosmpp reports EOF without
// it).
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

// An SMSC reports a delivery to the ESME that submitted the message.
func ExampleNewReceiptDeliverSM() {
	sm := &pdu.SubmitSM{SourceAddrTON: 5, SourceAddr: "MyBrand", DestAddrTON: 1, DestAddrNPI: 1,
		DestinationAddr: "254700000001", RegisteredDelivery: 1, ShortMessage: []byte("Your code is 1234")}
	text, _ := sm.Text()
	submitted := time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)
	d := pdu.NewReceiptDeliverSM(sm, &pdu.Receipt{
		ID:         "5a3f0001", // what submit_sm_resp said
		State:      pdu.StateDelivered,
		SubmitDate: submitted,
		DoneDate:   submitted.Add(time.Minute),
		Text:       text, // cut to 20 characters
	})
	fmt.Println(d.SourceAddr, "->", d.DestinationAddr, "esm_class", d.ESMClass)
	fmt.Println(string(d.ShortMessage))
	id, _ := d.TLVs.ReceiptedMessageID()
	state, _ := d.TLVs.MessageState()
	fmt.Println(string(id), pdu.MessageState(state))
	// Output:
	// 254700000001 -> MyBrand esm_class 4
	// id:5a3f0001 sub:001 dlvrd:001 submit date:2501020304 done date:2501020305 stat:DELIVRD err:000 text:Your code is 1234
	// 5a3f0001 DELIVERED
}

// The text of a message segment: the UDH is stripped, the UCS-2 decoded.
func ExampleSubmitSM_Text() {
	sm := &pdu.SubmitSM{
		ESMClass:   0x40, // UDHI
		DataCoding: 0x08, // UCS-2
		ShortMessage: []byte{
			0x05, 0x00, 0x03, 0x2A, 0x02, 0x01, // concatenation: ref 42, part 1 of 2
			0x00, 'H', 0x00, 'i', 0x00, ' ', 0xD8, 0x3D, 0xDC, 0x4B, // "Hi 👋"
		},
	}
	text, err := sm.Text()
	fmt.Printf("%q %v\n", text, err)

	sm.DataCoding = 0x04 // binary: no text
	_, err = sm.Text()
	fmt.Println(errors.Is(err, encoding.ErrAlphabet))
	// Output:
	// "Hi 👋" <nil>
	// true
}
