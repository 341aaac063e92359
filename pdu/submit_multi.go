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

// A dest_address is a union selected by dest_flag, so its methods are
// written by hand; the list around it is generated (zpdu.go).

func (a *DestAddress) encode(e *encoder) {
	switch a.Flag {
	case 0, DestFlagSME:
		e.u8(DestFlagSME)
		e.u8(a.DestAddrTON)
		e.u8(a.DestAddrNPI)
		e.cstring("destination_addr", a.DestinationAddr, 21, ESME_RINVDSTADR)
	case DestFlagList:
		e.u8(DestFlagList)
		e.cstring("dl_name", a.DLName, 21, ESME_RINVDLNAME)
	default:
		e.fail("dest_flag", ESME_RINVDESTFLAG, ErrBadValue)
	}
}

func (a *DestAddress) decode(d *decoder) {
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
}

func (a *DestAddress) cloneFields() {
	a.DestinationAddr = clone(a.DestinationAddr)
	a.DLName = clone(a.DLName)
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
