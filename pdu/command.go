package pdu

import "strconv"

// CommandID is the command_id of a PDU. Bit 31 is set on responses. It prints as
// the spec spells it ("submit_sm", "deliver_sm_resp").
type CommandID uint32

// The command ids of SMPP 3.4.
const (
	GenericNackID         CommandID = 0x80000000
	BindReceiverID        CommandID = 0x00000001
	BindReceiverRespID    CommandID = 0x80000001
	BindTransmitterID     CommandID = 0x00000002
	BindTransmitterRespID CommandID = 0x80000002
	QuerySMID             CommandID = 0x00000003
	QuerySMRespID         CommandID = 0x80000003
	SubmitSMID            CommandID = 0x00000004
	SubmitSMRespID        CommandID = 0x80000004
	DeliverSMID           CommandID = 0x00000005
	DeliverSMRespID       CommandID = 0x80000005
	UnbindID              CommandID = 0x00000006
	UnbindRespID          CommandID = 0x80000006
	ReplaceSMID           CommandID = 0x00000007
	ReplaceSMRespID       CommandID = 0x80000007
	CancelSMID            CommandID = 0x00000008
	CancelSMRespID        CommandID = 0x80000008
	BindTransceiverID     CommandID = 0x00000009
	BindTransceiverRespID CommandID = 0x80000009
	OutbindID             CommandID = 0x0000000B
	EnquireLinkID         CommandID = 0x00000015
	EnquireLinkRespID     CommandID = 0x80000015
	SubmitMultiID         CommandID = 0x00000021
	SubmitMultiRespID     CommandID = 0x80000021
	AlertNotificationID   CommandID = 0x00000102
	DataSMID              CommandID = 0x00000103
	DataSMRespID          CommandID = 0x80000103
)

var commandNames = map[CommandID]string{
	GenericNackID:         "generic_nack",
	BindReceiverID:        "bind_receiver",
	BindReceiverRespID:    "bind_receiver_resp",
	BindTransmitterID:     "bind_transmitter",
	BindTransmitterRespID: "bind_transmitter_resp",
	QuerySMID:             "query_sm",
	QuerySMRespID:         "query_sm_resp",
	SubmitSMID:            "submit_sm",
	SubmitSMRespID:        "submit_sm_resp",
	DeliverSMID:           "deliver_sm",
	DeliverSMRespID:       "deliver_sm_resp",
	UnbindID:              "unbind",
	UnbindRespID:          "unbind_resp",
	ReplaceSMID:           "replace_sm",
	ReplaceSMRespID:       "replace_sm_resp",
	CancelSMID:            "cancel_sm",
	CancelSMRespID:        "cancel_sm_resp",
	BindTransceiverID:     "bind_transceiver",
	BindTransceiverRespID: "bind_transceiver_resp",
	OutbindID:             "outbind",
	EnquireLinkID:         "enquire_link",
	EnquireLinkRespID:     "enquire_link_resp",
	SubmitMultiID:         "submit_multi",
	SubmitMultiRespID:     "submit_multi_resp",
	AlertNotificationID:   "alert_notification",
	DataSMID:              "data_sm",
	DataSMRespID:          "data_sm_resp",
}

// String returns the spec name of the command, or its hexadecimal value when unknown.
func (c CommandID) String() string {
	if s, ok := commandNames[c]; ok {
		return s
	}
	return "command_id(0x" + strconv.FormatUint(uint64(c), 16) + ")"
}

// IsResponse reports whether bit 31 is set.
func (c CommandID) IsResponse() bool { return c&0x80000000 != 0 }

// Known reports whether c is a command id of SMPP 3.4.
func (c CommandID) Known() bool {
	switch c {
	case GenericNackID, BindReceiverID, BindReceiverRespID, BindTransmitterID, BindTransmitterRespID,
		QuerySMID, QuerySMRespID, SubmitSMID, SubmitSMRespID, DeliverSMID, DeliverSMRespID,
		UnbindID, UnbindRespID, ReplaceSMID, ReplaceSMRespID, CancelSMID, CancelSMRespID,
		BindTransceiverID, BindTransceiverRespID, OutbindID, EnquireLinkID, EnquireLinkRespID,
		SubmitMultiID, SubmitMultiRespID, AlertNotificationID, DataSMID, DataSMRespID:
		return true
	}
	return false
}

// Response returns the id of the response to request c (c with bit 31 set).
func (c CommandID) Response() CommandID { return c | 0x80000000 }

// Request returns the id of the request that response c answers.
func (c CommandID) Request() CommandID { return c &^ 0x80000000 }

// HasResponse reports whether a request with this id expects a response: every
// 3.4 request except outbind and alert_notification.
func (c CommandID) HasResponse() bool {
	return !c.IsResponse() && c != OutbindID && c != AlertNotificationID && c.Known()
}

// IsBind reports whether c is one of the three bind requests.
func (c CommandID) IsBind() bool {
	return c == BindReceiverID || c == BindTransmitterID || c == BindTransceiverID
}
