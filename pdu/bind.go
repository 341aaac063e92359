package pdu

import "github.com/esmsafrica/smpp/tlv"

// Bind is bind_transmitter, bind_receiver or bind_transceiver, chosen by ID.
type Bind struct {
	// ID is BindTransmitterID, BindReceiverID or BindTransceiverID. The zero
	// value encodes as bind_transceiver.
	ID               CommandID
	SystemID         string // system_id, at most 15 characters: the ESME's login
	Password         string // password, at most 8 characters
	SystemType       string // system_type, at most 12 characters; empty is usual
	InterfaceVersion uint8  // interface_version: 0x34 for SMPP 3.4; zero means 0x00 (3.3)
	AddrTON          uint8  // addr_ton of AddressRange
	AddrNPI          uint8  // addr_npi of AddressRange
	AddressRange     string // address_range, at most 40 characters; empty is usual
}

// CommandID returns b.ID, or BindTransceiverID when it is zero.
func (b *Bind) CommandID() CommandID {
	if b.ID == 0 {
		return BindTransceiverID
	}
	return b.ID
}

// Response returns an empty response body of the matching type.
func (b *Bind) Response(systemID string) *BindResp {
	return &BindResp{ID: b.CommandID().Response(), SystemID: systemID}
}

// BindResp is bind_transmitter_resp, bind_receiver_resp or bind_transceiver_resp.
type BindResp struct {
	// ID is the response id; the zero value encodes as bind_transceiver_resp.
	ID       CommandID
	SystemID string   // system_id of the SMSC, at most 15 characters
	TLVs     tlv.List // optional parameters: sc_interface_version

	// BodyOnError makes AppendPDU write the body (system_id and TLVs) also
	// when the command_status is not ESME_ROK. SMPP 3.4 leaves the body out
	// of an error bind_resp but allows it, and some ESMEs need it: gosmpp
	// reads system_id from every bind_transceiver_resp and reports EOF
	// instead of the status when there is none (while it reads the body of
	// an error bind_transmitter_resp or bind_receiver_resp as TLVs, and
	// fails on a system_id there). The zero value writes an error bind_resp
	// header-only, as most SMSCs do. It is not on the wire: decoding leaves
	// it as it was.
	BodyOnError bool
}

// CommandID returns r.ID, or BindTransceiverRespID when it is zero.
func (r *BindResp) CommandID() CommandID {
	if r.ID == 0 {
		return BindTransceiverRespID
	}
	return r.ID
}

// Outbind is outbind, sent by an SMSC to ask the ESME to bind as a receiver.
type Outbind struct {
	SystemID string // system_id of the SMSC, at most 15 characters
	Password string // password, at most 8 characters
}

// clone copies a string out of a decode buffer.
func clone(s string) string {
	if s == "" {
		return ""
	}
	return string([]byte(s))
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// cloneSlice copies a list of entries (submit_multi's dest_address,
// submit_multi_resp's unsuccess_sme) and the strings they hold.
func cloneSlice[E any, P interface {
	*E
	cloneFields()
}](s []E) []E {
	if s == nil {
		return nil
	}
	c := make([]E, len(s))
	copy(c, s)
	for i := range c {
		P(&c[i]).cloneFields()
	}
	return c
}
