package store

import "github.com/esmsafrica/smpp/pdu"

// MessageState returns SMPP's message_state for a message in state s, as
// query_sm answers it and the gateway's own receipts carry it: a message
// not yet final is ENROUTE whether it waits in the gateway or upstream, and
// a state SMPP has no name for is UNKNOWN.
func (s State) MessageState() pdu.MessageState {
	switch s {
	case Queued, Inflight, Enroute:
		return pdu.StateEnroute
	case Delivered:
		return pdu.StateDelivered
	case Expired:
		return pdu.StateExpired
	case Deleted:
		return pdu.StateDeleted
	case Undeliverable:
		return pdu.StateUndeliverable
	case Accepted:
		return pdu.StateAccepted
	case Rejected:
		return pdu.StateRejected
	}
	return pdu.StateUnknown
}

// StateOf returns the state of a message whose SMSC's receipt carries
// message_state s: ENROUTE and SCHEDULED (a receipt that is not final) are
// Enroute, a state with no counterpart here is Unknown.
func StateOf(s pdu.MessageState) State {
	switch s {
	case pdu.StateDelivered:
		return Delivered
	case pdu.StateExpired:
		return Expired
	case pdu.StateDeleted:
		return Deleted
	case pdu.StateUndeliverable:
		return Undeliverable
	case pdu.StateAccepted:
		return Accepted
	case pdu.StateRejected:
		return Rejected
	case pdu.StateEnroute, pdu.StateScheduled:
		return Enroute
	}
	return Unknown
}
