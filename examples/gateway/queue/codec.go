package queue

import (
	"encoding/binary"
	"math"
)

// Key layout, under the queue's prefix:
//
//	<prefix> 't' <at+2^63 BE8> <seq BE8>  -> ticket (value below)
//	<prefix> 's'                          -> highest sequence number reserved (BE8)
//
// Tickets sort by due time, then by sequence number: a refill reads them
// back in the order they are handed out. Every ticket key is written once
// (a nak writes the ticket under a new sequence number), so that it can be
// removed with a single delete.
const (
	kindTicket = 't'
	kindSeq    = 's'
)

// Value layout: a version byte, uvarint(rev), a flags byte, varint(due)
// when flagDue is set, uvarint(deliveries), uvarint(len(id)), id. A decoder
// ignores bytes after the fields it knows, so a later version may append
// fields.
const (
	ticketV1 = 1
	flagDue  = 1 << 0
)

func keyLen(prefix []byte) int { return len(prefix) + 1 + 8 + 8 }

func (c *core) appendKey(b []byte, k key) []byte {
	b = append(b, c.prefix...)
	b = append(b, kindTicket)
	b = binary.BigEndian.AppendUint64(b, uint64(k.At)^1<<63)
	return binary.BigEndian.AppendUint64(b, k.Seq)
}

// ticketBounds returns the bounds of the ticket keys.
func (c *core) ticketBounds() (lower, upper []byte) {
	lower = append(append([]byte(nil), c.prefix...), kindTicket)
	upper = append(append([]byte(nil), c.prefix...), kindTicket+1)
	return lower, upper
}

func (c *core) seqKey() []byte { return append(append([]byte(nil), c.prefix...), kindSeq) }

// decodeKey returns the key of a ticket key.
func (c *core) decodeKey(b []byte) (key, bool) {
	if len(b) != keyLen(c.prefix) {
		return key{}, false
	}
	b = b[len(c.prefix)+1:]
	return key{At: int64(binary.BigEndian.Uint64(b) ^ 1<<63), Seq: binary.BigEndian.Uint64(b[8:])}, true
}

// valueLen is the most appendValue appends for e.
func valueLen(e *entry) int {
	return 1 + binary.MaxVarintLen64 + 1 + binary.MaxVarintLen64 + binary.MaxVarintLen32 + binary.MaxVarintLen32 + len(e.Val.id)
}

func appendValue(b []byte, e *entry) []byte {
	b = append(b, ticketV1)
	b = binary.AppendUvarint(b, e.Val.rev)
	var flags byte
	if e.Val.hasDue {
		flags |= flagDue
	}
	b = append(b, flags)
	if e.Val.hasDue {
		b = binary.AppendVarint(b, e.Val.due)
	}
	b = binary.AppendUvarint(b, uint64(e.Val.deliv))
	b = binary.AppendUvarint(b, uint64(len(e.Val.id)))
	return append(b, e.Val.id...)
}

// decodeEntry returns the entry stored under k with value v.
func decodeEntry(k key, v []byte) (*entry, error) {
	if len(v) < 1 || v[0] != ticketV1 {
		return nil, errCorrupt
	}
	v = v[1:]
	e := &entry{Key: k}
	var n int
	if e.Val.rev, n = binary.Uvarint(v); n <= 0 {
		return nil, errCorrupt
	}
	v = v[n:]
	if len(v) < 1 {
		return nil, errCorrupt
	}
	flags := v[0]
	v = v[1:]
	if flags&flagDue != 0 {
		if e.Val.due, n = binary.Varint(v); n <= 0 {
			return nil, errCorrupt
		}
		e.Val.hasDue = true
		v = v[n:]
	}
	deliv, n := binary.Uvarint(v)
	if n <= 0 || deliv > math.MaxInt32 {
		return nil, errCorrupt
	}
	e.Val.deliv = int32(deliv)
	v = v[n:]
	l, n := binary.Uvarint(v)
	if n <= 0 || l == 0 || l > uint64(len(v)-n) {
		return nil, errCorrupt
	}
	e.Val.id = string(v[n : n+int(l)])
	return e, nil
}
