package store_test

import (
	"testing"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

func TestMessageState(t *testing.T) {
	for _, c := range []struct {
		s    store.State
		want pdu.MessageState
	}{
		{store.Queued, pdu.StateEnroute},
		{store.Inflight, pdu.StateEnroute},
		{store.Enroute, pdu.StateEnroute},
		{store.Delivered, pdu.StateDelivered},
		{store.Expired, pdu.StateExpired},
		{store.Deleted, pdu.StateDeleted},
		{store.Undeliverable, pdu.StateUndeliverable},
		{store.Accepted, pdu.StateAccepted},
		{store.Unknown, pdu.StateUnknown},
		{store.Rejected, pdu.StateRejected},
		{0, pdu.StateUnknown},
		{store.Rejected + 1, pdu.StateUnknown},
	} {
		if got := c.s.MessageState(); got != c.want {
			t.Errorf("State(%d).MessageState() = %v, want %v", c.s, got, c.want)
		}
	}
}

func TestStateOf(t *testing.T) {
	for _, c := range []struct {
		s    pdu.MessageState
		want store.State
	}{
		{pdu.StateScheduled, store.Enroute},
		{pdu.StateEnroute, store.Enroute},
		{pdu.StateDelivered, store.Delivered},
		{pdu.StateExpired, store.Expired},
		{pdu.StateDeleted, store.Deleted},
		{pdu.StateUndeliverable, store.Undeliverable},
		{pdu.StateAccepted, store.Accepted},
		{pdu.StateUnknown, store.Unknown},
		{pdu.StateRejected, store.Rejected},
		{pdu.StateSkipped, store.Unknown},
		{200, store.Unknown},
	} {
		if got := store.StateOf(c.s); got != c.want {
			t.Errorf("StateOf(%v) = %d, want %d", c.s, got, c.want)
		}
	}
}

// TestStateRoundTrip: every final state SMPP names comes back from its
// message_state as itself, so that a receipt the gateway makes from a record
// reads back as the record's state.
func TestStateRoundTrip(t *testing.T) {
	for s := store.Delivered; s <= store.Rejected; s++ {
		if got := store.StateOf(s.MessageState()); got != s {
			t.Errorf("StateOf(%d.MessageState()) = %d", s, got)
		}
	}
}
