package encoding

import "strconv"

// Alphabet is the character set (or binary data) a data_coding value selects.
type Alphabet uint8

// Alphabets of SMPP 3.4 data_coding (§5.2.19) and of the GSM coding groups of
// TS 23.038 §4.
const (
	// Unknown is the zero Alphabet: a reserved data_coding value, or a GSM
	// coding group whose alphabet bits are reserved. In Options.Force it means
	// "choose the cheapest".
	Unknown Alphabet = iota
	// GSM7 is the GSM 03.38 7-bit default alphabet (with national tables when a
	// UDH selects them).
	GSM7
	// ASCII is IA5 (CCITT T.50) / ASCII, one character per octet.
	ASCII
	// Latin1 is ISO-8859-1, one character per octet.
	Latin1
	// UCS2 is UCS-2, carried in practice as UTF-16BE (surrogate pairs pass).
	UCS2
	// Binary is 8-bit data ("octet unspecified").
	Binary
	// JIS is JIS X 0208-1990 (not implemented by this package).
	JIS
	// Cyrillic is ISO-8859-5.
	Cyrillic
	// Hebrew is ISO-8859-8 (Latin/Hebrew).
	Hebrew
	// Pictogram is the pictogram encoding of SMPP 3.4 (not implemented).
	Pictogram
	// ISO2022JP is ISO-2022-JP, music codes (not implemented).
	ISO2022JP
	// ExtendedKanji is Extended Kanji JIS X 0212-1990 (not implemented).
	ExtendedKanji
	// KSC5601 is KS C 5601, Korean (not implemented).
	KSC5601
)

var alphabetNames = [...]string{
	Unknown: "unknown", GSM7: "GSM7", ASCII: "ASCII", Latin1: "Latin1", UCS2: "UCS2",
	Binary: "binary", JIS: "JIS", Cyrillic: "Cyrillic", Hebrew: "Hebrew",
	Pictogram: "pictogram", ISO2022JP: "ISO-2022-JP", ExtendedKanji: "extended Kanji",
	KSC5601: "KS C 5601",
}

// String returns the alphabet's name ("GSM7", "UCS2", ...).
func (a Alphabet) String() string {
	if int(a) < len(alphabetNames) {
		return alphabetNames[a]
	}
	return "Alphabet(" + strconv.Itoa(int(a)) + ")"
}

// DataCoding returns the SMPP 3.4 data_coding value for the alphabet, with no
// message class: 0x00 (SMSC default, taken as GSM 7-bit) for GSM7, 0x01 ASCII,
// 0x03 Latin1, 0x04 Binary, 0x08 UCS2, and the SMPP table's value for the
// others. Unknown returns 0x00. To send GSM 7-bit to an SMSC whose default
// alphabet is not GSM, use Default.DataCoding.
func (a Alphabet) DataCoding() byte {
	switch a {
	case ASCII:
		return 0x01
	case Latin1:
		return 0x03
	case Binary:
		return 0x04
	case JIS:
		return 0x05
	case Cyrillic:
		return 0x06
	case Hebrew:
		return 0x07
	case UCS2:
		return 0x08
	case Pictogram:
		return 0x09
	case ISO2022JP:
		return 0x0A
	case ExtendedKanji:
		return 0x0D
	case KSC5601:
		return 0x0E
	}
	return 0x00
}

// Default says what data_coding 0x00 ("SMSC default alphabet") means on a
// connection, and whether GSM 7-bit text on it is packed. SMPP 3.4 leaves both
// to the SMSC; configure it per peer. The zero value is GSM 7-bit, unpacked
// (one septet per octet), the most common convention.
type Default uint8

// The conventions for data_coding 0x00.
const (
	// DefaultGSM7 means 0x00 is GSM 7-bit, one septet per octet.
	DefaultGSM7 Default = iota
	// DefaultGSM7Packed means 0x00 is GSM 7-bit and all GSM 7-bit text on the
	// connection is packed (eight septets in seven octets).
	DefaultGSM7Packed
	// DefaultLatin1 means 0x00 is ISO-8859-1.
	DefaultLatin1
	// DefaultASCII means 0x00 is IA5/ASCII.
	DefaultASCII
)

// String returns "GSM7", "GSM7-packed", "Latin1" or "ASCII".
func (d Default) String() string {
	switch d {
	case DefaultGSM7:
		return "GSM7"
	case DefaultGSM7Packed:
		return "GSM7-packed"
	case DefaultLatin1:
		return "Latin1"
	case DefaultASCII:
		return "ASCII"
	}
	return "Default(" + strconv.Itoa(int(d)) + ")"
}

// Packed reports whether GSM 7-bit text is packed on the connection.
func (d Default) Packed() bool { return d == DefaultGSM7Packed }

// DataCoding returns the data_coding value for a on a connection with
// default d. It is a.DataCoding(), except that GSM7 on a connection whose 0x00
// is not GSM becomes 0xF1 (GSM 7-bit, class 1 "ME-specific", the usual display
// class), and Latin1 or ASCII on a connection whose 0x00 is that alphabet
// becomes 0x00.
func (d Default) DataCoding(a Alphabet) byte {
	switch {
	case a == GSM7 && (d == DefaultLatin1 || d == DefaultASCII):
		return 0xF1
	case a == Latin1 && d == DefaultLatin1, a == ASCII && d == DefaultASCII:
		return 0x00
	}
	return a.DataCoding()
}

