package pdu

import (
	"bytes"
	"time"

	"github.com/esmsafrica/smpp/tlv"
)

// ParseReceipt parses receipt text into r with the default options. See
// ReceiptOptions.Parse.
func ParseReceipt(text []byte, r *Receipt) error { return ReceiptOptions{}.Parse(text, r) }

// ReceiptFromDeliverSM fills r from a deliver_sm (or a data_sm converted with
// ReceiptFromDataSM) that carries a delivery receipt: the text from
// message_payload when present, else short_message, parsed by label; then the
// receipted_message_id, message_state and network_error_code TLVs, which take
// precedence over the text where present. It does not check esm_class, since
// some SMSCs send receipts with esm_class 0 (see DeliverSM.IsReceipt). It
// returns ErrNotReceipt when neither the text nor the TLVs look like a receipt.
// r aliases m.
func ReceiptFromDeliverSM(m *DeliverSM, r *Receipt) error {
	return ReceiptOptions{}.ParseWithTLVs(m.Payload(), m.TLVs, r)
}

// ReceiptFromDataSM is ReceiptFromDeliverSM for a receipt sent as data_sm.
func ReceiptFromDataSM(m *DataSM, r *Receipt) error {
	p, _ := m.TLVs.MessagePayload()
	return ReceiptOptions{}.ParseWithTLVs(p, m.TLVs, r)
}

// ParseWithTLVs parses the receipt text and then applies the receipt TLVs of
// l, which take precedence (see ReceiptFromDeliverSM). r aliases text and l.
func (o ReceiptOptions) ParseWithTLVs(text []byte, l tlv.List, r *Receipt) error {
	err := o.Parse(text, r)
	for _, f := range l {
		switch f.Tag {
		case tlv.ReceiptedMessageID:
			v := f.Value
			if n := len(v); n > 0 && v[n-1] == 0 {
				v = v[:n-1]
			}
			if len(v) > 0 {
				r.ID = aliasString(v)
				r.Fields |= ReceiptIDTLV
			}
		case tlv.MessageState:
			if len(f.Value) == 1 {
				r.State = MessageState(f.Value[0])
				r.Fields |= ReceiptStateTLV | ReceiptState
			}
		case tlv.NetworkErrorCode:
			if len(f.Value) == 3 {
				r.NetworkError = tlv.NetworkError{Type: f.Value[0], Code: uint16(f.Value[1])<<8 | uint16(f.Value[2])}
				r.Fields |= ReceiptNetworkError
			}
		}
	}
	if err == ErrNotReceipt && r.Fields&(ReceiptIDTLV|ReceiptStateTLV) != 0 {
		err = nil
	}
	return err
}

// Parse parses receipt text into r, overwriting all of r. It is lenient, as
// receipts in the field vary:
//
//   - labels are matched without regard to case ("Text:" and "text:"), and
//     "submit_date:"/"done_date:" are accepted too; a label counts only where
//     it does not continue a word;
//   - fields may come in any order or be missing; a value ends where the next
//     label starts, and surrounding white space is dropped;
//   - dates of 10, 12 or 14 digits are parsed by their length; other dates are
//     kept raw only;
//   - err and stat values outside the usual forms are kept raw;
//   - text runs to the end of the input, colons and all; only a label of a
//     field not seen yet ends it early (for receipts that put text first).
//
// Parse returns ErrNotReceipt, with r filled as far as possible, when the text
// has neither an id: nor a stat: label. It does not allocate; r's strings alias
// text.
func (o ReceiptOptions) Parse(text []byte, r *Receipt) error {
	*r = Receipt{State: StateUnknown}
	const labels = ReceiptID | ReceiptSub | ReceiptDlvrd | ReceiptSubmitDate | ReceiptDoneDate | ReceiptStat | ReceiptErr | ReceiptText
	cur := ReceiptField(0)
	valStart, pos := 0, 0
	// Every label ends with a colon: find the colons, and look behind each.
	for {
		if cur == ReceiptText && r.Fields&labels == labels {
			break // every label seen: the rest is text
		}
		j := bytes.IndexByte(text[pos:], ':')
		if j < 0 {
			break
		}
		colon := pos + j
		pos = colon + 1
		f, start := labelBefore(text, colon)
		if f == 0 || (cur == ReceiptText && r.Fields&f != 0) {
			continue // not a label, or a label already seen: part of the text
		}
		if cur != 0 {
			o.set(r, cur, text[valStart:start])
		}
		cur = f
		r.Fields |= f
		valStart = pos
	}
	if cur != 0 {
		o.set(r, cur, text[valStart:])
	}
	r.ID = r.TextID
	if r.Fields&(ReceiptID|ReceiptStat) == 0 {
		return ErrNotReceipt
	}
	return nil
}

