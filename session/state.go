package session

import "github.com/esmsafrica/smpp/pdu"

// Role is the side of the connection a Session plays.
type Role uint8

const (
	// ESME is the client role: it binds, submits and receives deliveries.
	ESME Role = iota + 1
	// SMSC is the server role: it accepts binds and delivers to receivers.
	SMSC
)

// String returns "ESME" or "SMSC".
func (r Role) String() string {
	switch r {
	case ESME:
		return "ESME"
	case SMSC:
		return "SMSC"
	}
	return "Role(?)"
}

// peer returns the other role.
func (r Role) peer() Role {
	if r == ESME {
		return SMSC
	}
	return ESME
}

// State is a session state of SMPP 3.4 (plus OUTBOUND and UNBOUND of SMPP 5.0,
// which name the outbind phase and the time between unbind and close).
type State uint32

// The session states.
const (
	Open     State = iota + 1 // connected, not bound
	Outbound                  // SMSC sent outbind, waiting for the ESME's bind
	BoundTX                   // bound as transmitter
	BoundRX                   // bound as receiver
	BoundTRX                  // bound as transceiver
	Unbound                   // unbind sent or received; closing
	Closed                    // connection closed
)

var stateNames = [...]string{"", "OPEN", "OUTBOUND", "BOUND_TX", "BOUND_RX", "BOUND_TRX", "UNBOUND", "CLOSED"}

// String returns the state's spec name ("BOUND_TRX").
func (s State) String() string {
	if int(s) < len(stateNames) && s != 0 {
		return stateNames[s]
	}
	return "State(?)"
}

// Bound reports whether s is one of the three bound states.
func (s State) Bound() bool { return s == BoundTX || s == BoundRX || s == BoundTRX }

// CanTransmit reports whether an ESME in this state may submit.
func (s State) CanTransmit() bool { return s == BoundTX || s == BoundTRX }

// CanReceive reports whether an SMSC may deliver to an ESME in this state.
func (s State) CanReceive() bool { return s == BoundRX || s == BoundTRX }

// BoundState returns the state a successful bind with command id id leads to.
func BoundState(id pdu.CommandID) State {
	switch id.Request() {
	case pdu.BindTransmitterID:
		return BoundTX
	case pdu.BindReceiverID:
		return BoundRX
	case pdu.BindTransceiverID:
		return BoundTRX
	}
	return 0
}

// Allowed reports whether a peer in role from may send the request id while the
// session is in state st. It follows the practical enforcement table of the
// spec reference (smpp34-pdus.md §4.3): replace_sm is allowed on a transceiver,
// data_sm from an ESME needs a transmitting bind, and enquire_link is tolerated
// before bind. Responses are always allowed: they are matched by sequence.
func Allowed(from Role, st State, id pdu.CommandID) bool {
	if id.IsResponse() {
		return true
	}
	switch id {
	case pdu.EnquireLinkID:
		return st != Closed
	case pdu.UnbindID:
		return st.Bound()
	}
	if from == ESME {
		switch id {
		case pdu.BindTransmitterID, pdu.BindReceiverID, pdu.BindTransceiverID:
			return st == Open || st == Outbound
		case pdu.SubmitSMID, pdu.SubmitMultiID, pdu.QuerySMID, pdu.CancelSMID, pdu.ReplaceSMID, pdu.DataSMID:
			return st.CanTransmit()
		}
		return false
	}
	switch id {
	case pdu.OutbindID:
		return st == Open
	case pdu.DeliverSMID, pdu.DataSMID, pdu.AlertNotificationID:
		return st.CanReceive()
	}
	return false
}
