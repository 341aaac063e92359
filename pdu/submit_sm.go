package pdu

import (
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

// DeliverSM is deliver_sm: the SMSC delivers a mobile-originated message or a
// delivery receipt (ESMClass 0x04) to an ESME. It has the fields of SubmitSM;
// convert with (*pdu.SubmitSM)(d) where that helps.
type DeliverSM SubmitSM

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
