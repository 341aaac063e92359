package tlv

// Typed accessors for the optional parameters applications touch most. Getters
// return ok=false when the field is absent or its length does not match its type.

// MessagePayload returns the message_payload value (aliasing the list).
func (l List) MessagePayload() ([]byte, bool) { return l.Lookup(MessagePayload) }

// SetMessagePayload sets message_payload; the list keeps b.
func (l *List) SetMessagePayload(b []byte) { l.Set(MessagePayload, b) }

// ReceiptedMessageID returns receipted_message_id without its NUL.
func (l List) ReceiptedMessageID() ([]byte, bool) { return l.CString(ReceiptedMessageID) }

// SetReceiptedMessageID sets receipted_message_id.
func (l *List) SetReceiptedMessageID(id string) { l.SetCString(ReceiptedMessageID, id) }

// MessageState returns the message_state value (1 ENROUTE … 8 REJECTED).
func (l List) MessageState() (uint8, bool) { return l.Uint8(MessageState) }

// SetMessageState sets message_state.
func (l *List) SetMessageState(s uint8) { l.SetUint8(MessageState, s) }

// NetworkError is the value of network_error_code: a network type (1 ANSI-136,
// 2 IS-95, 3 GSM, ...) and an error code.
type NetworkError struct {
	Type uint8  // network type: 1 ANSI-136, 2 IS-95, 3 GSM, ...; zero when unset
	Code uint16 // the network's error code; zero when none
}

// NetworkErrorCode returns network_error_code.
func (l List) NetworkErrorCode() (NetworkError, bool) {
	v, ok := l.Lookup(NetworkErrorCode)
	if !ok || len(v) != 3 {
		return NetworkError{}, false
	}
	return NetworkError{Type: v[0], Code: uint16(v[1])<<8 | uint16(v[2])}, true
}

// SetNetworkErrorCode sets network_error_code.
func (l *List) SetNetworkErrorCode(e NetworkError) {
	l.Set(NetworkErrorCode, []byte{e.Type, byte(e.Code >> 8), byte(e.Code)})
}

// SAR is the segmentation-and-reassembly triple carried by sar_msg_ref_num,
// sar_total_segments and sar_segment_seqnum.
type SAR struct {
	Ref   uint16 // sar_msg_ref_num: the same in every segment of one message
	Total uint8  // sar_total_segments: 1–255
	Seq   uint8  // sar_segment_seqnum: 1..Total
}

// SAR returns the three sar_* values; ok is false unless all three are present
// with valid lengths (the spec says an incomplete set is ignored).
func (l List) SAR() (SAR, bool) {
	ref, ok1 := l.Uint16(SarMsgRefNum)
	total, ok2 := l.Uint8(SarTotalSegments)
	seq, ok3 := l.Uint8(SarSegmentSeqnum)
	if !ok1 || !ok2 || !ok3 {
		return SAR{}, false
	}
	return SAR{Ref: ref, Total: total, Seq: seq}, true
}

// SetSAR sets the three sar_* values.
func (l *List) SetSAR(s SAR) {
	l.SetUint16(SarMsgRefNum, s.Ref)
	l.SetUint8(SarTotalSegments, s.Total)
	l.SetUint8(SarSegmentSeqnum, s.Seq)
}

// SourcePort returns source_port.
func (l List) SourcePort() (uint16, bool) { return l.Uint16(SourcePort) }

// SetSourcePort sets source_port.
func (l *List) SetSourcePort(p uint16) { l.SetUint16(SourcePort, p) }

// DestinationPort returns destination_port.
func (l List) DestinationPort() (uint16, bool) { return l.Uint16(DestinationPort) }

// SetDestinationPort sets destination_port.
func (l *List) SetDestinationPort(p uint16) { l.SetUint16(DestinationPort, p) }

// UserMessageReference returns user_message_reference.
func (l List) UserMessageReference() (uint16, bool) { return l.Uint16(UserMessageReference) }

// SetUserMessageReference sets user_message_reference.
func (l *List) SetUserMessageReference(r uint16) { l.SetUint16(UserMessageReference, r) }

// ScInterfaceVersion returns sc_interface_version.
func (l List) ScInterfaceVersion() (uint8, bool) { return l.Uint8(ScInterfaceVersion) }

// SetScInterfaceVersion sets sc_interface_version.
func (l *List) SetScInterfaceVersion(v uint8) { l.SetUint8(ScInterfaceVersion, v) }

// UssdServiceOp returns ussd_service_op.
func (l List) UssdServiceOp() (uint8, bool) { return l.Uint8(UssdServiceOp) }

// SetUssdServiceOp sets ussd_service_op.
func (l *List) SetUssdServiceOp(op uint8) { l.SetUint8(UssdServiceOp, op) }

// MoreMessagesToSend returns more_messages_to_send.
func (l List) MoreMessagesToSend() (uint8, bool) { return l.Uint8(MoreMessagesToSend) }

// SetMoreMessagesToSend sets more_messages_to_send.
func (l *List) SetMoreMessagesToSend(v uint8) { l.SetUint8(MoreMessagesToSend, v) }

// PayloadType returns payload_type.
func (l List) PayloadType() (uint8, bool) { return l.Uint8(PayloadType) }

// SetPayloadType sets payload_type.
func (l *List) SetPayloadType(v uint8) { l.SetUint8(PayloadType, v) }

// MsAvailabilityStatus returns ms_availability_status.
func (l List) MsAvailabilityStatus() (uint8, bool) { return l.Uint8(MsAvailabilityStatus) }

// SetMsAvailabilityStatus sets ms_availability_status.
func (l *List) SetMsAvailabilityStatus(v uint8) { l.SetUint8(MsAvailabilityStatus, v) }

// DeliveryFailureReason returns delivery_failure_reason.
func (l List) DeliveryFailureReason() (uint8, bool) { return l.Uint8(DeliveryFailureReason) }

// SetDeliveryFailureReason sets delivery_failure_reason.
func (l *List) SetDeliveryFailureReason(v uint8) { l.SetUint8(DeliveryFailureReason, v) }

// AdditionalStatusInfoText returns additional_status_info_text without its NUL.
func (l List) AdditionalStatusInfoText() ([]byte, bool) { return l.CString(AdditionalStatusInfoText) }

// SetAdditionalStatusInfoText sets additional_status_info_text.
func (l *List) SetAdditionalStatusInfoText(s string) { l.SetCString(AdditionalStatusInfoText, s) }
