package pdu

import "github.com/esmsafrica/smpp/tlv"

// DataSM is data_sm, sent by either side; the user data travels in the
// message_payload TLV.
type DataSM struct {
	ServiceType        string   // service_type, at most 5 characters
	SourceAddrTON      uint8    // source_addr_ton
	SourceAddrNPI      uint8    // source_addr_npi
	SourceAddr         string   // source_addr, at most 64 characters
	DestAddrTON        uint8    // dest_addr_ton
	DestAddrNPI        uint8    // dest_addr_npi
	DestinationAddr    string   // destination_addr, at most 64 characters
	ESMClass           uint8    // esm_class
	RegisteredDelivery uint8    // registered_delivery
	DataCoding         uint8    // data_coding
	TLVs               tlv.List // optional parameters, message_payload among them
}

// CommandID returns DataSMID.
func (*DataSM) CommandID() CommandID { return DataSMID }

// AppendBinary appends the body to dst.
func (m *DataSM) AppendBinary(dst []byte) ([]byte, error) {
	e := newEncoder(dst, DataSMID)
	e.cstring("service_type", m.ServiceType, 6, ESME_RINVSERTYP)
	e.u8(m.SourceAddrTON)
	e.u8(m.SourceAddrNPI)
	e.cstring("source_addr", m.SourceAddr, 65, ESME_RINVSRCADR)
	e.u8(m.DestAddrTON)
	e.u8(m.DestAddrNPI)
	e.cstring("destination_addr", m.DestinationAddr, 65, ESME_RINVDSTADR)
	e.u8(m.ESMClass)
	e.u8(m.RegisteredDelivery)
	e.u8(m.DataCoding)
	e.tlvs(m.TLVs)
	return e.done()
}

// UnmarshalBinary decodes body strictly; strings and slices alias body.
func (m *DataSM) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: m.CommandID()}
	m.decode(&d)
	return d.err
}

func (m *DataSM) decode(d *decoder) {
	m.ServiceType = d.cstring("service_type", 6, ESME_RINVSERTYP, false)
	m.SourceAddrTON = d.u8("source_addr_ton")
	m.SourceAddrNPI = d.u8("source_addr_npi")
	m.SourceAddr = d.cstring("source_addr", 65, ESME_RINVSRCADR, false)
	m.DestAddrTON = d.u8("dest_addr_ton")
	m.DestAddrNPI = d.u8("dest_addr_npi")
	m.DestinationAddr = d.cstring("destination_addr", 65, ESME_RINVDSTADR, false)
	m.ESMClass = d.u8("esm_class")
	m.RegisteredDelivery = d.u8("registered_delivery")
	m.DataCoding = d.u8("data_coding")
	m.TLVs = d.tlvs(m.TLVs)
}

// Clone returns a copy that shares no memory with m.
func (m *DataSM) Clone() *DataSM {
	c := *m
	c.ServiceType = clone(m.ServiceType)
	c.SourceAddr = clone(m.SourceAddr)
	c.DestinationAddr = clone(m.DestinationAddr)
	c.TLVs = m.TLVs.Clone()
	return &c
}

// DataSMResp is data_sm_resp.
type DataSMResp struct {
	MessageID string   // message_id, at most 64 characters
	TLVs      tlv.List // delivery_failure_reason, network_error_code, additional_status_info_text, dpf_result
}

// CommandID returns DataSMRespID.
func (*DataSMResp) CommandID() CommandID { return DataSMRespID }

// AppendBinary appends the body to dst.
func (r *DataSMResp) AppendBinary(dst []byte) ([]byte, error) {
	return appendMessageIDBody(dst, DataSMRespID, r.MessageID, r.TLVs)
}

// UnmarshalBinary decodes body; an empty body is accepted.
func (r *DataSMResp) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: r.CommandID()}
	r.decode(&d)
	return d.err
}

func (r *DataSMResp) decode(d *decoder) { r.MessageID, r.TLVs = d.messageIDBody(r.TLVs) }

// Clone returns a copy that shares no memory with r.
func (r *DataSMResp) Clone() *DataSMResp {
	return &DataSMResp{MessageID: clone(r.MessageID), TLVs: r.TLVs.Clone()}
}

// AlertNotification is alert_notification: the SMSC tells the ESME that a mobile
// subscriber became reachable. It has no response.
type AlertNotification struct {
	SourceAddrTON uint8    // source_addr_ton
	SourceAddrNPI uint8    // source_addr_npi
	SourceAddr    string   // source_addr, at most 64 characters
	ESMEAddrTON   uint8    // esme_addr_ton
	ESMEAddrNPI   uint8    // esme_addr_npi
	ESMEAddr      string   // esme_addr, at most 64 characters
	TLVs          tlv.List // ms_availability_status
}

// CommandID returns AlertNotificationID.
func (*AlertNotification) CommandID() CommandID { return AlertNotificationID }

// AppendBinary appends the body to dst.
func (a *AlertNotification) AppendBinary(dst []byte) ([]byte, error) {
	e := newEncoder(dst, AlertNotificationID)
	e.u8(a.SourceAddrTON)
	e.u8(a.SourceAddrNPI)
	e.cstring("source_addr", a.SourceAddr, 65, ESME_RINVSRCADR)
	e.u8(a.ESMEAddrTON)
	e.u8(a.ESMEAddrNPI)
	e.cstring("esme_addr", a.ESMEAddr, 65, ESME_RINVDSTADR)
	e.tlvs(a.TLVs)
	return e.done()
}

// UnmarshalBinary decodes body strictly; strings alias body.
func (a *AlertNotification) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: a.CommandID()}
	a.decode(&d)
	return d.err
}

func (a *AlertNotification) decode(d *decoder) {
	a.SourceAddrTON = d.u8("source_addr_ton")
	a.SourceAddrNPI = d.u8("source_addr_npi")
	a.SourceAddr = d.cstring("source_addr", 65, ESME_RINVSRCADR, false)
	a.ESMEAddrTON = d.u8("esme_addr_ton")
	a.ESMEAddrNPI = d.u8("esme_addr_npi")
	a.ESMEAddr = d.cstring("esme_addr", 65, ESME_RINVDSTADR, false)
	a.TLVs = d.tlvs(a.TLVs)
}

// Clone returns a copy that shares no memory with a.
func (a *AlertNotification) Clone() *AlertNotification {
	c := *a
	c.SourceAddr = clone(a.SourceAddr)
	c.ESMEAddr = clone(a.ESMEAddr)
	c.TLVs = a.TLVs.Clone()
	return &c
}
