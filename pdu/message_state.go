package pdu

import "strconv"

// MessageState is the state of a short message, as in query_sm_resp and the
// message_state TLV.
type MessageState uint8

// The message states of SMPP 3.4, plus SCHEDULED and SKIPPED from SMPP 5.0.
const (
	StateScheduled     MessageState = 0 // SMPP 5.0
	StateEnroute       MessageState = 1
	StateDelivered     MessageState = 2
	StateExpired       MessageState = 3
	StateDeleted       MessageState = 4
	StateUndeliverable MessageState = 5
	StateAccepted      MessageState = 6
	StateUnknown       MessageState = 7
	StateRejected      MessageState = 8
	StateSkipped       MessageState = 9 // SMPP 5.0
)

var stateNames = [...]string{"SCHEDULED", "ENROUTE", "DELIVERED", "EXPIRED", "DELETED", "UNDELIVERABLE", "ACCEPTED", "UNKNOWN", "REJECTED", "SKIPPED"}

// The receipt stat: words, indexed by MessageState.
var statWords = [...]string{"SCHEDLD", "ENROUTE", "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD", "SKIPPED"}

// String returns the state's spec name ("DELIVERED").
func (s MessageState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "message_state(" + strconv.Itoa(int(s)) + ")"
}

// Stat returns the seven-letter word a delivery receipt's stat: field uses
// ("DELIVRD"), or "UNKNOWN" for an undefined state.
func (s MessageState) Stat() string {
	if int(s) < len(statWords) {
		return statWords[s]
	}
	return "UNKNOWN"
}

// Final reports whether the state is final: delivered, expired, deleted,
// undeliverable, accepted, rejected or skipped.
func (s MessageState) Final() bool {
	switch s {
	case StateDelivered, StateExpired, StateDeleted, StateUndeliverable, StateAccepted, StateRejected, StateSkipped:
		return true
	}
	return false
}

// StateFromStat maps a receipt stat: word to its state, ignoring case. Words
// outside the table (vendor text) return StateUnknown and false.
func StateFromStat(stat []byte) (MessageState, bool) {
	if len(stat) != 7 {
		switch {
		case equalFold(stat, "DELIVERED"):
			return StateDelivered, true
		case equalFold(stat, "UNDELIVERABLE"):
			return StateUndeliverable, true
		case equalFold(stat, "REJECTED"):
			return StateRejected, true
		}
		return StateUnknown, false
	}
	for i, w := range statWords {
		if equalFold(stat, w) {
			return MessageState(i), true
		}
	}
	return StateUnknown, false
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c, d := b[i], s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if d >= 'a' && d <= 'z' {
			d -= 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}
