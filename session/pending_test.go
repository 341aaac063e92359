package session

import (
	"testing"

	"github.com/esmsafrica/smpp/pdu"
)

func pendingCall(seq uint32) *Call {
	return &Call{req: &pdu.SubmitSM{}, seq: seq}
}

// A request whose slot is still taken by an older one goes to the overflow
// map, and both are found by their sequence numbers.
func TestPendingTableOverflow(t *testing.T) {
	tb := newPendingTable(8) // 16 slots
	old := pendingCall(3)
	if !tb.put(old) {
		t.Fatal("put refused")
	}
	newer := pendingCall(3 + 16) // the same slot
	if !tb.put(newer) {
		t.Fatal("put refused")
	}
	if tb.overflow.Load() != 1 {
		t.Fatalf("overflow %d, want 1", tb.overflow.Load())
	}
	// A response of the wrong type leaves the request where it was.
	if c := tb.take(19, pdu.QuerySMRespID); c != nil {
		t.Fatal("query_sm_resp matched a submit_sm")
	}
	if c := tb.take(19, pdu.SubmitSMRespID); c != newer {
		t.Fatalf("take 19: %v", c)
	}
	if c := tb.take(19, pdu.SubmitSMRespID); c != nil {
		t.Fatal("taken twice")
	}
	if c := tb.take(3, pdu.GenericNackID); c != old {
		t.Fatalf("take 3: %v", c)
	}
	// remove, removeIf and closeAll.
	a, b := pendingCall(5), pendingCall(21)
	tb.put(a)
	tb.put(b)
	if !tb.remove(b) || tb.remove(b) {
		t.Fatal("remove from overflow")
	}
	tb.put(b)
	got := tb.removeIf(func(c *Call) bool { return c.seq == 21 })
	if len(got) != 1 || got[0] != b {
		t.Fatalf("removeIf: %v", got)
	}
	tb.put(b)
	all := tb.closeAll()
	if len(all) != 2 {
		t.Fatalf("closeAll returned %d calls, want 2", len(all))
	}
	if tb.put(pendingCall(7)) {
		t.Fatal("put after closeAll accepted")
	}
	if tb.overN.Load() != 0 {
		t.Fatalf("overflow entries left: %d", tb.overN.Load())
	}
}