// MessageClass is the message class of TS 23.038: where the handset puts or
// shows the message.
type MessageClass uint8

// The four message classes.
const (
	Class0 MessageClass = iota // shown at once, not stored ("flash")
	Class1                     // ME-specific (normal)
	Class2                     // (U)SIM-specific
	Class3                     // TE-specific
)

// String returns "class 0" … "class 3".
func (c MessageClass) String() string { return "class " + strconv.Itoa(int(c)) }

// Indication is the kind of message waiting in a message waiting indication
// coding group (TS 23.038 §4, groups 1100–1110).
type Indication uint8

// The message waiting indication types.
const (
	Voicemail Indication = iota
	Fax
	Email
	OtherMessage
)

// String returns "voicemail", "fax", "e-mail" or "other".
func (i Indication) String() string {
	switch i {
	case Voicemail:
		return "voicemail"
	case Fax:
		return "fax"
	case Email:
		return "e-mail"
	case OtherMessage:
		return "other"
	}
	return "Indication(" + strconv.Itoa(int(i)) + ")"
}

// DataCoding is a data_coding value taken apart. Every field's zero value
// means "not signalled".
type DataCoding struct {
	// Value is the data_coding octet.
	Value byte
	// Alphabet is the character set; Unknown for reserved values.
	Alphabet Alphabet
	// Packed reports GSM 7-bit text packed eight septets to seven octets; it
	// comes from the connection's Default, not from the octet.
	Packed bool
	// HasClass reports that the value carries a message class.
	HasClass bool
	// Class is the message class when HasClass is true.
	Class MessageClass
	// Compressed reports text compressed with the TS 23.042 algorithm (which
	// this package does not decompress).
	Compressed bool
	// AutoDelete reports the "marked for automatic deletion" group (01xx).
	AutoDelete bool
	// MWI reports a message waiting indication group (0xC0–0xEF).
	MWI bool
	// MWIStore is true for the "store message" groups (0xD0–0xEF), false for
	// "discard message" (0xC0–0xCF).
	MWIStore bool
	// MWIActive reports the indication is set (true) or cleared.
	MWIActive bool
	// MWIKind is the kind of message waiting.
	MWIKind Indication
}

// Flash reports a class 0 message, shown at once and not stored.
func (d DataCoding) Flash() bool { return d.HasClass && d.Class == Class0 }

// ParseDataCoding interprets dc on a connection whose data_coding 0x00 is GSM
// 7-bit unpacked (DefaultGSM7). See Default.ParseDataCoding.
func ParseDataCoding(dc byte) DataCoding { return DefaultGSM7.ParseDataCoding(dc) }

// ParseDataCoding interprets dc: 0x00–0x0F by the SMPP 3.4 table (0x00 per d),
// 0x10–0xFF by the GSM coding groups of TS 23.038 §4 (general data coding with
// and without class and compression, automatic deletion, message waiting
// indication, and the 1111 data coding / message class group), which SMSCs
// pass through from the GSM network.
func (d Default) ParseDataCoding(dc byte) DataCoding {
	out := DataCoding{Value: dc}
	switch {
	case dc <= 0x0F:
		switch dc {
		case 0x00:
			switch d {
			case DefaultLatin1:
				out.Alphabet = Latin1
			case DefaultASCII:
				out.Alphabet = ASCII
			default:
				out.Alphabet = GSM7
			}
		case 0x01:
			out.Alphabet = ASCII
		case 0x02, 0x04:
			out.Alphabet = Binary
		case 0x03:
			out.Alphabet = Latin1
		case 0x05:
			out.Alphabet = JIS
		case 0x06:
			out.Alphabet = Cyrillic
		case 0x07:
			out.Alphabet = Hebrew
		case 0x08:
			out.Alphabet = UCS2
		case 0x09:
			out.Alphabet = Pictogram
		case 0x0A:
			out.Alphabet = ISO2022JP
		case 0x0D:
			out.Alphabet = ExtendedKanji
		case 0x0E:
			out.Alphabet = KSC5601
		}
	case dc < 0x80: // 00xx xxxx general data coding, 01xx xxxx automatic deletion
		out.AutoDelete = dc&0x40 != 0
		out.Compressed = dc&0x20 != 0
		out.HasClass = dc&0x10 != 0
		if out.HasClass {
			out.Class = MessageClass(dc & 0x03)
		}
		switch dc >> 2 & 0x03 {
		case 0:
			out.Alphabet = GSM7
		case 1:
			out.Alphabet = Binary
		case 2:
			out.Alphabet = UCS2
		}
	case dc < 0xC0: // 1000–1011 reserved
	case dc < 0xF0: // 1100, 1101, 1110: message waiting indication
		out.MWI = true
		out.MWIStore = dc >= 0xD0
		out.MWIActive = dc&0x08 != 0
		out.MWIKind = Indication(dc & 0x03)
		out.Alphabet = GSM7
		if dc >= 0xE0 {
			out.Alphabet = UCS2
		}
	default: // 1111: data coding / message class
		out.HasClass = true
		out.Class = MessageClass(dc & 0x03)
		out.Alphabet = GSM7
		if dc&0x04 != 0 {
			out.Alphabet = Binary
		}
	}
	out.Packed = out.Alphabet == GSM7 && d == DefaultGSM7Packed
	return out
}
