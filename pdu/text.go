package pdu

import (
	"fmt"

	"github.com/esmsafrica/smpp/encoding"
)

// Text returns the user data of m as text: message_payload when present,
// else short_message; without its user data header when esm_class has the
// UDHI bit (0x40); decoded by data_coding, with data_coding 0x00 read as GSM
// 7-bit, one septet per octet, and with the national language tables the
// header announces. Binary data (data_coding 0x02, 0x04 and the 8-bit GSM
// coding groups), compressed text and alphabets package encoding does not
// implement return an error wrapping encoding.ErrAlphabet; a header that
// does not fit the data returns ErrBadUDH. See AppendText for other meanings
// of data_coding 0x00 and for a form that does not allocate.
func (m *SubmitSM) Text() (string, error) {
	b, err := m.AppendText(nil, encoding.DefaultGSM7)
	return string(b), err
}

// AppendText appends the text of m (see Text) to dst as UTF-8; def says what
// data_coding 0x00 means on the connection (GSM 7-bit packed, Latin-1...).
// It does not allocate when dst has room. On error dst is returned as it was.
func (m *SubmitSM) AppendText(dst []byte, def encoding.Default) ([]byte, error) {
	return appendText(dst, m.Payload(), m.ESMClass, m.DataCoding, def)
}

// Text returns the user data of m as text: for a mobile-originated message
// what the subscriber wrote, for a receipt its receipt text. See
// SubmitSM.Text.
func (m *DeliverSM) Text() (string, error) { return (*SubmitSM)(m).Text() }

// AppendText appends the text of m to dst; see SubmitSM.AppendText.
func (m *DeliverSM) AppendText(dst []byte, def encoding.Default) ([]byte, error) {
	return (*SubmitSM)(m).AppendText(dst, def)
}

// Text returns the message_payload of m as text; see SubmitSM.Text. A data_sm
// without message_payload has the empty text.
func (m *DataSM) Text() (string, error) {
	b, err := m.AppendText(nil, encoding.DefaultGSM7)
	return string(b), err
}

// AppendText appends the text of m to dst; see SubmitSM.AppendText.
func (m *DataSM) AppendText(dst []byte, def encoding.Default) ([]byte, error) {
	p, _ := m.TLVs.MessagePayload()
	return appendText(dst, p, m.ESMClass, m.DataCoding, def)
}

// appendText decodes user data ud per esm_class and data_coding.
func appendText(dst, ud []byte, esmClass, dataCoding uint8, def encoding.Default) ([]byte, error) {
	var tables encoding.GSM7Options
	fill := 0
	if esmClass&0x40 != 0 {
		n, lock, single, err := parseUDH(ud)
		if err != nil {
			return dst, err
		}
		tables.Locking, tables.Single = lock, single
		fill = encoding.FillBits(n)
		ud = ud[n:]
	}
	out, err := encoding.Decode(dst, ud, def.ParseDataCoding(dataCoding), tables, fill)
	if err != nil {
		return dst, &dataCodingError{dataCoding, err}
	}
	return out, nil
}

// dataCodingError is an error of encoding.Decode, with the data_coding value.
type dataCodingError struct {
	dc  uint8
	err error
}

// Error returns "smpp: data_coding 0x..: " and the cause.
func (e *dataCodingError) Error() string {
	return fmt.Sprintf("smpp: data_coding 0x%02x: %s", e.dc, trimPrefix(e.err))
}

// Unwrap returns the error of package encoding.
func (e *dataCodingError) Unwrap() error { return e.err }

// parseUDH returns the length of the user data header at the start of ud
// (its length octet included) and the national language tables its
// single shift (IEI 0x24) and locking shift (IEI 0x25) elements announce.
func parseUDH(ud []byte) (n int, lock, single encoding.Language, err error) {
	if len(ud) == 0 || 1+int(ud[0]) > len(ud) {
		return 0, 0, 0, ErrBadUDH
	}
	n = 1 + int(ud[0])
	for h := ud[1:n]; len(h) > 0; {
		if len(h) < 2 || 2+int(h[1]) > len(h) {
			return 0, 0, 0, ErrBadUDH
		}
		iei, v := h[0], h[2:2+int(h[1])]
		switch {
		case iei == 0x24 && len(v) == 1:
			single = encoding.Language(v[0])
		case iei == 0x25 && len(v) == 1:
			lock = encoding.Language(v[0])
		}
		h = h[2+len(v):]
	}
	return n, lock, single, nil
}
