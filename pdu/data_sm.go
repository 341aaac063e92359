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

// DataSMResp is data_sm_resp.
type DataSMResp struct {
	MessageID string   // message_id, at most 64 characters
	TLVs      tlv.List // delivery_failure_reason, network_error_code, additional_status_info_text, dpf_result
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
