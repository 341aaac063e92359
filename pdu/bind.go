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

// AppendBinary appends the body to dst.
func (b *Bind) AppendBinary(dst []byte) ([]byte, error) {
	e := newEncoder(dst, b.CommandID())
	e.cstring("system_id", b.SystemID, 16, ESME_RINVSYSID)
	e.cstring("password", b.Password, 9, ESME_RINVPASWD)
	e.cstring("system_type", b.SystemType, 13, ESME_RINVSYSTYP)
	e.u8(b.InterfaceVersion)
	e.u8(b.AddrTON)
	e.u8(b.AddrNPI)
	e.cstring("address_range", b.AddressRange, 41, ESME_RINVPARLEN)
	return e.done()
}

// UnmarshalBinary decodes body strictly; strings alias body.
func (b *Bind) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: b.CommandID()}
	b.decode(&d)
	return d.err
}

func (b *Bind) decode(d *decoder) {
	b.SystemID = d.cstring("system_id", 16, ESME_RINVSYSID, false)
	b.Password = d.cstring("password", 9, ESME_RINVPASWD, false)
	b.SystemType = d.cstring("system_type", 13, ESME_RINVSYSTYP, false)
	b.InterfaceVersion = d.u8("interface_version")
	b.AddrTON = d.u8("addr_ton")
	b.AddrNPI = d.u8("addr_npi")
	b.AddressRange = d.cstring("address_range", 41, ESME_RINVPARLEN, true)
	d.end()
}

// Clone returns a copy that shares no memory with b.
func (b *Bind) Clone() *Bind {
	c := *b
	c.SystemID = clone(b.SystemID)
	c.Password = clone(b.Password)
	c.SystemType = clone(b.SystemType)
	c.AddressRange = clone(b.AddressRange)
	return &c
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
}

// CommandID returns r.ID, or BindTransceiverRespID when it is zero.
func (r *BindResp) CommandID() CommandID {
	if r.ID == 0 {
		return BindTransceiverRespID
	}
	return r.ID
}

// AppendBinary appends the body to dst.
func (r *BindResp) AppendBinary(dst []byte) ([]byte, error) {
	e := newEncoder(dst, r.CommandID())
	e.cstring("system_id", r.SystemID, 16, ESME_RINVSYSID)
	e.tlvs(r.TLVs)
	return e.done()
}

// UnmarshalBinary decodes body; an empty body (an error response) is accepted.
func (r *BindResp) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: r.CommandID()}
	r.decode(&d)
	return d.err
}

func (r *BindResp) decode(d *decoder) {
	r.SystemID = ""
	r.TLVs = r.TLVs[:0]
	if len(d.src) == 0 {
		return
	}
	r.SystemID = d.cstring("system_id", 16, ESME_RINVSYSID, true)
	r.TLVs = d.tlvs(r.TLVs)
}

// Clone returns a copy that shares no memory with r.
func (r *BindResp) Clone() *BindResp {
	c := *r
	c.SystemID = clone(r.SystemID)
	c.TLVs = r.TLVs.Clone()
	return &c
}

// Outbind is outbind, sent by an SMSC to ask the ESME to bind as a receiver.
type Outbind struct {
	SystemID string // system_id of the SMSC, at most 15 characters
	Password string // password, at most 8 characters
}

// CommandID returns OutbindID.
func (*Outbind) CommandID() CommandID { return OutbindID }

// AppendBinary appends the body to dst.
func (o *Outbind) AppendBinary(dst []byte) ([]byte, error) {
	e := newEncoder(dst, OutbindID)
	e.cstring("system_id", o.SystemID, 16, ESME_RINVSYSID)
	e.cstring("password", o.Password, 9, ESME_RINVPASWD)
	return e.done()
}

// UnmarshalBinary decodes body strictly; strings alias body.
func (o *Outbind) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: o.CommandID()}
	o.decode(&d)
	return d.err
}

func (o *Outbind) decode(d *decoder) {
	o.SystemID = d.cstring("system_id", 16, ESME_RINVSYSID, false)
	o.Password = d.cstring("password", 9, ESME_RINVPASWD, true)
	d.end()
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
