package pdu

import (
	"time"
	"unicode/utf8"

	"github.com/esmsafrica/smpp/tlv"
)

// AppendReceipt appends r as receipt text in the recommended form, with the
// default options. See ReceiptOptions.Append.
func AppendReceipt(dst []byte, r *Receipt) []byte { return ReceiptOptions{}.Append(dst, r) }

// Append appends r as receipt text in the form recommended for generators:
//
//	id:<ID> sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000 text:<first 20 characters>
//
// Values come from r: Sub ("001" when empty); Dlvrd ("001" when State is
// DELIVERED, else "000", when empty); the dates in o.Location when set, else
// in their own zone, with seconds when o.Seconds (a zero date writes the raw
// value, usually nothing); Stat, or State.Stat() when empty; Err ("000" when
// empty); Text cut to 20 characters. ID is written as is: an id must not
// contain a label for the text to parse back the same. It does not allocate
// when dst has room.
func (o ReceiptOptions) Append(dst []byte, r *Receipt) []byte {
	dst = append(dst, "id:"...)
	dst = append(dst, r.ID...)
	dst = append(dst, " sub:"...)
	dst = appendOr(dst, r.Sub, "001")
	dst = append(dst, " dlvrd:"...)
	if r.Dlvrd != "" {
		dst = append(dst, r.Dlvrd...)
	} else if r.State == StateDelivered {
		dst = append(dst, "001"...)
	} else {
		dst = append(dst, "000"...)
	}
	dst = append(dst, " submit date:"...)
	dst = o.appendDate(dst, r.SubmitDate, r.SubmitDateRaw)
	dst = append(dst, " done date:"...)
	dst = o.appendDate(dst, r.DoneDate, r.DoneDateRaw)
	dst = append(dst, " stat:"...)
	dst = appendOr(dst, r.Stat, r.State.Stat())
	dst = append(dst, " err:"...)
	dst = appendOr(dst, r.Err, "000")
	dst = append(dst, " text:"...)
	return append(dst, firstChars(r.Text, 20)...)
}

func (o ReceiptOptions) appendDate(dst []byte, t time.Time, raw string) []byte {
	if t.IsZero() {
		return append(dst, raw...)
	}
	if o.Location != nil {
		t = t.In(o.Location)
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = append2(dst, (y%100+100)%100)
	dst = append2(dst, int(mo))
	dst = append2(dst, d)
	dst = append2(dst, h)
	dst = append2(dst, mi)
	if o.Seconds {
		dst = append2(dst, s)
	}
	return dst
}

func appendOr(dst []byte, s, def string) []byte {
	if s == "" {
		s = def
	}
	return append(dst, s...)
}

// firstChars returns the prefix of s holding its first n characters (UTF-8
// sequences are kept whole; invalid bytes count as one character each).
func firstChars(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// NewReceiptDeliverSM returns the deliver_sm an SMSC sends to report r on
// the message sm submitted, with the default options (see
// ReceiptOptions.DeliverSM).
func NewReceiptDeliverSM(sm *SubmitSM, r *Receipt) *DeliverSM {
	return ReceiptOptions{}.DeliverSM(sm, r)
}

// DeliverSM returns the deliver_sm an SMSC sends to report r on the message
// sm submitted:
//
//   - the addresses of sm swapped, with their TON and NPI: the receipt comes
//     from the recipient and goes to the sender;
//   - esm_class 0x04 (SMSC delivery receipt);
//   - the text of r as Append writes it (with o's dates), in short_message,
//     or in message_payload when longer than 254 octets;
//   - the TLVs receipted_message_id (r.ID, when not empty), message_state
//     (r.State, or the state of r.Stat when r.State is zero, which is not a
//     receipt's state) and network_error_code (r.NetworkError, when set or
//     when r.Fields has ReceiptNetworkError).
//
// Everything else is zero. r.Text is written as given, cut to 20
// characters; SMSCs usually put the first characters of the message there
// (see SubmitSM.Text). The result shares no memory with sm or r.
func (o ReceiptOptions) DeliverSM(sm *SubmitSM, r *Receipt) *DeliverSM {
	d := &DeliverSM{
		SourceAddrTON:   sm.DestAddrTON,
		SourceAddrNPI:   sm.DestAddrNPI,
		SourceAddr:      clone(sm.DestinationAddr),
		DestAddrTON:     sm.SourceAddrTON,
		DestAddrNPI:     sm.SourceAddrNPI,
		DestinationAddr: clone(sm.SourceAddr),
		ESMClass:        0x04,
		TLVs:            make(tlv.List, 0, 4),
	}
	text := o.Append(make([]byte, 0, 160), r)
	if len(text) > 254 {
		d.TLVs.SetMessagePayload(text)
	} else {
		d.ShortMessage = text
	}
	if r.ID != "" {
		d.TLVs.SetReceiptedMessageID(r.ID)
	}
	state, ok := r.State, r.State != 0
	if !ok && r.Stat != "" {
		state, ok = StateFromStat([]byte(r.Stat))
	}
	if ok {
		d.TLVs.SetMessageState(uint8(state))
	}
	if r.Fields.Has(ReceiptNetworkError) || r.NetworkError != (tlv.NetworkError{}) {
		d.TLVs.SetNetworkErrorCode(r.NetworkError)
	}
	return d
}
