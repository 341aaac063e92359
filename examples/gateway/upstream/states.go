package upstream

import (
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

// stateOf maps the message_state of an upstream's receipt to the message's
// state (store.StateOf).
func stateOf(s pdu.MessageState) store.State { return store.StateOf(s) }
