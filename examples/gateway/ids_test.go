package main

import (
	"encoding/hex"
	"testing"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// Ids are 16 hexadecimal digits of a 63-bit number, strictly increasing, and
// after a restart greater than every id in the store, even one from a clock
// that ran ahead.
func TestMessageIDsIncrease(t *testing.T) {
	st := store.NewMemory()
	gw := &Gateway{store: st}
	if err := gw.initIDs(); err != nil {
		t.Fatal(err)
	}
	ahead := "7000000000000000" // far in the future of this clock
	if prev := gw.newID(); prev >= ahead {
		t.Fatalf("on an empty store the clock rules: %s", prev)
	}
	// Restarted on a store that holds an id from a clock that ran ahead.
	if err := st.Accept(&store.Message{ID: ahead, Account: "a"}); err != nil {
		t.Fatal(err)
	}
	gw = &Gateway{store: st}
	if err := gw.initIDs(); err != nil {
		t.Fatal(err)
	}
	prev := ahead
	for range 10000 {
		id := gw.newID()
		b, err := hex.DecodeString(id)
		if err != nil || len(b) != 8 || b[0]&0x80 != 0 {
			t.Fatalf("id %q: want 16 hex digits of a 63-bit number", id)
		}
		if id <= prev {
			t.Fatalf("id %s after %s", id, prev)
		}
		prev = id
	}
}
