package pdu

import (
	"errors"
	"fmt"
)

// Errors wrapped by *FieldError, to tell what was wrong with a field.
var (
	// ErrTruncated means the body ended before a mandatory field did.
	ErrTruncated = errors.New("smpp: PDU body ends inside a mandatory field")
	// ErrNoNUL means a C-Octet String had no terminating NUL within its maximum size.
	ErrNoNUL = errors.New("smpp: C-Octet String has no terminating NUL within its maximum size")
	// ErrTooLong means a value is longer than the spec allows for its field.
	ErrTooLong = errors.New("smpp: field longer than the spec allows")
	// ErrBadValue means a field holds a value its type does not allow (a time
	// string that is not 16 characters, a dest_flag other than 1 or 2).
	ErrBadValue = errors.New("smpp: field value not allowed")
	// ErrTrailing means the body has octets after its last field where none may be.
	ErrTrailing = errors.New("smpp: unexpected octets after the last field")
	// ErrShortHeader means fewer than 16 octets were given for a PDU header.
	ErrShortHeader = errors.New("smpp: PDU shorter than its 16-octet header")
	// ErrUnknownCommand means the command_id is not one of SMPP 3.4. A receiver
	// answers generic_nack with ESME_RINVCMDID.
	ErrUnknownCommand = errors.New("smpp: unknown command_id")
)

// FieldError reports a field that could not be decoded or encoded. It names the
// PDU and the field, and carries the command_status a server answers with, so
//
//	errors.Is(err, pdu.ESME_RINVSRCADR)
//
// holds for an over-long source_addr, and StatusOf(err) gives the status to send.
type FieldError struct {
	Command CommandID // the PDU being decoded or encoded
	Field   string    // the field's spec name, "source_addr"
	Status  Status    // the command_status that reports this error to the peer
	Err     error     // ErrTruncated, ErrNoNUL, ErrTooLong, ErrBadValue, a tlv error...
}

// Error returns "smpp: <command>.<field>: <cause> (<status>)".
func (e *FieldError) Error() string {
	return fmt.Sprintf("smpp: %s.%s: %v (%s)", e.Command, e.Field, trimPrefix(e.Err), e.Status.String())
}

// Unwrap returns the cause and the status, so errors.Is matches either.
func (e *FieldError) Unwrap() []error { return []error{e.Err, e.Status} }

func trimPrefix(err error) string {
	s := err.Error()
	if len(s) > 6 && s[:6] == "smpp: " {
		return s[6:]
	}
	return s
}

// StatusOf returns the command_status that reports err to a peer: the Status
// itself, the Status of a *FieldError, or ESME_RSYSERR for any other error. It
// returns ESME_ROK for a nil error.
func StatusOf(err error) Status {
	if err == nil {
		return ESME_ROK
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Status
	}
	var s Status
	if errors.As(err, &s) {
		return s
	}
	if errors.Is(err, ErrUnknownCommand) {
		return ESME_RINVCMDID
	}
	return ESME_RSYSERR
}

// Errors of the text formats: SMPP time strings and delivery receipts.
var (
	// ErrBadTime means a schedule_delivery_time, validity_period or final_date
	// string is not a valid absolute or relative SMPP time.
	ErrBadTime = errors.New("smpp: malformed SMPP time string")
	// ErrNotReceipt means a text has neither an id: nor a stat: label, and no
	// receipt TLVs came with it.
	ErrNotReceipt = errors.New("smpp: not a delivery receipt")
	// ErrBadUDH means esm_class announces a user data header (UDHI) that the
	// user data does not hold: its length runs past the data, or its
	// information elements do not fill it exactly.
	ErrBadUDH = errors.New("smpp: malformed user data header")
)
