package pdu

// QuerySM is query_sm: the ESME asks for the state of a message it submitted.
type QuerySM struct {
	MessageID     string // message_id from submit_sm_resp, at most 64 characters
	SourceAddrTON uint8  // source_addr_ton of the original submission
	SourceAddrNPI uint8  // source_addr_npi of the original submission
	SourceAddr    string // source_addr of the original submission, at most 20 characters
}

// CommandID returns QuerySMID.
func (*QuerySM) CommandID() CommandID { return QuerySMID }

// AppendBinary appends the body to dst.
func (q *QuerySM) AppendBinary(dst []byte) ([]byte, error) {
	e := newEncoder(dst, QuerySMID)
	e.cstring("message_id", q.MessageID, 65, ESME_RINVMSGID)
	e.u8(q.SourceAddrTON)
	e.u8(q.SourceAddrNPI)
	e.cstring("source_addr", q.SourceAddr, 21, ESME_RINVSRCADR)
	return e.done()
}

// UnmarshalBinary decodes body strictly; strings alias body.
func (q *QuerySM) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: q.CommandID()}
	q.decode(&d)
	return d.err
}

func (q *QuerySM) decode(d *decoder) {
	q.MessageID = d.cstring("message_id", 65, ESME_RINVMSGID, false)
	q.SourceAddrTON = d.u8("source_addr_ton")
	q.SourceAddrNPI = d.u8("source_addr_npi")
	q.SourceAddr = d.cstring("source_addr", 21, ESME_RINVSRCADR, false)
	d.end()
}

// Clone returns a copy that shares no memory with q.
func (q *QuerySM) Clone() *QuerySM {
	c := *q
	c.MessageID = clone(q.MessageID)
	c.SourceAddr = clone(q.SourceAddr)
	return &c
}

// QuerySMResp is query_sm_resp.
type QuerySMResp struct {
	MessageID    string       // message_id queried
	FinalDate    string       // final_date: empty until the message is final, else 16 characters
	MessageState MessageState // message_state
	ErrorCode    uint8        // error_code: network error, 0 if none
}

// CommandID returns QuerySMRespID.
func (*QuerySMResp) CommandID() CommandID { return QuerySMRespID }

// AppendBinary appends the body to dst.
func (r *QuerySMResp) AppendBinary(dst []byte) ([]byte, error) {
	e := newEncoder(dst, QuerySMRespID)
	e.cstring("message_id", r.MessageID, 65, ESME_RINVMSGID)
	e.timeString("final_date", r.FinalDate, ESME_RINVPARLEN)
	e.u8(uint8(r.MessageState))
	e.u8(r.ErrorCode)
	return e.done()
}

// UnmarshalBinary decodes body; an empty body (an error response) is accepted.
func (r *QuerySMResp) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: r.CommandID()}
	r.decode(&d)
	return d.err
}

func (r *QuerySMResp) decode(d *decoder) {
	*r = QuerySMResp{}
	if len(d.src) == 0 {
		return
	}
	r.MessageID = d.cstring("message_id", 65, ESME_RINVMSGID, false)
	r.FinalDate = d.timeString("final_date", ESME_RINVPARLEN)
	r.MessageState = MessageState(d.u8("message_state"))
	r.ErrorCode = d.u8("error_code")
	d.end()
}

// Clone returns a copy that shares no memory with r.
func (r *QuerySMResp) Clone() *QuerySMResp {
	c := *r
	c.MessageID = clone(r.MessageID)
	c.FinalDate = clone(r.FinalDate)
	return &c
}

// CancelSM is cancel_sm: cancel one queued message, or all matching messages
// when MessageID is empty.
type CancelSM struct {
	ServiceType     string // service_type
	MessageID       string // message_id; empty cancels by source and destination
	SourceAddrTON   uint8  // source_addr_ton
	SourceAddrNPI   uint8  // source_addr_npi
	SourceAddr      string // source_addr, at most 20 characters
	DestAddrTON     uint8  // dest_addr_ton
	DestAddrNPI     uint8  // dest_addr_npi
	DestinationAddr string // destination_addr, at most 20 characters (64 accepted on decode)
}

// CommandID returns CancelSMID.
func (*CancelSM) CommandID() CommandID { return CancelSMID }

// AppendBinary appends the body to dst.
func (c *CancelSM) AppendBinary(dst []byte) ([]byte, error) {
	e := newEncoder(dst, CancelSMID)
	e.cstring("service_type", c.ServiceType, 6, ESME_RINVSERTYP)
	e.cstring("message_id", c.MessageID, 65, ESME_RINVMSGID)
	e.u8(c.SourceAddrTON)
	e.u8(c.SourceAddrNPI)
	e.cstring("source_addr", c.SourceAddr, 21, ESME_RINVSRCADR)
	e.u8(c.DestAddrTON)
	e.u8(c.DestAddrNPI)
	e.cstring("destination_addr", c.DestinationAddr, 21, ESME_RINVDSTADR)
	return e.done()
}

