package pdu_test

import (
	"errors"
	"fmt"

	"github.com/esmsafrica/smpp/pdu"
)

func ExampleAppendPDU() {
	sm := &pdu.SubmitSM{
		SourceAddrTON:      5, // alphanumeric
		SourceAddr:         "MyBrand",
		DestAddrTON:        1, // international
		DestAddrNPI:        1, // E.164
		DestinationAddr:    "4915550000",
		RegisteredDelivery: 1, // ask for a receipt
		ShortMessage:       []byte("Hi"),
	}
	buf := make([]byte, 0, 256) // reuse it for the next PDU
	buf, err := pdu.AppendPDU(buf, 1, pdu.ESME_ROK, sm)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", buf[:16])
	fmt.Printf("%q\n", buf[16:])
	// Output:
	// 00 00 00 34 00 00 00 04 00 00 00 00 00 00 00 01
	// "\x00\x05\x00MyBrand\x00\x01\x014915550000\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02Hi"
}

func ExampleParseReceipt() {
	text := []byte("id:5A3F0001 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 Text:Hello: world")
	var r pdu.Receipt
	if err := pdu.ParseReceipt(text, &r); err != nil {
		panic(err)
	}
	fmt.Println(r.ID, r.State, r.Err, r.DoneDate.Format("2006-01-02 15:04"), r.Text)
	// The submit_sm_resp said 1514078209: the same message, written in decimal.
	fmt.Println(pdu.MessageIDEqual(r.ID, "1514078209"))
	kept := r.Clone() // r aliases text; keep a copy beyond it
	fmt.Println(kept.Stat)
	// Output:
	// 5A3F0001 DELIVERED 000 2025-01-01 12:01 Hello: world
	// true
	// DELIVRD
}

func ExampleStatus_errorsIs() {
	// A decoded body whose source_addr is too long yields a *FieldError that
	// matches the status a server answers with.
	frame := []byte{0, 0, 0, 0x30, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 1}
	frame = append(frame, "123456789012345678901234"...)
	frame = append(frame, 0)
	frame[3] = byte(len(frame))
	_, _, err := pdu.Decode(frame, pdu.DecodeOptions{})
	fmt.Println(errors.Is(err, pdu.ESME_RINVSRCADR), pdu.StatusOf(err).String())

	// A response status is an error too.
	var resp error = pdu.ESME_RTHROTTLED
	wrapped := fmt.Errorf("submit: %w", resp)
	fmt.Println(errors.Is(wrapped, pdu.ESME_RTHROTTLED), pdu.ESME_RTHROTTLED.Temporary())
	// Output:
	// true ESME_RINVSRCADR
	// true true
}
