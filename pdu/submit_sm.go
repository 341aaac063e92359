package pdu

import (
	"slices"

	"github.com/esmsafrica/smpp/tlv"
)

// SubmitSM is submit_sm: an ESME submits one short message.
//
// Put the user data in ShortMessage (at most 254 octets, starting with a UDH when
// ESMClass has the UDHI bit 0x40) or in the message_payload TLV, never both.
type SubmitSM struct {
	ServiceType          string   // service_type, at most 5 characters; empty = SMSC default
	SourceAddrTON        uint8    // source_addr_ton (0 unknown, 1 international, 5 alphanumeric...)
	SourceAddrNPI        uint8    // source_addr_npi (0 unknown, 1 ISDN/E.164...)
	SourceAddr           string   // source_addr, at most 20 characters; empty = SMSC default
	DestAddrTON          uint8    // dest_addr_ton
	DestAddrNPI          uint8    // dest_addr_npi
	DestinationAddr      string   // destination_addr, at most 20 characters
	ESMClass             uint8    // esm_class: messaging mode, message type, UDHI 0x40
	ProtocolID           uint8    // protocol_id (GSM TP-PID), usually 0
	PriorityFlag         uint8    // priority_flag 0–3
	ScheduleDeliveryTime string   // schedule_delivery_time: empty (now) or 16 characters
	ValidityPeriod       string   // validity_period: empty (SMSC default) or 16 characters
	RegisteredDelivery   uint8    // registered_delivery: 1 asks for a delivery receipt
	ReplaceIfPresentFlag uint8    // replace_if_present_flag 0 or 1
	DataCoding           uint8    // data_coding: 0 SMSC default, 3 Latin-1, 4 binary, 8 UCS-2...
	SMDefaultMsgID       uint8    // sm_default_msg_id, usually 0
	ShortMessage         []byte   // short_message, at most 254 octets; its length is sm_length
	TLVs                 tlv.List // optional parameters, in wire order
}

// CommandID returns SubmitSMID.
func (*SubmitSM) CommandID() CommandID { return SubmitSMID }

// AppendBinary appends the body to dst.
func (m *SubmitSM) AppendBinary(dst []byte) ([]byte, error) { return m.appendAs(dst, SubmitSMID) }

// UnmarshalBinary decodes body strictly; strings and slices alias body.
func (m *SubmitSM) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: m.CommandID()}
	m.decode(&d)
	return d.err
}

func (m *SubmitSM) decode(d *decoder) { m.decodeAs(d) }

// Clone returns a copy that shares no memory with m.
func (m *SubmitSM) Clone() *SubmitSM {
	c := *m
	c.cloneFields()
	return &c
}

func (m *SubmitSM) cloneFields() {
	m.ServiceType = clone(m.ServiceType)
	m.SourceAddr = clone(m.SourceAddr)
	m.DestinationAddr = clone(m.DestinationAddr)
	m.ScheduleDeliveryTime = clone(m.ScheduleDeliveryTime)
	m.ValidityPeriod = clone(m.ValidityPeriod)
	m.ShortMessage = cloneBytes(m.ShortMessage)
	m.TLVs = m.TLVs.Clone()
}

func (m *SubmitSM) appendAs(dst []byte, id CommandID) ([]byte, error) {
	if out, ok := m.appendValid(dst); ok {
		return out, nil
	}
	// Something is out of bounds: the field-by-field encoder names it.
	return m.appendChecked(dst, id)
}

