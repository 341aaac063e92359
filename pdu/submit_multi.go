package pdu

import "github.com/esmsafrica/smpp/tlv"

// Dest flag values of a submit_multi dest_address entry.
const (
	DestFlagSME  uint8 = 1 // an SME address
	DestFlagList uint8 = 2 // a distribution list name
)

// DestAddress is one dest_address entry of submit_multi: an SME address
// (Flag 1) or a distribution list name (Flag 2).
type DestAddress struct {
	Flag            uint8  // dest_flag: DestFlagSME or DestFlagList; zero encodes as DestFlagSME
	DestAddrTON     uint8  // dest_addr_ton, for an SME address
	DestAddrNPI     uint8  // dest_addr_npi, for an SME address
	DestinationAddr string // destination_addr, for an SME address, at most 20 characters
	DLName          string // dl_name, for a distribution list, at most 20 characters
}

// SubmitMulti is submit_multi: one message to up to 254 destinations.
type SubmitMulti struct {
	ServiceType          string        // service_type
	SourceAddrTON        uint8         // source_addr_ton
	SourceAddrNPI        uint8         // source_addr_npi
	SourceAddr           string        // source_addr, at most 20 characters
	Dests                []DestAddress // dest_address entries; number_of_dests is len(Dests), 1–254
	ESMClass             uint8         // esm_class
	ProtocolID           uint8         // protocol_id
	PriorityFlag         uint8         // priority_flag
	ScheduleDeliveryTime string        // schedule_delivery_time: empty or 16 characters
	ValidityPeriod       string        // validity_period: empty or 16 characters
	RegisteredDelivery   uint8         // registered_delivery
	ReplaceIfPresentFlag uint8         // replace_if_present_flag
	DataCoding           uint8         // data_coding
	SMDefaultMsgID       uint8         // sm_default_msg_id
	ShortMessage         []byte        // short_message, at most 254 octets
	TLVs                 tlv.List      // optional parameters
}

// CommandID returns SubmitMultiID.
func (*SubmitMulti) CommandID() CommandID { return SubmitMultiID }

// AppendBinary appends the body to dst.
func (m *SubmitMulti) AppendBinary(dst []byte) ([]byte, error) {
	e := newEncoder(dst, SubmitMultiID)
	e.cstring("service_type", m.ServiceType, 6, ESME_RINVSERTYP)
	e.u8(m.SourceAddrTON)
	e.u8(m.SourceAddrNPI)
	e.cstring("source_addr", m.SourceAddr, 21, ESME_RINVSRCADR)
	if len(m.Dests) == 0 || len(m.Dests) > 254 {
		e.fail("number_of_dests", ESME_RINVNUMDESTS, ErrBadValue)
	}
	e.u8(uint8(len(m.Dests)))
	for _, d := range m.Dests {
		switch d.Flag {
		case 0, DestFlagSME:
			e.u8(DestFlagSME)
			e.u8(d.DestAddrTON)
			e.u8(d.DestAddrNPI)
			e.cstring("destination_addr", d.DestinationAddr, 21, ESME_RINVDSTADR)
		case DestFlagList:
			e.u8(DestFlagList)
			e.cstring("dl_name", d.DLName, 21, ESME_RINVDLNAME)
		default:
			e.fail("dest_flag", ESME_RINVDESTFLAG, ErrBadValue)
		}
	}
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

// UnmarshalBinary decodes body strictly; strings and slices alias body.
func (m *SubmitMulti) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: m.CommandID()}
	m.decode(&d)
	return d.err
}

