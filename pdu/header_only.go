package pdu

// The PDUs below are only a header: their bodies are empty structs, whose
// methods are generated (zpdu.go).

// Unbind is unbind, sent by either side to end the session.
type Unbind struct{}

// UnbindResp is unbind_resp.
type UnbindResp struct{}

// EnquireLink is enquire_link, the keep-alive sent by either side.
type EnquireLink struct{}

// EnquireLinkResp is enquire_link_resp.
type EnquireLinkResp struct{}

// GenericNack is generic_nack: the answer to a PDU that could not be processed at
// the header level. Its header carries the status and the offending sequence.
type GenericNack struct{}

// CancelSMResp is cancel_sm_resp.
type CancelSMResp struct{}

// ReplaceSMResp is replace_sm_resp.
type ReplaceSMResp struct{}
