package jsstore

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// FuzzRecord: a record's value decodes to what was encoded, and any bytes
// decode without a panic, to a record that encodes back to the same value
// (or to errCorrupt).
func FuzzRecord(f *testing.F) {
	m := &store.Message{ID: "0000000000000001", Account: "acct", Command: 4, Body: []byte("hi"),
		State: store.Enroute, Route: "r", UpstreamID: "UP", Created: time.Unix(1700000000, 5), Rev: 3}
	f.Add(appendRecord(nil, &record{m: m, refs: []ref{{"r", "up"}, {"", "x"}}}))
	f.Add(appendRecord(nil, &record{m: &store.Message{ID: "a"}}))
	f.Add(appendRecord(nil, &record{m: m, refs: []ref{{"r", "up"}}, idx: true}))
	f.Add(appendRecord(nil, &record{m: m, out: &outbox{d: store.Delivery{Account: "acct", Body: []byte("r"), Created: time.Unix(5, 6)}, at: time.Unix(7, 8)}}))
	f.Add([]byte{recordV1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		again, err := decodeRecord(appendRecord(nil, r))
		if err != nil {
			t.Fatalf("a decoded record does not decode once encoded again: %v", err)
		}
		if !slices.Equal(again.refs, r.refs) || again.idx != r.idx || !bytes.Equal(store.AppendMessage(nil, again.m), store.AppendMessage(nil, r.m)) ||
			(again.out == nil) != (r.out == nil) || again.out != nil && (again.out.d.Account != r.out.d.Account ||
			!bytes.Equal(again.out.d.Body, r.out.d.Body) || !again.out.d.Created.Equal(r.out.d.Created) || !again.out.at.Equal(r.out.at)) {
			t.Fatalf("round trip changed the record: %+v -> %+v", r, again)
		}
	})
}

// TestRecordRoundTrip: every field and every index entry survive.
func TestRecordRoundTrip(t *testing.T) {
	m := &store.Message{ID: "id", Account: "a", Command: 0x103, Body: []byte{0, 1, 2}, Source: "s", Dest: "d",
		Registered: 1, State: store.Delivered, Route: "r2", UpstreamID: "U", Attempts: 2, Error: 8,
		Created: time.Unix(10, 1), Expires: time.Unix(20, 2), NextTry: time.Unix(30, 3), Done: time.Unix(40, 4), Rev: 9,
		Bind: "2.0a0b0c0d.5"}
	refs := []ref{{"r1", "a"}, {"r2", "u"}}
	out := &outbox{d: store.Delivery{Account: "acct", Body: []byte("receipt"), Created: time.Unix(50, 5)}, at: time.Unix(60, 6)}
	got, err := decodeRecord(appendRecord(nil, &record{m: m, refs: refs, out: out, idx: true}))
	if err != nil {
		t.Fatal(err)
	}
	if !got.idx {
		t.Fatal("the index flag did not survive")
	}
	if got.out == nil || got.out.d.Account != "acct" || string(got.out.d.Body) != "receipt" ||
		!got.out.d.Created.Equal(out.d.Created) || !got.out.at.Equal(out.at) || got.out.d.Bind != m.Bind {
		t.Fatalf("outbox round trip (its Bind the message's): %+v", got.out)
	}
	if !slices.Equal(got.refs, refs) || got.m.Rev != 9 || !got.m.Done.Equal(m.Done) || string(got.m.Body) != "\x00\x01\x02" ||
		got.m.Route != "r2" || got.m.Attempts != 2 || got.m.Command != 0x103 || got.m.Bind != m.Bind {
		t.Fatalf("round trip: %+v %v", got.m, got.refs)
	}
	for _, bad := range [][]byte{nil, {2}, {recordV1}, {recordV1, 5, 1}} {
		if _, err := decodeRecord(bad); err == nil {
			t.Errorf("decodeRecord(%x) succeeded", bad)
		}
	}
}

// TestKeys: any id and any (route, upstream id) make valid, distinct keys.
func TestKeys(t *testing.T) {
	seen := map[string]string{}
	for _, id := range []string{"0000000000000001", "a", "with space", "=x", "a.b", "é", "-_"} {
		k := recordKey(id)
		if !validKey(k) {
			t.Errorf("recordKey(%q) = %q, not a valid key", id, k)
		}
		if other, ok := seen[k]; ok {
			t.Errorf("ids %q and %q share key %q", id, other, k)
		}
		seen[k] = id
	}
	for _, c := range [][2]string{{"r", "1a1b"}, {"r1", "a1b"}, {"", "r1a1b"}, {"r.x", "a b"}} {
		if k := indexKey(c[0], c[1]); !validKey(k) {
			t.Errorf("indexKey(%q, %q) = %q, not a valid key", c[0], c[1], k)
		}
	}
	if indexKey("r", "1a1b") == indexKey("r1", "a1b") {
		t.Error("routes that are prefixes of each other share keys")
	}
}

// validKey reports whether k is a KV key: dot-separated tokens of
// [-/_=A-Za-z0-9], none empty.
func validKey(k string) bool {
	if k == "" || k[0] == '.' || k[len(k)-1] == '.' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=' || c == '/' ||
			c == '.' && k[i-1] != '.'
		if !ok {
			return false
		}
	}
	return true
}
