package jsstore

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"

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
	return b
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

// addRef adds f to refs unless it is there.
func addRef(refs []ref, f ref) []ref {
	if slices.Contains(refs, f) {
		return refs
	}
	return append(slices.Clip(refs), f)
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
