package deliveries

import (
	"bytes"
	"testing"
	"time"
)

// TestValueCodec: a value round trips with and without a Bind, and a value
// as the version before Bind wrote it (bytes from that encoder) decodes
// with none, so a data dir kept from it is still read.
func TestValueCodec(t *testing.T) {
	created := time.Unix(1700000000, 1)
	old := []byte{0x1, 0x1, 0x80, 0xc4, 0x9f, 0xd5, 0xc, 0x1, 0x3, 'd', 'l', 'r'}
	d, err := decodeValue(old, "acct", 9)
	if err != nil || d.Account != "acct" || d.Seq != 9 || !d.Created.Equal(created) || string(d.Body) != "dlr" || d.Bind != "" {
		t.Fatalf("value before Bind: %+v, %v", d, err)
	}
	for _, want := range []*Delivery{
		{Account: "acct", Seq: 9, Body: []byte("dlr"), Created: created},
		{Account: "acct", Seq: 9, Body: []byte("dlr"), Created: created, Bind: "3.9f2c01d4.17"},
		{Account: "acct", Seq: 9, Bind: "b"},
	} {
		b := appendValue(nil, want)
		if len(b) > valueLen(want) {
			t.Fatalf("value of %d bytes, valueLen %d", len(b), valueLen(want))
		}
		if want.Bind == "" && want.Body != nil && !bytes.Equal(b, old) {
			t.Fatalf("value without a bind %x, want the old layout %x", b, old)
		}
		if body := bodyIn(append([]byte("key"), b...), want); !bytes.Equal(body, want.Body) {
			t.Fatalf("bodyIn: %q, want %q", body, want.Body)
		}
		got, err := decodeValue(b, "acct", 9)
		if err != nil || got.Bind != want.Bind || !bytes.Equal(got.Body, want.Body) || !got.Created.Equal(want.Created) {
			t.Fatalf("round trip of %+v: %+v, %v", want, got, err)
		}
		for i := 0; i < len(b); i++ {
			if want.Bind != "" && i == len(b)-len(want.Bind)-1 {
				continue // the value without its bind
			}
			if _, err := decodeValue(b[:i], "acct", 9); err == nil {
				t.Fatalf("%+v truncated to %d bytes decoded", want, i)
			}
		}
	}
	if _, err := decodeValue(append(old, 5, 'a'), "acct", 9); err == nil {
		t.Fatal("a bind longer than the value decoded")
	}
}

// TestPebbleKeepsBind: a delivery with a Bind, added or staged, is handed
// out from memory with its own body and bind (the queue keeps the body of
// its value, which the bind follows).
func TestPebbleKeepsBind(t *testing.T) {
	q, err := OpenPebble(openTestDB(t), PebbleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.Add(t.Context(), &Delivery{Account: "a", Body: []byte("added"), Bind: "1.0a0b0c0d.1"}); err != nil {
		t.Fatal(err)
	}
	s, err := q.Stage(&Delivery{Account: "a", Body: []byte("staged"), Bind: "1.0a0b0c0d.2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.c.db.Set(s.Key, s.Value, nil); err != nil {
		t.Fatal(err)
	}
	s.Done(nil)
	cs := claimNow(t, q, "a")
	if len(cs) != 2 {
		t.Fatalf("claimed %d, want 2", len(cs))
	}
	for i, want := range []Delivery{{Body: []byte("added"), Bind: "1.0a0b0c0d.1"}, {Body: []byte("staged"), Bind: "1.0a0b0c0d.2"}} {
		if d := cs[i].Delivery(); string(d.Body) != string(want.Body) || d.Bind != want.Bind {
			t.Errorf("claim %d: body %q bind %q, want %q %q", i, d.Body, d.Bind, want.Body, want.Bind)
		}
	}
}
