package encoding

import "strconv"

//go:generate go run ./internal/gen -spec ../../shared/spec -out ztables.go

// Language is a National Language Identifier of 3GPP TS 23.038: the value of the
// UDH information elements 0x24 (single shift) and 0x25 (locking shift). It
// selects the table that replaces the GSM 7-bit extension table (single shift) or
// the whole default alphabet (locking shift).
type Language uint8

// The national languages of TS 23.038 Annex A. NoShift, the zero value, means the
// default alphabet and default extension table (no UDH information element).
const (
	NoShift    Language = 0
	Turkish    Language = 1
	Spanish    Language = 2 // single shift table only
	Portuguese Language = 3
	Bengali    Language = 4
	Gujarati   Language = 5
	Hindi      Language = 6
	Kannada    Language = 7
	Malayalam  Language = 8
	Oriya      Language = 9
	Punjabi    Language = 10
	Tamil      Language = 11
	Telugu     Language = 12
	Urdu       Language = 13

	numLanguages = 14
)

var languageNames = [numLanguages]string{
	"default", "Turkish", "Spanish", "Portuguese", "Bengali", "Gujarati", "Hindi",
	"Kannada", "Malayalam", "Oriya", "Punjabi", "Tamil", "Telugu", "Urdu",
}

// String returns the language's English name, "default" for NoShift, or
// "Language(n)" for a reserved identifier.
func (l Language) String() string {
	if l < numLanguages {
		return languageNames[l]
	}
	return "Language(" + strconv.Itoa(int(l)) + ")"
}

// Known reports whether l is NoShift or one of the 13 languages of TS 23.038.
func (l Language) Known() bool { return l < numLanguages }

// HasLocking reports whether l has a locking shift table. Spanish has only a
// single shift table; NoShift's "locking table" is the default alphabet itself.
func (l Language) HasLocking() bool { return l < numLanguages && lockingTables[l] != nil }

// AllLanguages returns the 13 national languages in identifier order, for
// callers whose destinations support them all. Each call returns a new slice.
func AllLanguages() []Language {
	return []Language{
		Turkish, Spanish, Portuguese, Bengali, Gujarati, Hindi, Kannada, Malayalam,
		Oriya, Punjabi, Tamil, Telugu, Urdu,
	}
}