func (m *SubmitMulti) decode(d *decoder) {
	m.ServiceType = d.cstring("service_type", 6, ESME_RINVSERTYP, false)
	m.SourceAddrTON = d.u8("source_addr_ton")
	m.SourceAddrNPI = d.u8("source_addr_npi")
	m.SourceAddr = d.cstring("source_addr", 21, ESME_RINVSRCADR, false)
	n := d.u8("number_of_dests")
	if d.err == nil && (n == 0 || n > 254) {
		d.fail("number_of_dests", ESME_RINVNUMDESTS, ErrBadValue)
	}
	m.Dests = m.Dests[:0]
	for i := 0; i < int(n) && d.err == nil; i++ {
		var a DestAddress
		a.Flag = d.u8("dest_flag")
		switch a.Flag {
		case DestFlagSME:
			a.DestAddrTON = d.u8("dest_addr_ton")
			a.DestAddrNPI = d.u8("dest_addr_npi")
			a.DestinationAddr = d.cstring("destination_addr", 21, ESME_RINVDSTADR, false)
		case DestFlagList:
			a.DLName = d.cstring("dl_name", 21, ESME_RINVDLNAME, false)
		default:
			d.fail("dest_flag", ESME_RINVDESTFLAG, ErrBadValue)
		}
		m.Dests = append(m.Dests, a)
	}
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

// Clone returns a copy that shares no memory with m.
func (m *SubmitMulti) Clone() *SubmitMulti {
	c := *m
	c.ServiceType = clone(m.ServiceType)
	c.SourceAddr = clone(m.SourceAddr)
	c.Dests = make([]DestAddress, len(m.Dests))
	for i, a := range m.Dests {
		a.DestinationAddr = clone(a.DestinationAddr)
		a.DLName = clone(a.DLName)
		c.Dests[i] = a
	}
	c.ScheduleDeliveryTime = clone(m.ScheduleDeliveryTime)
	c.ValidityPeriod = clone(m.ValidityPeriod)
	c.ShortMessage = cloneBytes(m.ShortMessage)
	c.TLVs = m.TLVs.Clone()
	return &c
}

// UnsuccessSME is one unsuccess_sme entry of submit_multi_resp.
type UnsuccessSME struct {
	DestAddrTON     uint8  // dest_addr_ton
	DestAddrNPI     uint8  // dest_addr_npi
	DestinationAddr string // destination_addr, at most 20 characters
	ErrorStatusCode Status // error_status_code: why this destination failed
}

// SubmitMultiResp is submit_multi_resp.
type SubmitMultiResp struct {
	MessageID string         // message_id
	Unsuccess []UnsuccessSME // unsuccess_sme entries; no_unsuccess is len(Unsuccess)
	TLVs      tlv.List       // optional parameters (none in 3.4)
}

// CommandID returns SubmitMultiRespID.
func (*SubmitMultiResp) CommandID() CommandID { return SubmitMultiRespID }

// AppendBinary appends the body to dst.
func (r *SubmitMultiResp) AppendBinary(dst []byte) ([]byte, error) {
	e := newEncoder(dst, SubmitMultiRespID)
	e.cstring("message_id", r.MessageID, 65, ESME_RINVMSGID)
	if len(r.Unsuccess) > 254 {
		e.fail("no_unsuccess", ESME_RINVNUMDESTS, ErrBadValue)
	}
	e.u8(uint8(len(r.Unsuccess)))
	for _, u := range r.Unsuccess {
		e.u8(u.DestAddrTON)
		e.u8(u.DestAddrNPI)
		e.cstring("destination_addr", u.DestinationAddr, 21, ESME_RINVDSTADR)
		e.u32(uint32(u.ErrorStatusCode))
	}
	e.tlvs(r.TLVs)
	return e.done()
}

// UnmarshalBinary decodes body; an empty body (an error response) is accepted.
func (r *SubmitMultiResp) UnmarshalBinary(body []byte) error {
	d := decoder{src: body, cmd: r.CommandID()}
	r.decode(&d)
	return d.err
}

func (r *SubmitMultiResp) decode(d *decoder) {
	r.MessageID = ""
	r.Unsuccess = r.Unsuccess[:0]
	r.TLVs = r.TLVs[:0]
	if len(d.src) == 0 {
		return
	}
	r.MessageID = d.cstring("message_id", 65, ESME_RINVMSGID, false)
	n := d.u8("no_unsuccess")
	for i := 0; i < int(n) && d.err == nil; i++ {
		var u UnsuccessSME
		u.DestAddrTON = d.u8("dest_addr_ton")
		u.DestAddrNPI = d.u8("dest_addr_npi")
		u.DestinationAddr = d.cstring("destination_addr", 21, ESME_RINVDSTADR, false)
		u.ErrorStatusCode = Status(d.u32("error_status_code"))
		r.Unsuccess = append(r.Unsuccess, u)
	}
	r.TLVs = d.tlvs(r.TLVs)
}

// Clone returns a copy that shares no memory with r.
func (r *SubmitMultiResp) Clone() *SubmitMultiResp {
	c := *r
	c.MessageID = clone(r.MessageID)
	c.Unsuccess = make([]UnsuccessSME, len(r.Unsuccess))
	for i, u := range r.Unsuccess {
		u.DestinationAddr = clone(u.DestinationAddr)
		c.Unsuccess[i] = u
	}
	c.TLVs = r.TLVs.Clone()
	return &c
}
