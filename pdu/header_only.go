package pdu

// headerOnly implements the bodies that have no fields.
type headerOnly struct{}

// AppendBinary appends nothing: the PDU is its header.
func (headerOnly) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }

func (headerOnly) decodeEmpty(d *decoder) { d.end() }

// Unbind is unbind, sent by either side to end the session.
type Unbind struct{ headerOnly }

// UnbindResp is unbind_resp.
type UnbindResp struct{ headerOnly }

// EnquireLink is enquire_link, the keep-alive sent by either side.
type EnquireLink struct{ headerOnly }

// EnquireLinkResp is enquire_link_resp.
type EnquireLinkResp struct{ headerOnly }

// GenericNack is generic_nack: the answer to a PDU that could not be processed at
// the header level. Its header carries the status and the offending sequence.
type GenericNack struct{ headerOnly }

// CancelSMResp is cancel_sm_resp.
type CancelSMResp struct{ headerOnly }

// ReplaceSMResp is replace_sm_resp.
type ReplaceSMResp struct{ headerOnly }

// CommandID returns UnbindID.
func (*Unbind) CommandID() CommandID { return UnbindID }

// CommandID returns UnbindRespID.
func (*UnbindResp) CommandID() CommandID { return UnbindRespID }

// CommandID returns EnquireLinkID.
func (*EnquireLink) CommandID() CommandID { return EnquireLinkID }

// CommandID returns EnquireLinkRespID.
func (*EnquireLinkResp) CommandID() CommandID { return EnquireLinkRespID }

// CommandID returns GenericNackID.
func (*GenericNack) CommandID() CommandID { return GenericNackID }

// CommandID returns CancelSMRespID.
func (*CancelSMResp) CommandID() CommandID { return CancelSMRespID }

// CommandID returns ReplaceSMRespID.
func (*ReplaceSMResp) CommandID() CommandID { return ReplaceSMRespID }

// UnmarshalBinary checks that body is empty.
func (p *Unbind) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: p.CommandID()}
	p.decode(&d)
	return d.err
}

// UnmarshalBinary checks that body is empty.
func (p *UnbindResp) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: p.CommandID()}
	p.decode(&d)
	return d.err
}

// UnmarshalBinary checks that body is empty.
func (p *EnquireLink) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: p.CommandID()}
	p.decode(&d)
	return d.err
}

// UnmarshalBinary checks that body is empty.
func (p *EnquireLinkResp) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: p.CommandID()}
	p.decode(&d)
	return d.err
}

// UnmarshalBinary checks that body is empty.
func (p *GenericNack) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: p.CommandID()}
	p.decode(&d)
	return d.err
}

// UnmarshalBinary checks that body is empty.
func (p *CancelSMResp) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: p.CommandID()}
	p.decode(&d)
	return d.err
}

// UnmarshalBinary checks that body is empty.
func (p *ReplaceSMResp) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: p.CommandID()}
	p.decode(&d)
	return d.err
}

func (p *Unbind) decode(d *decoder)          { p.decodeEmpty(d) }
func (p *UnbindResp) decode(d *decoder)      { p.decodeEmpty(d) }
func (p *EnquireLink) decode(d *decoder)     { p.decodeEmpty(d) }
func (p *EnquireLinkResp) decode(d *decoder) { p.decodeEmpty(d) }
func (p *GenericNack) decode(d *decoder)     { p.decodeEmpty(d) }
func (p *CancelSMResp) decode(d *decoder)    { p.decodeEmpty(d) }
func (p *ReplaceSMResp) decode(d *decoder)   { p.decodeEmpty(d) }