// UnmarshalBinary decodes body strictly; strings alias body.
func (c *CancelSM) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: c.CommandID()}
	c.decode(&d)
	return d.err
}

func (c *CancelSM) decode(d *decoder) {
	c.ServiceType = d.cstring("service_type", 6, ESME_RINVSERTYP, false)
	c.MessageID = d.cstring("message_id", 65, ESME_RINVMSGID, false)
	c.SourceAddrTON = d.u8("source_addr_ton")
	c.SourceAddrNPI = d.u8("source_addr_npi")
	c.SourceAddr = d.cstring("source_addr", 21, ESME_RINVSRCADR, false)
	c.DestAddrTON = d.u8("dest_addr_ton")
	c.DestAddrNPI = d.u8("dest_addr_npi")
	c.DestinationAddr = d.cstring("destination_addr", 65, ESME_RINVDSTADR, false)
	d.end()
}

// Clone returns a copy that shares no memory with c.
func (c *CancelSM) Clone() *CancelSM {
	n := *c
	n.ServiceType = clone(c.ServiceType)
	n.MessageID = clone(c.MessageID)
	n.SourceAddr = clone(c.SourceAddr)
	n.DestinationAddr = clone(c.DestinationAddr)
	return &n
}

// ReplaceSM is replace_sm: replace a queued message's text and times.
type ReplaceSM struct {
	MessageID            string // message_id of the message to replace
	SourceAddrTON        uint8  // source_addr_ton of the original
	SourceAddrNPI        uint8  // source_addr_npi of the original
	SourceAddr           string // source_addr of the original, at most 20 characters
	ScheduleDeliveryTime string // schedule_delivery_time: empty keeps the original
	ValidityPeriod       string // validity_period: empty keeps the original
	RegisteredDelivery   uint8  // registered_delivery
	SMDefaultMsgID       uint8  // sm_default_msg_id
	ShortMessage         []byte // short_message, at most 254 octets
}

// CommandID returns ReplaceSMID.
func (*ReplaceSM) CommandID() CommandID { return ReplaceSMID }

// AppendBinary appends the body to dst.
func (r *ReplaceSM) AppendBinary(dst []byte) ([]byte, error) {
	e := newEncoder(dst, ReplaceSMID)
	e.cstring("message_id", r.MessageID, 65, ESME_RINVMSGID)
	e.u8(r.SourceAddrTON)
	e.u8(r.SourceAddrNPI)
	e.cstring("source_addr", r.SourceAddr, 21, ESME_RINVSRCADR)
	e.timeString("schedule_delivery_time", r.ScheduleDeliveryTime, ESME_RINVSCHED)
	e.timeString("validity_period", r.ValidityPeriod, ESME_RINVEXPIRY)
	e.u8(r.RegisteredDelivery)
	e.u8(r.SMDefaultMsgID)
	e.shortMessage(r.ShortMessage)
	return e.done()
}

// UnmarshalBinary decodes body strictly; strings and slices alias body.
func (r *ReplaceSM) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: r.CommandID()}
	r.decode(&d)
	return d.err
}

func (r *ReplaceSM) decode(d *decoder) {
	r.MessageID = d.cstring("message_id", 65, ESME_RINVMSGID, false)
	r.SourceAddrTON = d.u8("source_addr_ton")
	r.SourceAddrNPI = d.u8("source_addr_npi")
	r.SourceAddr = d.cstring("source_addr", 21, ESME_RINVSRCADR, false)
	r.ScheduleDeliveryTime = d.timeString("schedule_delivery_time", ESME_RINVSCHED)
	r.ValidityPeriod = d.timeString("validity_period", ESME_RINVEXPIRY)
	r.RegisteredDelivery = d.u8("registered_delivery")
	r.SMDefaultMsgID = d.u8("sm_default_msg_id")
	r.ShortMessage = d.shortMessage()
	d.end()
}

// Clone returns a copy that shares no memory with r.
func (r *ReplaceSM) Clone() *ReplaceSM {
	c := *r
	c.MessageID = clone(r.MessageID)
	c.SourceAddr = clone(r.SourceAddr)
	c.ScheduleDeliveryTime = clone(r.ScheduleDeliveryTime)
	c.ValidityPeriod = clone(r.ValidityPeriod)
	c.ShortMessage = cloneBytes(r.ShortMessage)
	return &c
}
