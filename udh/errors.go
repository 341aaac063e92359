package udh

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed means a user data header's structure is broken: UDHL 0, a
	// header longer than the user data, or an IE running past the header.
	ErrMalformed = errors.New("smpp: malformed user data header")
	// ErrIELength means an information element this package interprets has a
	// data length other than TS 23.040's.
	ErrIELength = errors.New("smpp: user data header IE has a wrong length")
	// ErrTooLong means a header or IE does not fit its one-octet length.
	ErrTooLong = errors.New("smpp: user data header too long")
	// ErrTooManySegments means a text needs more segments than allowed (at
	// most 255, or Options.MaxSegments).
	ErrTooManySegments = errors.New("smpp: text needs too many segments")
	// ErrCapacity means not even one character fits in a segment (a header
	// too large for the options, or a character that cannot be encoded).
	ErrCapacity = errors.New("smpp: segment has no room for the text")
	// ErrExpired is the Reason of a partial message whose segments did not all
	// arrive within the reassembly TTL.
	ErrExpired = errors.New("smpp: reassembly timed out")
	// ErrEvicted is the Reason of a partial message dropped to keep the
	// reassembler within its bounds on pending messages or bytes.
	ErrEvicted = errors.New("smpp: reassembly buffer full, oldest message evicted")
)

// HeaderError reports where a user data header is malformed. It wraps
// ErrMalformed or ErrIELength.
type HeaderError struct {
	// Offset is the octet offset in the user data (0 is the UDHL octet).
	Offset int
	// IEI is the element at fault (0xFF when the fault is the UDHL).
	IEI IEI
	// Err is ErrMalformed or ErrIELength.
	Err error
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *HeaderError) Error() string {
	if e.IEI == ieiNone {
		return fmt.Sprintf("%v: %s", e.Err, e.Reason)
	}
	return fmt.Sprintf("%v: IE %s at offset %d: %s", e.Err, e.IEI, e.Offset, e.Reason)
}

// Unwrap returns ErrMalformed or ErrIELength.
func (e *HeaderError) Unwrap() error { return e.Err }
