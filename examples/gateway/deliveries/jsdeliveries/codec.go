package jsdeliveries

import (
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// errCorrupt is returned when a stream message is not a delivery.
var errCorrupt = errors.New("gateway jsdeliveries: a stream message is not a delivery (another writer on the queue's subjects?)")

// The first byte of a delivery message is its version: codecV1 for a
// delivery without a Bind (as every version wrote it, so that a reader of
// any version takes it), codecV2 for one with a Bind.
const (
	codecV1 = 1
	codecV2 = 2
)

// appendDelivery encodes a delivery as a message body: the version, the
// creation time (Unix nanoseconds, 0 for the zero time, as a varint), in
// version 2 the bind (uvarint length and bytes), then the deliver_sm body
// to the end. The account is the subject's last token, the Seq the stream
// sequence.
func appendDelivery(dst []byte, created time.Time, bind string, body []byte) []byte {
	v := byte(codecV1)
	if bind != "" {
		v = codecV2
	}
	dst = append(dst, v)
	var ns int64
	if !created.IsZero() {
		ns = created.UnixNano()
	}
	dst = binary.AppendVarint(dst, ns)
	if v == codecV2 {
		dst = binary.AppendUvarint(dst, uint64(len(bind)))
		dst = append(dst, bind...)
	}
	return append(dst, body...)
}

// parseDelivery decodes a body written by appendDelivery, of either
// version. The body returned is a copy: the message's buffer is not kept.
func parseDelivery(b []byte) (created time.Time, bind string, body []byte, err error) {
	if len(b) < 1 || b[0] != codecV1 && b[0] != codecV2 {
		return time.Time{}, "", nil, errCorrupt
	}
	v := b[0]
	ns, n := binary.Varint(b[1:])
	if n <= 0 {
		return time.Time{}, "", nil, errCorrupt
	}
	if ns != 0 {
		created = time.Unix(0, ns)
	}
	b = b[1+n:]
	if v == codecV2 {
		l, n := binary.Uvarint(b)
		if n <= 0 || l == 0 || l > uint64(len(b)-n) {
			return time.Time{}, "", nil, errCorrupt
		}
		bind = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	return created, bind, append([]byte(nil), b...), nil
}

const hexDigits = "0123456789abcdef"

// token encodes an account name as one subject token that is also a valid
// consumer name: letters, digits and '-' stay, every other byte (the '_'
// included) is '_' and two hex digits. Different names give different
// tokens, and a system_id made of letters and digits reads as itself.
func token(account string) string {
	var b strings.Builder
	for i := 0; i < len(account); i++ {
		c := account[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// account decodes a token; ok is false for a string token did not make.
func account(tok string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c != '_' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(tok) {
			return "", false
		}
		hi, lo := strings.IndexByte(hexDigits, tok[i+1]), strings.IndexByte(hexDigits, tok[i+2])
		if hi < 0 || lo < 0 {
			return "", false
		}
		b.WriteByte(byte(hi<<4 | lo))
		i += 2
	}
	return b.String(), true
}
