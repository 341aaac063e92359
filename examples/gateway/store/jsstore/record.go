package jsstore

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// errCorrupt is returned for a KV value this package did not write.
var errCorrupt = errors.New("gateway jsstore: corrupt record; the bucket holds a value of another program or version")

// recordV1 is the first byte of a record's value.
const recordV1 = 1

// ref is an upstream index entry of a message: (route, upstream key).
type ref struct{ route, key string }

// record is a KV entry of the records bucket: the message (every field, in
// the store package's encoding) and the index entries recorded for it,
// which Purge removes with it.
type record struct {
	m    *store.Message
	refs []ref
	out  *outbox // a receipt written with the final state, not known to be in the deliveries yet
	// idx: the last of refs was written by MapUpstream in this version,
	// its index entry after it; the sweep writes the entry if a crash
	// came between (see sweep.go). The record's next write drops it.
	idx bool
}

// Flags of a record's value, after its index entries.
const (
	flagOutbox = 1 << iota // an outbox follows
	flagIndex              // record.idx
)

// outbox is the delivery UpdateWithDelivery writes in the record with the
// final state, before it adds it to the deliveries, and removes once it is
// there: a record found with one after a while is a crash between the two,
// and the sweep adds the delivery (see sweep.go).
type outbox struct {
	d  store.Delivery // Account, Body, Created; Bind is the message's (Seq is the deliveries')
	at time.Time      // when written, or taken by a sweep
}

// appendRecord appends the value of r to b: a version byte, the message
// as uvarint length and store.AppendMessage bytes, then the number of index
// entries and each one's route and key as uvarint length and bytes.
func appendRecord(b []byte, r *record) []byte {
	msg := store.AppendMessage(nil, r.m)
	b = append(b, recordV1)
	b = binary.AppendUvarint(b, uint64(len(msg)))
	b = append(b, msg...)
	b = binary.AppendUvarint(b, uint64(len(r.refs)))
	for _, f := range r.refs {
		b = appendString(b, f.route)
		b = appendString(b, f.key)
	}
	var flags byte
	if r.idx {
		flags |= flagIndex
	}
	if r.out == nil {
		return append(b, flags)
	}
	b = append(b, flags|flagOutbox)
	b = appendString(b, r.out.d.Account)
	b = binary.AppendUvarint(b, uint64(len(r.out.d.Body)))
	b = append(b, r.out.d.Body...)
	b = binary.AppendVarint(b, timeNano(r.out.d.Created))
	return binary.AppendVarint(b, timeNano(r.out.at))
}

// timeNano is t in Unix nanoseconds, 0 for the zero time.
func timeNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// nanoTime is timeNano's inverse.
func nanoTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeRecord decodes a value written by appendRecord.
func decodeRecord(b []byte) (*record, error) {
	if len(b) == 0 || b[0] != recordV1 {
		return nil, errCorrupt
	}
	b = b[1:]
	msg, b, ok := field(b)
	if !ok {
		return nil, errCorrupt
	}
	m, err := store.DecodeMessage(msg)
	if err != nil {
		return nil, errCorrupt
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errCorrupt
	}
	b = b[k:]
	r := &record{m: m}
	for range n {
		var route, key []byte
		if route, b, ok = field(b); !ok {
			return nil, errCorrupt
		}
		if key, b, ok = field(b); !ok {
			return nil, errCorrupt
		}
		r.refs = append(r.refs, ref{string(route), string(key)})
	}
	if len(b) == 0 {
		return nil, errCorrupt
	}
	flags := b[0]
	b = b[1:]
	if flags&^(flagOutbox|flagIndex) != 0 {
		return nil, errCorrupt
	}
	r.idx = flags&flagIndex != 0
	if flags&flagOutbox == 0 {
		if len(b) != 0 {
			return nil, errCorrupt
		}
		return r, nil
	}
	acct, b, ok := field(b)
	if !ok {
		return nil, errCorrupt
	}
	body, b, ok := field(b)
	if !ok {
		return nil, errCorrupt
	}
	created, k := binary.Varint(b)
	if k <= 0 {
		return nil, errCorrupt
	}
	b = b[k:]
	at, k := binary.Varint(b)
	if k <= 0 || k != len(b) {
		return nil, errCorrupt
	}
	// The outbox holds the receipt of the record's message, for the bind
	// that submitted it: its Bind is the message's, not written twice.
	r.out = &outbox{d: store.Delivery{Account: string(acct), Body: bytes.Clone(body), Created: nanoTime(created), Bind: m.Bind}, at: nanoTime(at)}
	return r, nil
}

// field splits a uvarint-length-prefixed field off b.
func field(b []byte) (f, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}

// hasRef reports whether refs holds f.
func hasRef(refs []ref, f ref) bool { return slices.Contains(refs, f) }

// addRef returns refs with f as the last entry (moved there if it was
// in it): the last is the one MapUpstream wrote latest.
func addRef(refs []ref, f ref) []ref {
	out := make([]ref, 0, len(refs)+1)
	for _, r := range refs {
		if r != f {
			out = append(out, r)
		}
	}
	return append(out, f)
}

// KV keys are tokens of [-/_=.A-Za-z0-9], dot-separated, none empty. A
// message id made only of [-_A-Za-z0-9] (every id of package msgid) is its
// own key; any other is "=" and its base64url encoding, which no plain id
// starts with.
func recordKey(id string) string {
	if plainToken(id) {
		return id
	}
	return "=" + base64.RawURLEncoding.EncodeToString([]byte(id))
}

// indexKey is the key of the index entry (route, upstream key): each part
// as "=" and its base64url encoding (so that an empty route is a token, and
// routes that are prefixes of each other stay apart).
func indexKey(route, key string) string {
	return "=" + base64.RawURLEncoding.EncodeToString([]byte(route)) +
		".=" + base64.RawURLEncoding.EncodeToString([]byte(key))
}

// lastIDKey is the key, in the index bucket, of the greatest id accepted by
// node: it starts with no "=", so no index entry has it.
func lastIDKey(node int) string { return "lastid." + strconv.Itoa(node) }

func plainToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