func (o ReceiptOptions) set(r *Receipt, f ReceiptField, v []byte) {
	v = trimSpace(v)
	switch f {
	case ReceiptID:
		r.TextID = aliasString(v)
	case ReceiptSub:
		r.Sub = aliasString(v)
	case ReceiptDlvrd:
		r.Dlvrd = aliasString(v)
	case ReceiptSubmitDate:
		r.SubmitDateRaw = aliasString(v)
		r.SubmitDate = o.parseDate(v)
	case ReceiptDoneDate:
		r.DoneDateRaw = aliasString(v)
		r.DoneDate = o.parseDate(v)
	case ReceiptStat:
		r.Stat = aliasString(v)
		if s, ok := StateFromStat(v); ok {
			r.State = s
			r.Fields |= ReceiptState
		} else {
			r.State = StateUnknown
			r.Fields &^= ReceiptState
		}
	case ReceiptErr:
		r.Err = aliasString(v)
	case ReceiptText:
		r.Text = aliasString(v)
	}
}

// parseDate parses YYMMDDhhmm, YYMMDDhhmmss or YYYYMMDDhhmmss; anything else
// gives the zero time.
func (o ReceiptOptions) parseDate(v []byte) time.Time {
	var y, off int
	switch len(v) {
	case 10, 12:
		yy, ok := digits2(v, 0)
		if !ok {
			return time.Time{}
		}
		y, off = 2000+yy, 2
	case 14:
		c, ok1 := digits2(v, 0)
		yy, ok2 := digits2(v, 2)
		if !ok1 || !ok2 {
			return time.Time{}
		}
		y, off = c*100+yy, 4
	default:
		return time.Time{}
	}
	var f [5]int // month, day, hour, minute, second
	for i := 0; off+2*i+1 < len(v); i++ {
		n, ok := digits2(v, off+2*i)
		if !ok {
			return time.Time{}
		}
		f[i] = n
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	t, _ := makeDate(y, f[0], f[1], f[2], f[3], f[4], loc)
	return t
}

// labelBefore reports the receipt label that ends with the colon at
// text[colon], and where it starts. A label must not continue a word.
func labelBefore(text []byte, colon int) (ReceiptField, int) {
	b := text[:colon]
	if len(b) < 2 {
		return 0, 0
	}
	var f ReceiptField
	n := 0
	switch b[len(b)-1] | 0x20 {
	case 'd':
		switch {
		case hasSuffixFold(b, "dlvrd"):
			f, n = ReceiptDlvrd, 5
		case hasSuffixFold(b, "id"):
			f, n = ReceiptID, 2
		}
	case 'b':
		if hasSuffixFold(b, "sub") {
			f, n = ReceiptSub, 3
		}
	case 'r':
		if hasSuffixFold(b, "err") {
			f, n = ReceiptErr, 3
		}
	case 't':
		switch {
		case hasSuffixFold(b, "stat"):
			f, n = ReceiptStat, 4
		case hasSuffixFold(b, "text"):
			f, n = ReceiptText, 4
		}
	case 'e':
		if !hasSuffixFold(b, "date") {
			return 0, 0
		}
		n = 4
		if k := len(b) - n - 1; k >= 0 && (b[k] == ' ' || b[k] == '_') {
			n++ // "submit date", "submit_date"
		}
		switch rest := b[:len(b)-n]; {
		case hasSuffixFold(rest, "submit"):
			f, n = ReceiptSubmitDate, n+6
		case hasSuffixFold(rest, "done"):
			f, n = ReceiptDoneDate, n+4
		}
	}
	if f == 0 {
		return 0, 0
	}
	start := len(b) - n
	if start > 0 && isLetter(text[start-1]) {
		return 0, 0
	}
	return f, start
}

func isLetter(c byte) bool { c |= 0x20; return c >= 'a' && c <= 'z' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0 }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// hasSuffixFold reports whether b ends with the lower-case ASCII suffix p,
// ignoring the case of b.
func hasSuffixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	b = b[len(b)-len(p):]
	for i := 0; i < len(p); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}
