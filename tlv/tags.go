package tlv

import "strconv"

// Tag identifies an optional parameter (TLV) of SMPP 3.4. Tags print as the spec
// spells them; unknown tags print as hexadecimal.
type Tag uint16

// Every optional parameter tag defined by SMPP 3.4 (section 5.3.2), plus the
// SMPP 5.0 congestion_state tag that 3.4 peers meet in practice.
const (
	DestAddrSubunit          Tag = 0x0005
	DestNetworkType          Tag = 0x0006
	DestBearerType           Tag = 0x0007
	DestTelematicsID         Tag = 0x0008
	SourceAddrSubunit        Tag = 0x000D
	SourceNetworkType        Tag = 0x000E
	SourceBearerType         Tag = 0x000F
	SourceTelematicsID       Tag = 0x0010
	QosTimeToLive            Tag = 0x0017
	PayloadType              Tag = 0x0019
	AdditionalStatusInfoText Tag = 0x001D
	ReceiptedMessageID       Tag = 0x001E
	MsMsgWaitFacilities      Tag = 0x0030
	PrivacyIndicator         Tag = 0x0201
	SourceSubaddress         Tag = 0x0202
	DestSubaddress           Tag = 0x0203
	UserMessageReference     Tag = 0x0204
	UserResponseCode         Tag = 0x0205
	SourcePort               Tag = 0x020A
	DestinationPort          Tag = 0x020B
	SarMsgRefNum             Tag = 0x020C
	LanguageIndicator        Tag = 0x020D
	SarTotalSegments         Tag = 0x020E
	SarSegmentSeqnum         Tag = 0x020F
	ScInterfaceVersion       Tag = 0x0210
	CallbackNumPresInd       Tag = 0x0302
	CallbackNumAtag          Tag = 0x0303
	NumberOfMessages         Tag = 0x0304
	CallbackNum              Tag = 0x0381
	DpfResult                Tag = 0x0420
	SetDpf                   Tag = 0x0421
	MsAvailabilityStatus     Tag = 0x0422
	NetworkErrorCode         Tag = 0x0423
	MessagePayload           Tag = 0x0424
	DeliveryFailureReason    Tag = 0x0425
	MoreMessagesToSend       Tag = 0x0426
	MessageState             Tag = 0x0427
	CongestionState          Tag = 0x0428 // SMPP 5.0
	UssdServiceOp            Tag = 0x0501
	DisplayTime              Tag = 0x1201
	SmsSignal                Tag = 0x1203
	MsValidity               Tag = 0x1204
	AlertOnMessageDelivery   Tag = 0x130C
	ItsReplyType             Tag = 0x1380
	ItsSessionInfo           Tag = 0x1383
)

// VendorMin and VendorMax bound the SMSC vendor-specific tag range.
const (
	VendorMin Tag = 0x1400
	VendorMax Tag = 0x3FFF
)

// kind is the value type of a known tag.
type kind uint8

const (
	kindInt kind = iota + 1
	kindCString
	kindOctets
	kindNone
)

// info describes a known tag: its name, value type and the allowed value lengths.
type info struct {
	name     string
	kind     kind
	min, max int
}

