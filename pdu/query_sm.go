package pdu

// QuerySM is query_sm: the ESME asks for the state of a message it submitted.
type QuerySM struct {
	MessageID     string // message_id from submit_sm_resp, at most 64 characters
	SourceAddrTON uint8  // source_addr_ton of the original submission
	SourceAddrNPI uint8  // source_addr_npi of the original submission
	SourceAddr    string // source_addr of the original submission, at most 20 characters
}

// QuerySMResp is query_sm_resp.
type QuerySMResp struct {
	MessageID    string       // message_id queried
	FinalDate    string       // final_date: empty until the message is final, else 16 characters
	MessageState MessageState // message_state
	ErrorCode    uint8        // error_code: network error, 0 if none
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
