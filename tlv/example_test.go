package tlv_test

import (
	"fmt"

	"github.com/esmsafrica/smpp/tlv"
)

// Optional parameters are an ordered list; typed helpers read and write the
// common ones, and unknown tags survive a round trip.
func Example() {
	var l tlv.List
	l.SetSAR(tlv.SAR{Ref: 0x1234, Total: 3, Seq: 1})
	l.SetReceiptedMessageID("5A3F0001")
	l.Add(0x1400, []byte{0xCA, 0xFE}) // a vendor TLV, kept verbatim

	wire, _ := l.AppendBinary(nil)
	back, err := tlv.Scan(nil, wire)
	if err != nil {
		panic(err)
	}
	sar, _ := back.SAR()
	id, _ := back.ReceiptedMessageID()
	for _, f := range back {
		fmt.Printf("%s (%d octets)\n", f.Tag, len(f.Value))
	}
	fmt.Printf("segment %d of %d, ref %#x; receipt for %s\n", sar.Seq, sar.Total, sar.Ref, id)
	// Output:
	// sar_msg_ref_num (2 octets)
	// sar_total_segments (1 octets)
	// sar_segment_seqnum (1 octets)
	// receipted_message_id (9 octets)
	// vendor_0x1400 (2 octets)
	// segment 1 of 3, ref 0x1234; receipt for 5A3F0001
}
