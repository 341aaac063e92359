package store

import (
	"testing"
	"unsafe"
)

// The upstream index held in memory keeps its own copies of the route and
// key: a caller's strings may share the memory of a PDU that is reused once
// handled.
func TestTrackerKeepsCopies(t *testing.T) {
	tr := newTracker()
	buf := []byte("simAB12CD")
	route := unsafe.String(&buf[0], 3)
	key := unsafe.String(&buf[3], 6)
	tr.mapped(route, key, "0000000000000001", true)
	copy(buf, "xxxxxxxxx") // the PDU's memory reused
	if id, ok := tr.lookup("sim", "AB12CD"); !ok || id != "0000000000000001" {
		t.Fatalf("lookup after the caller's memory changed: %q, %v; want the id", id, ok)
	}
}

// Matching a receipt against the index in memory costs no allocation.
func TestTrackerLookupAllocs(t *testing.T) {
	tr := newTracker()
	tr.mapped("sim", "AB12CD", "0000000000000001", true)
	route, key := string([]byte("sim")), string([]byte("AB12CD"))
	if n := testing.AllocsPerRun(100, func() {
		if _, ok := tr.lookup(route, key); !ok {
			t.Fatal("not found")
		}
	}); n != 0 {
		t.Fatalf("lookup: %.1f allocations, want 0", n)
	}
}