// appendChecked appends the body field by field, checking each: the first
// field out of its bounds gives the error.
func (m *SubmitSM) appendChecked(dst []byte, id CommandID) ([]byte, error) {
	e := newEncoder(dst, id)
	e.cstring("service_type", m.ServiceType, 6, ESME_RINVSERTYP)
	e.u8(m.SourceAddrTON)
	e.u8(m.SourceAddrNPI)
	e.cstring("source_addr", m.SourceAddr, 21, ESME_RINVSRCADR)
	e.u8(m.DestAddrTON)
	e.u8(m.DestAddrNPI)
	e.cstring("destination_addr", m.DestinationAddr, 21, ESME_RINVDSTADR)
	e.u8(m.ESMClass)
	e.u8(m.ProtocolID)
	e.u8(m.PriorityFlag)
	e.timeString("schedule_delivery_time", m.ScheduleDeliveryTime, ESME_RINVSCHED)
	e.timeString("validity_period", m.ValidityPeriod, ESME_RINVEXPIRY)
	e.u8(m.RegisteredDelivery)
	e.u8(m.ReplaceIfPresentFlag)
	e.u8(m.DataCoding)
	e.u8(m.SMDefaultMsgID)
	e.shortMessage(m.ShortMessage)
	e.tlvs(m.TLVs)
	return e.done()
}

// appendValid appends the body in one pass when every field is within its
// bounds, which is the common case, and reports false otherwise (leaving dst
// as it was).
func (m *SubmitSM) appendValid(dst []byte) ([]byte, bool) {
	st, src, dest := m.ServiceType, m.SourceAddr, m.DestinationAddr
	sched, valid, sm := m.ScheduleDeliveryTime, m.ValidityPeriod, m.ShortMessage
	if len(st) > 5 || len(src) > 20 || len(dest) > 20 || len(sm) > 254 ||
		(len(sched) != 0 && len(sched) != 16) || (len(valid) != 0 && len(valid) != 16) ||
		hasNUL(st) || hasNUL(src) || hasNUL(dest) || hasNUL(sched) || hasNUL(valid) {
		return dst, false
	}
	// Five C-Octet Strings with their NULs, eleven one-octet fields,
	// sm_length and short_message.
	n := len(st) + len(src) + len(dest) + len(sched) + len(valid) + 5 + 11 + 1 + len(sm)
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	b := dst[start:]
	i := putCString(b, 0, st)
	b[i], b[i+1] = m.SourceAddrTON, m.SourceAddrNPI
	i = putCString(b, i+2, src)
	b[i], b[i+1] = m.DestAddrTON, m.DestAddrNPI
	i = putCString(b, i+2, dest)
	b[i], b[i+1], b[i+2] = m.ESMClass, m.ProtocolID, m.PriorityFlag
	i = putCString(b, i+3, sched)
	i = putCString(b, i, valid)
	b[i], b[i+1], b[i+2], b[i+3], b[i+4] = m.RegisteredDelivery, m.ReplaceIfPresentFlag, m.DataCoding, m.SMDefaultMsgID, byte(len(sm))
	copy(b[i+5:], sm)
	if len(m.TLVs) == 0 {
		return dst, true
	}
	out, err := m.TLVs.AppendBinary(dst)
	if err != nil {
		return dst[:start], false
	}
	return out, true
}

func (m *SubmitSM) decodeAs(d *decoder) {
	m.ServiceType = d.cstring("service_type", 6, ESME_RINVSERTYP, false)
	m.SourceAddrTON = d.u8("source_addr_ton")
	m.SourceAddrNPI = d.u8("source_addr_npi")
	m.SourceAddr = d.cstring("source_addr", 21, ESME_RINVSRCADR, false)
	m.DestAddrTON = d.u8("dest_addr_ton")
	m.DestAddrNPI = d.u8("dest_addr_npi")
	m.DestinationAddr = d.cstring("destination_addr", 21, ESME_RINVDSTADR, false)
	m.ESMClass = d.u8("esm_class")
	m.ProtocolID = d.u8("protocol_id")
	m.PriorityFlag = d.u8("priority_flag")
	m.ScheduleDeliveryTime = d.timeString("schedule_delivery_time", ESME_RINVSCHED)
	m.ValidityPeriod = d.timeString("validity_period", ESME_RINVEXPIRY)
	m.RegisteredDelivery = d.u8("registered_delivery")
	m.ReplaceIfPresentFlag = d.u8("replace_if_present_flag")
	m.DataCoding = d.u8("data_coding")
	m.SMDefaultMsgID = d.u8("sm_default_msg_id")
	m.ShortMessage = d.shortMessage()
	m.TLVs = d.tlvs(m.TLVs)
}

