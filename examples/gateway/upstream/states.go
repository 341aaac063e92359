package upstream

import (
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

// MessageState maps a message's state to SMPP's message_state, as query_sm
// answers it and the gateway's receipts carry it.
func MessageState(s store.State) pdu.MessageState {
	switch s {
	case store.Queued, store.Inflight, store.Enroute:
		return pdu.StateEnroute
	case store.Delivered:
		return pdu.StateDelivered
	case store.Expired:
		return pdu.StateExpired
	case store.Deleted:
		return pdu.StateDeleted
	case store.Undeliverable:
		return pdu.StateUndeliverable
	case store.Accepted:
		return pdu.StateAccepted
	case store.Rejected:
		return pdu.StateRejected
	}
	return pdu.StateUnknown
}

// stateOf maps the message_state of an upstream's receipt to the message's
// state.
func stateOf(s pdu.MessageState) store.State {
	switch s {
	case pdu.StateDelivered:
		return store.Delivered
	case pdu.StateExpired:
		return store.Expired
	case pdu.StateDeleted:
		return store.Deleted
	case pdu.StateUndeliverable:
		return store.Undeliverable
	case pdu.StateAccepted:
		return store.Accepted
	case pdu.StateRejected:
		return store.Rejected
	case pdu.StateEnroute, pdu.StateScheduled:
		return store.Enroute
	}
	return store.Unknown
}
