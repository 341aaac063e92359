package pdu

import "github.com/esmsafrica/smpp/tlv"

// The values an SMSC refuses in a request whose fields are all within their
// sizes (shared/spec/smpp34-fields.md §5, §6 and §8, smpp34-pdus.md §5.5).
//
// These are not Validate's checks, and Validate does not make them: Validate
// answers "can AppendBinary write this body?", and it can write a
// priority_flag of 4 or a schedule_delivery_time ending in 'X' (an ESME under
// test, or a conformance tester, sends exactly such values). Whether the
// value means something is a question for the receiver, so CheckValues is a
// separate method that an SMSC calls after Validate (or on a strictly read
// request, which Validate would pass), before it stores or answers anything.

// regDeliveryReserved are the reserved bits 7–5 of registered_delivery.
const regDeliveryReserved = 0xE0

// CheckValues checks the values of the fields that SMPP 3.4 restricts beyond
// their size, in wire order, and returns the first one refused as a
// *FieldError with the command_status an SMSC answers, or nil:
//
//   - priority_flag above 3: ESME_RINVPRTFLG;
//   - schedule_delivery_time not empty and not a valid absolute or relative
//     time (ParseSMPPTime): ESME_RINVSCHED;
//   - validity_period likewise: ESME_RINVEXPIRY;
//   - registered_delivery with a reserved bit (7–5, mask 0xE0) set:
//     ESME_RINVREGDLVFLG;
//   - replace_if_present_flag above 1: ESME_RINVREPFLAG;
//   - a short_message together with a message_payload TLV: ESME_RINVMSGLEN,
//     naming message_payload;
//   - a TLV of a known tag with a length its type does not allow (a lenient
//     read keeps it): ESME_RINVPARLEN, naming the tag. A strict reader of
//     the stored body (an upstream, or the server itself later) would refuse
//     it, so it must not be accepted.
//
// It is lenient where the spec is: registered_delivery 3 in bits 1–0
// (reserved in 3.4, "success only" in SMPP 5.0) passes, as do a lower-case
// 'r' and digits other than "000" before the 'R' of a relative time.
//
// CheckValues does not repeat Validate, which checks the sizes AppendBinary
// needs (and AppendBinary writes any of these values, as a tester must be
// able to): a server calls Validate, then CheckValues. It does not allocate
// unless it fails.
func (m *SubmitSM) CheckValues() error {
	return checkValues(SubmitSMID, m.PriorityFlag, m.ScheduleDeliveryTime, m.ValidityPeriod,
		m.RegisteredDelivery, m.ReplaceIfPresentFlag, m.ShortMessage, m.TLVs)
}

// CheckValues is SubmitSM.CheckValues for submit_multi: the same fields, with
// the same statuses.
func (m *SubmitMulti) CheckValues() error {
	return checkValues(SubmitMultiID, m.PriorityFlag, m.ScheduleDeliveryTime, m.ValidityPeriod,
		m.RegisteredDelivery, m.ReplaceIfPresentFlag, m.ShortMessage, m.TLVs)
}

// CheckValues is SubmitSM.CheckValues for data_sm, whose only such field is
// registered_delivery (it has no priority, times, replace flag or
// short_message).
func (m *DataSM) CheckValues() error {
	if m.RegisteredDelivery&regDeliveryReserved != 0 {
		return valueError(DataSMID, "registered_delivery", ESME_RINVREGDLVFLG)
	}
	return checkTLVLengths(DataSMID, m.TLVs)
}

// checkTLVLengths refuses a TLV of a known tag whose length its type does
// not allow.
func checkTLVLengths(cmd CommandID, l tlv.List) error {
	for _, f := range l {
		if !f.Tag.LengthOK(len(f.Value)) {
			return &FieldError{Command: cmd, Field: f.Tag.String(), Status: ESME_RINVPARLEN, Err: &tlv.LengthError{Tag: f.Tag, Len: len(f.Value)}}
		}
	}
	return nil
}

// CheckValues is SubmitSM.CheckValues for replace_sm: schedule_delivery_time,
// validity_period (empty keeps the original) and registered_delivery.
func (r *ReplaceSM) CheckValues() error {
	return checkValues(ReplaceSMID, 0, r.ScheduleDeliveryTime, r.ValidityPeriod, r.RegisteredDelivery, 0, nil, nil)
}

// checkValues checks the fields shared by submit_sm, submit_multi and
// replace_sm, in wire order.
func checkValues(cmd CommandID, priority uint8, schedule, validity string, regDel, replace uint8, sm []byte, l tlv.List) error {
	if priority > 3 {
		return valueError(cmd, "priority_flag", ESME_RINVPRTFLG)
	}
	if _, err := ParseSMPPTime(schedule); err != nil {
		return &FieldError{Command: cmd, Field: "schedule_delivery_time", Status: ESME_RINVSCHED, Err: err}
	}
	if _, err := ParseSMPPTime(validity); err != nil {
		return &FieldError{Command: cmd, Field: "validity_period", Status: ESME_RINVEXPIRY, Err: err}
	}
	if regDel&regDeliveryReserved != 0 {
		return valueError(cmd, "registered_delivery", ESME_RINVREGDLVFLG)
	}
	if replace > 1 {
		return valueError(cmd, "replace_if_present_flag", ESME_RINVREPFLAG)
	}
	if len(sm) > 0 && l.Has(tlv.MessagePayload) {
		return valueError(cmd, "message_payload", ESME_RINVMSGLEN)
	}
	return checkTLVLengths(cmd, l)
}

// valueError reports a value refused in field of cmd.
func valueError(cmd CommandID, field string, st Status) error {
	return &FieldError{Command: cmd, Field: field, Status: st, Err: ErrBadValue}
}