// Payload returns the user data: the message_payload TLV when present, else
// ShortMessage. It aliases m.
func (m *SubmitSM) Payload() []byte {
	if p, ok := m.TLVs.MessagePayload(); ok {
		return p
	}
	return m.ShortMessage
}

// SubmitSMResp is submit_sm_resp.
type SubmitSMResp struct {
	MessageID string   // message_id assigned by the SMSC, at most 64 characters
	TLVs      tlv.List // optional parameters (none in 3.4; SMPP 5.0 adds some)
}

// CommandID returns SubmitSMRespID.
func (*SubmitSMResp) CommandID() CommandID { return SubmitSMRespID }

// AppendBinary appends the body to dst.
func (r *SubmitSMResp) AppendBinary(dst []byte) ([]byte, error) {
	return appendMessageIDBody(dst, SubmitSMRespID, r.MessageID, r.TLVs)
}

// UnmarshalBinary decodes body; an empty body (an error response) is accepted.
func (r *SubmitSMResp) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: r.CommandID()}
	r.decode(&d)
	return d.err
}

func (r *SubmitSMResp) decode(d *decoder) { r.MessageID, r.TLVs = d.messageIDBody(r.TLVs) }

// Clone returns a copy that shares no memory with r.
func (r *SubmitSMResp) Clone() *SubmitSMResp {
	return &SubmitSMResp{MessageID: clone(r.MessageID), TLVs: r.TLVs.Clone()}
}

// DeliverSM is deliver_sm: the SMSC delivers a mobile-originated message or a
// delivery receipt (ESMClass 0x04) to an ESME. It has the fields of SubmitSM;
// convert with (*pdu.SubmitSM)(d) where that helps.
type DeliverSM SubmitSM

// CommandID returns DeliverSMID.
func (*DeliverSM) CommandID() CommandID { return DeliverSMID }

// AppendBinary appends the body to dst.
func (m *DeliverSM) AppendBinary(dst []byte) ([]byte, error) {
	return (*SubmitSM)(m).appendAs(dst, DeliverSMID)
}

// UnmarshalBinary decodes body strictly; strings and slices alias body.
func (m *DeliverSM) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: m.CommandID()}
	m.decode(&d)
	return d.err
}

func (m *DeliverSM) decode(d *decoder) { (*SubmitSM)(m).decodeAs(d) }

// Clone returns a copy that shares no memory with m.
func (m *DeliverSM) Clone() *DeliverSM {
	c := *m
	(*SubmitSM)(&c).cloneFields()
	return &c
}

// Payload returns message_payload when present, else ShortMessage.
func (m *DeliverSM) Payload() []byte { return (*SubmitSM)(m).Payload() }

// IsReceipt reports whether esm_class marks the message as an SMSC delivery
// receipt (0x04) or an intermediate notification (0x20).
func (m *DeliverSM) IsReceipt() bool {
	t := m.ESMClass & 0x3C
	return t == 0x04 || t == 0x20
}

// DeliverSMResp is deliver_sm_resp.
type DeliverSMResp struct {
	MessageID string   // message_id: unused in 3.4, always empty
	TLVs      tlv.List // optional parameters (none in 3.4)
}

// CommandID returns DeliverSMRespID.
func (*DeliverSMResp) CommandID() CommandID { return DeliverSMRespID }

// AppendBinary appends the body to dst.
func (r *DeliverSMResp) AppendBinary(dst []byte) ([]byte, error) {
	return appendMessageIDBody(dst, DeliverSMRespID, r.MessageID, r.TLVs)
}

// UnmarshalBinary decodes body; an empty body is accepted.
func (r *DeliverSMResp) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: r.CommandID()}
	r.decode(&d)
	return d.err
}

func (r *DeliverSMResp) decode(d *decoder) { r.MessageID, r.TLVs = d.messageIDBody(r.TLVs) }
