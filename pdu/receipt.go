package pdu

import (
	"bytes"
	"time"
	"unicode/utf8"

	"github.com/esmsafrica/smpp/tlv"
)

// ReceiptField is a set of flags telling which parts of a Receipt were found.
type ReceiptField uint16

// The parts of a delivery receipt. The first eight are labels of the text; the
// others tell where the values came from.
const (
	ReceiptID         ReceiptField = 1 << iota // id: label present (TextID set)
	ReceiptSub                                 // sub: label present
	ReceiptDlvrd                               // dlvrd: label present
	ReceiptSubmitDate                          // submit date: label present
	ReceiptDoneDate                            // done date: label present
	ReceiptStat                                // stat: label present
	ReceiptErr                                 // err: label present
	ReceiptText                                // text: label present

	ReceiptState        // State is known: a stat word of the table, or the message_state TLV
	ReceiptIDTLV        // ID came from the receipted_message_id TLV
	ReceiptStateTLV     // State came from the message_state TLV
	ReceiptNetworkError // NetworkError came from the network_error_code TLV
)

// Has reports whether every flag of g is set in f.
func (f ReceiptField) Has(g ReceiptField) bool { return f&g == g }

// Receipt is an SMSC delivery receipt: the text of SMPP 3.4 Appendix B
//
//	id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
//
// and, when filled by ReceiptFromDeliverSM, the receipt TLVs.
//
// Lifetime: the strings of a parsed Receipt alias the text (and the TLVs) it was
// parsed from, so that parsing does not allocate. They are valid only while
// those bytes are; a Receipt parsed from a PDU read by codec.Reader is valid
// until the next Read. Call Clone to keep one longer.
type Receipt struct {
	// ID is the message id the receipt is about: receipted_message_id when that
	// TLV was present, else TextID. Empty when neither was found.
	ID string
	// TextID is the id: value of the text, as written (decimal or hex,
	// perhaps zero-padded); compare ids with MessageIDEqual. Empty when absent.
	TextID string
	// Sub and Dlvrd are the sub: and dlvrd: values as written ("001"). Empty
	// when absent.
	Sub, Dlvrd string
	// SubmitDate and DoneDate are the submit date: and done date: values,
	// parsed from 10 (YYMMDDhhmm), 12 (YYMMDDhhmmss) or 14 (YYYYMMDDhhmmss)
	// digits in ReceiptOptions.Location (UTC by default). Zero when absent or
	// unparseable; the raw text is then still in SubmitDateRaw / DoneDateRaw.
	SubmitDate, DoneDate time.Time
	// SubmitDateRaw and DoneDateRaw are the date values as written.
	SubmitDateRaw, DoneDateRaw string
	// Stat is the stat: value as written ("DELIVRD", "ENROUTE", vendor text).
	// Empty when absent.
	Stat string
	// State is the message state: from the message_state TLV when present,
	// else mapped from Stat. StateUnknown when neither gives a known state
	// (then ReceiptState is not set in Fields).
	State MessageState
	// Err is the err: value as written: usually three digits ("000"), but kept
	// raw when it is not ("21b"). Empty when absent.
	Err string
	// Text is the text: value (the first characters of the original message):
	// it runs to the end of the receipt and may hold spaces and colons. Empty
	// when absent.
	Text string
	// NetworkError is the network_error_code TLV; zero when absent.
	NetworkError tlv.NetworkError
	// Fields tells which of the above were found.
	Fields ReceiptField
}

// ReceiptOptions configure parsing and formatting of receipt text. The zero
// value parses dates as UTC and formats 10-digit dates.
type ReceiptOptions struct {
	// Location is the time zone the dates of the text are in. Nil means UTC.
	// (SMPP does not say; many SMSCs use their local time.)
	Location *time.Location
	// Seconds makes Append write 12-digit dates (YYMMDDhhmmss) instead of the
	// 10 digits of Appendix B.
	Seconds bool
}

// ParseReceipt parses receipt text into r with the default options. See
// ReceiptOptions.Parse.
func ParseReceipt(text []byte, r *Receipt) error { return ReceiptOptions{}.Parse(text, r) }

// AppendReceipt appends r as receipt text in the recommended form, with the
// default options. See ReceiptOptions.Append.
func AppendReceipt(dst []byte, r *Receipt) []byte { return ReceiptOptions{}.Append(dst, r) }

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

// Clone returns a copy of r that shares no memory with the bytes it was
// parsed from. All strings share one new allocation.
func (r *Receipt) Clone() *Receipt {
	c := *r
	n := len(r.ID) + len(r.TextID) + len(r.Sub) + len(r.Dlvrd) + len(r.SubmitDateRaw) +
		len(r.DoneDateRaw) + len(r.Stat) + len(r.Err) + len(r.Text)
	buf := make([]byte, 0, n)
	for _, p := range [...]*string{&c.ID, &c.TextID, &c.Sub, &c.Dlvrd, &c.SubmitDateRaw, &c.DoneDateRaw, &c.Stat, &c.Err, &c.Text} {
		start := len(buf)
		buf = append(buf, *p...)
		*p = aliasString(buf[start:len(buf):len(buf)])
	}
	return &c
}

// ErrCode returns the delivery error as a number: the code of the
// network_error_code TLV when present, else err: read as a decimal number. ok
// is false when neither gives a number ("21b" is not read as one).
func (r *Receipt) ErrCode() (code int, ok bool) {
	if r.Fields&ReceiptNetworkError != 0 {
		return int(r.NetworkError.Code), true
	}
	if r.Err == "" || len(r.Err) > 9 {
		return 0, false
	}
	for i := 0; i < len(r.Err); i++ {
		d, ok := digit(r.Err[i])
		if !ok {
			return 0, false
		}
		code = code*10 + d
	}
	return code, true
}

// Delivered reports whether the receipt says the message was delivered.
func (r *Receipt) Delivered() bool { return r.State == StateDelivered }

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
