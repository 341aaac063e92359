package pdu

import (
	"time"

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
