package encoding

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

var (
	// ErrUnencodable means a character of the text has no code in the requested
	// alphabet (and no replacement was asked for). The error returned is an
	// *UnencodableError that wraps ErrUnencodable.
	ErrUnencodable = errors.New("smpp: character not encodable in the alphabet")
	// ErrLanguage means a Language is not one of TS 23.038's, or a locking shift
	// table was asked for a language that has none (Spanish).
	ErrLanguage = errors.New("smpp: unknown national language table")
	// ErrAlphabet means an operation was asked of an alphabet that cannot do it,
	// such as encoding text as Binary or as a character set this package does
	// not implement.
	ErrAlphabet = errors.New("smpp: alphabet not supported for this operation")
)

// UnencodableError reports the first character of a text that the alphabet
// cannot represent. It wraps ErrUnencodable.
type UnencodableError struct {
	// Rune is the character; utf8.RuneError (U+FFFD) for a byte that is not
	// valid UTF-8.
	Rune rune
	// Offset is the byte offset of the character in the text.
	Offset int
	// Index is the character's position in the text, counted in runes from 0.
	Index int
	// Alphabet is the alphabet that was asked for.
	Alphabet Alphabet
	// Locking and Single are the GSM 7-bit tables in use (NoShift when default
	// or when Alphabet is not GSM7).
	Locking, Single Language
}

// Error implements error.
func (e *UnencodableError) Error() string {
	what := fmt.Sprintf("%q (%U)", e.Rune, e.Rune)
	if e.Rune == utf8.RuneError {
		what = "invalid UTF-8 or U+FFFD"
	}
	tables := ""
	if e.Alphabet == GSM7 && (e.Locking != NoShift || e.Single != NoShift) {
		tables = fmt.Sprintf(" (locking %s, single shift %s)", e.Locking, e.Single)
	}
	return fmt.Sprintf("smpp: character %s at index %d (byte %d) not encodable in %s%s",
		what, e.Index, e.Offset, e.Alphabet, tables)
}

// Unwrap returns ErrUnencodable.
func (e *UnencodableError) Unwrap() error { return ErrUnencodable }

// unencodable builds the error for the rune at byte offset off of s.
func unencodable(s string, off int, a Alphabet, lock, single Language) error {
	r, _ := utf8.DecodeRuneInString(s[off:])
	return &UnencodableError{
		Rune: r, Offset: off, Index: utf8.RuneCountInString(s[:off]),
		Alphabet: a, Locking: lock, Single: single,
	}
}