var tagInfo = map[Tag]info{
	DestAddrSubunit:          {"dest_addr_subunit", kindInt, 1, 1},
	DestNetworkType:          {"dest_network_type", kindInt, 1, 1},
	DestBearerType:           {"dest_bearer_type", kindInt, 1, 1},
	DestTelematicsID:         {"dest_telematics_id", kindInt, 1, 2},
	SourceAddrSubunit:        {"source_addr_subunit", kindInt, 1, 1},
	SourceNetworkType:        {"source_network_type", kindInt, 1, 1},
	SourceBearerType:         {"source_bearer_type", kindInt, 1, 1},
	SourceTelematicsID:       {"source_telematics_id", kindInt, 1, 2},
	QosTimeToLive:            {"qos_time_to_live", kindInt, 4, 4},
	PayloadType:              {"payload_type", kindInt, 1, 1},
	AdditionalStatusInfoText: {"additional_status_info_text", kindCString, 1, 256},
	ReceiptedMessageID:       {"receipted_message_id", kindCString, 1, 65},
	MsMsgWaitFacilities:      {"ms_msg_wait_facilities", kindInt, 1, 1},
	PrivacyIndicator:         {"privacy_indicator", kindInt, 1, 1},
	SourceSubaddress:         {"source_subaddress", kindOctets, 2, 23},
	DestSubaddress:           {"dest_subaddress", kindOctets, 2, 23},
	UserMessageReference:     {"user_message_reference", kindInt, 2, 2},
	UserResponseCode:         {"user_response_code", kindInt, 1, 1},
	SourcePort:               {"source_port", kindInt, 2, 2},
	DestinationPort:          {"destination_port", kindInt, 2, 2},
	SarMsgRefNum:             {"sar_msg_ref_num", kindInt, 2, 2},
	LanguageIndicator:        {"language_indicator", kindInt, 1, 1},
	SarTotalSegments:         {"sar_total_segments", kindInt, 1, 1},
	SarSegmentSeqnum:         {"sar_segment_seqnum", kindInt, 1, 1},
	ScInterfaceVersion:       {"sc_interface_version", kindInt, 1, 1},
	CallbackNumPresInd:       {"callback_num_pres_ind", kindInt, 1, 1},
	CallbackNumAtag:          {"callback_num_atag", kindOctets, 0, 65},
	NumberOfMessages:         {"number_of_messages", kindInt, 1, 1},
	CallbackNum:              {"callback_num", kindOctets, 4, 19},
	DpfResult:                {"dpf_result", kindInt, 1, 1},
	SetDpf:                   {"set_dpf", kindInt, 1, 1},
	MsAvailabilityStatus:     {"ms_availability_status", kindInt, 1, 1},
	NetworkErrorCode:         {"network_error_code", kindOctets, 3, 3},
	MessagePayload:           {"message_payload", kindOctets, 0, 65535},
	DeliveryFailureReason:    {"delivery_failure_reason", kindInt, 1, 1},
	MoreMessagesToSend:       {"more_messages_to_send", kindInt, 1, 1},
	MessageState:             {"message_state", kindInt, 1, 1},
	CongestionState:          {"congestion_state", kindInt, 1, 1},
	UssdServiceOp:            {"ussd_service_op", kindOctets, 1, 1},
	DisplayTime:              {"display_time", kindInt, 1, 1},
	SmsSignal:                {"sms_signal", kindInt, 2, 2},
	MsValidity:               {"ms_validity", kindInt, 1, 1},
	AlertOnMessageDelivery:   {"alert_on_message_delivery", kindNone, 0, 1},
	ItsReplyType:             {"its_reply_type", kindInt, 1, 1},
	ItsSessionInfo:           {"its_session_info", kindOctets, 2, 2},
}

// String returns the tag's SMPP name, such as "message_payload", or "vendor_0x1400"
// for vendor-specific tags and "0x1234" for any other unknown tag.
func (t Tag) String() string {
	if i, ok := tagInfo[t]; ok {
		return i.name
	}
	if t.IsVendor() {
		return "vendor_0x" + hex4(uint16(t))
	}
	return "0x" + hex4(uint16(t))
}

// Known reports whether t is a tag this package knows by name.
func (t Tag) Known() bool { _, ok := tagInfo[t]; return ok }

// IsVendor reports whether t lies in the SMSC vendor-specific range 0x1400–0x3FFF.
func (t Tag) IsVendor() bool { return t >= VendorMin && t <= VendorMax }

// LengthOK reports whether n is a valid value length for t. Unknown tags accept
// any length.
func (t Tag) LengthOK(n int) bool {
	if int(t) < len(lengthIndex) {
		// The fast path of every Scan: no map lookup.
		k := lengthIndex[t]
		if k == 0 {
			return true
		}
		b := lengthBounds[k-1]
		return n >= int(b[0]) && n <= int(b[1])
	}
	i, ok := tagInfo[t]
	if !ok {
		return true
	}
	return n >= i.min && n <= i.max
}

// lengthIndex maps a tag below the vendor range to 1 + its index in
// lengthBounds, or 0 for an unknown tag. Built from tagInfo.
var (
	lengthIndex  [VendorMin]uint8
	lengthBounds [][2]uint16
)

func init() {
	for t, i := range tagInfo {
		if t < VendorMin && len(lengthBounds) < 255 {
			lengthBounds = append(lengthBounds, [2]uint16{uint16(i.min), uint16(i.max)})
			lengthIndex[t] = uint8(len(lengthBounds))
		}
	}
}

// TagByName returns the tag whose SMPP name is name ("sar_msg_ref_num").
func TagByName(name string) (Tag, bool) {
	for t, i := range tagInfo {
		if i.name == name {
			return t, true
		}
	}
	return 0, false
}

func hex4(v uint16) string {
	s := strconv.FormatUint(uint64(v), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}
