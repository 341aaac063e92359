package deliveries

import (
	"encoding/binary"
	"time"
)

// Key layout, under the queue's prefix (the store's 'd'):
//
//	<prefix> <uvarint len account> <account> <seq BE8>  -> delivery (value below)
//	<prefix> 0x00                                       -> highest Seq reserved (BE8),
//	                                                       unless PebbleOptions.SeqKey
//
// An account's deliveries sort by Seq, and the accounts sit apart (the
// length prefix keeps "a" from being a prefix of "ab"'s keys); no account
// is empty, so no delivery key is the counter's. Every delivery key is
// written once (Seqs are never reused), so it is removed with a single
// delete. This is the layout of the store's deliveries before this
// package, kept, with the counter at the store's "s" (PebbleOptions.SeqKey).
//
// Value layout: a version byte, a byte that says whether Created follows,
// Created as varint(Unix seconds) and uvarint(nanoseconds), then
// uvarint(len(body)) and the body, then, when not empty, uvarint(len(bind))
// and the bind. The bind came later: a value without it (any value written
// before it existed, and the value of a delivery without one) decodes with
// Bind empty, and a reader that predates it ignores it (it stopped at the
// body), so the version byte stayed.
const deliveryV1 = 1

func appendPrefix(b, prefix []byte, account string) []byte {
	b = append(b, prefix...)
	b = binary.AppendUvarint(b, uint64(len(account)))
	return append(b, account...)
}

func appendKey(b, prefix []byte, account string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(appendPrefix(b, prefix, account), seq)
}

func keyLen(prefix []byte, account string) int {
	return len(prefix) + binary.MaxVarintLen64 + len(account) + 8
}

func seqKey(prefix []byte) []byte { return append(append([]byte(nil), prefix...), 0) }

// splitKey returns the account and Seq of a delivery key.
func splitKey(prefix, k []byte) (account []byte, seq uint64, ok bool) {
	k = k[len(prefix):]
	n, w := binary.Uvarint(k)
	if w <= 0 || n == 0 || uint64(len(k)-w) != n+8 {
		return nil, 0, false
	}
	k = k[w:]
	return k[:n], binary.BigEndian.Uint64(k[n:]), true
}

func valueLen(d *Delivery) int {
	return 2 + 2*binary.MaxVarintLen64 + 2*binary.MaxVarintLen64 + len(d.Body) + len(d.Bind)
}

func appendValue(b []byte, d *Delivery) []byte {
	b = append(b, deliveryV1)
	if d.Created.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, d.Created.Unix())
		b = binary.AppendUvarint(b, uint64(d.Created.Nanosecond()))
	}
	b = binary.AppendUvarint(b, uint64(len(d.Body)))
	b = append(b, d.Body...)
	if d.Bind != "" {
		b = binary.AppendUvarint(b, uint64(len(d.Bind)))
		b = append(b, d.Bind...)
	}
	return b
}

// bodyIn returns the body of d within v, the value appendValue wrote of d
// (at the end of v): the queue keeps it rather than the caller's.
func bodyIn(v []byte, d *Delivery) []byte {
	end := len(v)
	if d.Bind != "" {
		end -= len(binary.AppendUvarint(nil, uint64(len(d.Bind)))) + len(d.Bind)
	}
	return v[end-len(d.Body) : end : end]
}

// decodeValue decodes a value written by appendValue. The body is a copy.
func decodeValue(v []byte, account string, seq uint64) (*Delivery, error) {
	d := new(Delivery)
	if err := decodeValueInto(d, v, account, seq); err != nil {
		return nil, err
	}
	return d, nil
}

// decodeValueInto is decodeValue into *d, which it overwrites.
func decodeValueInto(d *Delivery, v []byte, account string, seq uint64) error {
	if len(v) < 2 || v[0] != deliveryV1 {
		return errCorrupt
	}
	*d = Delivery{Account: account, Seq: seq}
	hasCreated := v[1] != 0
	v = v[2:]
	if hasCreated {
		sec, n := binary.Varint(v)
		if n <= 0 {
			return errCorrupt
		}
		v = v[n:]
		nsec, n := binary.Uvarint(v)
		if n <= 0 || nsec >= 1e9 {
			return errCorrupt
		}
		v = v[n:]
		d.Created = time.Unix(sec, int64(nsec))
	}
	l, n := binary.Uvarint(v)
	if n <= 0 || l > uint64(len(v)-n) {
		return errCorrupt
	}
	if l > 0 {
		d.Body = append([]byte(nil), v[n:n+int(l)]...)
	}
	if v = v[n+int(l):]; len(v) > 0 {
		l, n := binary.Uvarint(v)
		if n <= 0 || l > uint64(len(v)-n) {
			return errCorrupt
		}
		d.Bind = string(v[n : n+int(l)])
	}
	return nil
}
