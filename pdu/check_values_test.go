package pdu_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
)

// checker is a request body with CheckValues.
type checker interface {
	validator
	CheckValues() error
}

// smFields builds a submit_sm body from the hex of its fields from
// priority_flag to replace_if_present_flag, short_message part (sm_length
// included) and TLVs; the rest are fixed.
func smFields(prio, sched, valid, regDel, replace, sm, tl string) string {
	return "00 0101" + cs("1") + "0101" + cs("2") + "00 00" + prio + sched + valid + regDel + replace + "00 00" + sm + tl
}

// multiFields is smFields for submit_multi, to one SME address.
func multiFields(prio, sched, valid, regDel, replace, sm, tl string) string {
	return "00 0101" + cs("1") + "01 01 0101" + cs("2") + "00 00" + prio + sched + valid + regDel + replace + "00 00" + sm + tl
}

// Requests that are encodable (strict decoding reads them, Validate passes
// them and AppendBinary writes them back octet for octet) and whose values
// SMPP 3.4 refuses: CheckValues names the first such field in wire order
// with the status an SMSC answers; the values the spec allows pass.
func TestCheckValuesVectors(t *testing.T) {
	const sm, both = "02 6869", "0424 0002 6869"
	abs, rel := cs("300101120000004+"), cs("000001060000000R")
	for _, tc := range []struct {
		name   string
		id     pdu.CommandID
		body   string
		status pdu.Status // 0: accepted
		field  string
	}{
		{"submit_sm", pdu.SubmitSMID, smFields("03", abs, rel, "1f", "01", sm, ""), 0, ""},
		{"submit_sm message_payload only", pdu.SubmitSMID, smFields("00", "00", "00", "01", "00", "00", both), 0, ""},
		{"submit_sm priority_flag 4", pdu.SubmitSMID, smFields("04", "00", "00", "00", "00", sm, ""), pdu.ESME_RINVPRTFLG, "priority_flag"},
		{"submit_sm priority_flag 255", pdu.SubmitSMID, smFields("ff", "00", "00", "00", "00", sm, ""), pdu.ESME_RINVPRTFLG, "priority_flag"},
		{"submit_sm registered_delivery 0xe0", pdu.SubmitSMID, smFields("00", "00", "00", "e0", "00", sm, ""), pdu.ESME_RINVREGDLVFLG, "registered_delivery"},
		{"submit_sm registered_delivery 0x21", pdu.SubmitSMID, smFields("00", "00", "00", "21", "00", sm, ""), pdu.ESME_RINVREGDLVFLG, "registered_delivery"},
		// Bits 1–0 = 3: reserved in 3.4, "success only" in 5.0; accepted.
		{"submit_sm registered_delivery 3", pdu.SubmitSMID, smFields("00", "00", "00", "03", "00", sm, ""), 0, ""},
		{"submit_sm replace_if_present_flag 2", pdu.SubmitSMID, smFields("00", "00", "00", "00", "02", sm, ""), pdu.ESME_RINVREPFLAG, "replace_if_present_flag"},
		{"submit_sm short_message and message_payload", pdu.SubmitSMID, smFields("00", "00", "00", "00", "00", sm, both), pdu.ESME_RINVMSGLEN, "message_payload"},
		{"submit_sm schedule p 'X'", pdu.SubmitSMID, smFields("00", cs("300101120000000X"), "00", "00", "00", sm, ""), pdu.ESME_RINVSCHED, "schedule_delivery_time"},
		{"submit_sm schedule month 13", pdu.SubmitSMID, smFields("00", cs("301301120000004+"), "00", "00", "00", sm, ""), pdu.ESME_RINVSCHED, "schedule_delivery_time"},
		{"submit_sm schedule letter", pdu.SubmitSMID, smFields("00", cs("3001011200000a4+"), "00", "00", "00", sm, ""), pdu.ESME_RINVSCHED, "schedule_delivery_time"},
		{"submit_sm schedule offset 49", pdu.SubmitSMID, smFields("00", cs("300101120000049-"), "00", "00", "00", sm, ""), pdu.ESME_RINVSCHED, "schedule_delivery_time"},
		// Lenient where the spec is: a lower-case 'r', digits before it.
		{"submit_sm schedule relative r", pdu.SubmitSMID, smFields("00", cs("000001060000123r"), "00", "00", "00", sm, ""), 0, ""},
		{"submit_sm validity p 'X'", pdu.SubmitSMID, smFields("00", "00", cs("300101120000000X"), "00", "00", sm, ""), pdu.ESME_RINVEXPIRY, "validity_period"},
		{"submit_sm first in wire order", pdu.SubmitSMID, smFields("04", cs("300101120000000X"), "00", "e0", "02", sm, both), pdu.ESME_RINVPRTFLG, "priority_flag"},
		{"submit_sm schedule before registered_delivery", pdu.SubmitSMID, smFields("00", cs("300101120000000X"), "00", "e0", "00", sm, ""), pdu.ESME_RINVSCHED, "schedule_delivery_time"},
		{"submit_multi", pdu.SubmitMultiID, multiFields("01", abs, rel, "01", "01", sm, ""), 0, ""},
		{"submit_multi priority_flag 4", pdu.SubmitMultiID, multiFields("04", "00", "00", "00", "00", sm, ""), pdu.ESME_RINVPRTFLG, "priority_flag"},
		{"submit_multi registered_delivery 0xe0", pdu.SubmitMultiID, multiFields("00", "00", "00", "e0", "00", sm, ""), pdu.ESME_RINVREGDLVFLG, "registered_delivery"},
		{"submit_multi replace_if_present_flag 2", pdu.SubmitMultiID, multiFields("00", "00", "00", "00", "02", sm, ""), pdu.ESME_RINVREPFLAG, "replace_if_present_flag"},
		{"submit_multi short_message and message_payload", pdu.SubmitMultiID, multiFields("00", "00", "00", "00", "00", sm, both), pdu.ESME_RINVMSGLEN, "message_payload"},
		{"submit_multi schedule p 'X'", pdu.SubmitMultiID, multiFields("00", cs("300101120000000X"), "00", "00", "00", sm, ""), pdu.ESME_RINVSCHED, "schedule_delivery_time"},
		{"submit_multi validity p 'X'", pdu.SubmitMultiID, multiFields("00", "00", cs("300101120000000X"), "00", "00", sm, ""), pdu.ESME_RINVEXPIRY, "validity_period"},
		{"data_sm", pdu.DataSMID, "00 0101" + cs("1") + "0101" + cs("2") + "00 1f 00" + both, 0, ""},
		{"data_sm registered_delivery 0xe0", pdu.DataSMID, "00 0101" + cs("1") + "0101" + cs("2") + "00 e0 00" + both, pdu.ESME_RINVREGDLVFLG, "registered_delivery"},
		{"replace_sm", pdu.ReplaceSMID, cs("5f3a") + "0101" + cs("1") + abs + rel + "01 00" + sm, 0, ""},
		{"replace_sm schedule p 'X'", pdu.ReplaceSMID, cs("5f3a") + "0101" + cs("1") + cs("300101120000000X") + "00 01 00" + sm, pdu.ESME_RINVSCHED, "schedule_delivery_time"},
		{"replace_sm validity p 'X'", pdu.ReplaceSMID, cs("5f3a") + "0101" + cs("1") + "00" + cs("300101120000000X") + "01 00" + sm, pdu.ESME_RINVEXPIRY, "validity_period"},
		{"replace_sm registered_delivery 0xe0", pdu.ReplaceSMID, cs("5f3a") + "0101" + cs("1") + "00 00 e0 00" + sm, pdu.ESME_RINVREGDLVFLG, "registered_delivery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := hx(t, tc.body)
			p := pdu.New(tc.id).(checker)
			if err := p.UnmarshalBinary(body); err != nil {
				t.Fatalf("strict decode: %v", err)
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if out, err := p.AppendBinary(nil); err != nil || !bytes.Equal(out, body) {
				t.Fatalf("AppendBinary: %x, %v; want %x", out, err, body)
			}
			err := p.CheckValues()
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("CheckValues: %v", err)
				}
				return
			}
			var fe *pdu.FieldError
			if !errors.As(err, &fe) || fe.Status != tc.status || fe.Field != tc.field || fe.Command != tc.id ||
				pdu.StatusOf(err) != tc.status || !errors.Is(err, tc.status) {
				t.Fatalf("CheckValues: %v, want %s %v", err, tc.field, tc.status)
			}
		})
	}
}

// CheckValues of an accepted request does not allocate.
func TestCheckValuesAllocs(t *testing.T) {
	sm := &pdu.SubmitSM{DestinationAddr: "2", PriorityFlag: 3, ScheduleDeliveryTime: "300101120000004+",
		ValidityPeriod: "000001060000000R", RegisteredDelivery: 0x11, ReplaceIfPresentFlag: 1, ShortMessage: []byte("hi")}
	if n := testing.AllocsPerRun(100, func() {
		if sm.CheckValues() != nil {
			t.Fatal("refused")
		}
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

// A known TLV with a length its type does not allow survives a lenient read
// (and Validate: AppendBinary writes it back as it came), but a strict
// reader of the stored body refuses it: CheckValues refuses it first, with
// ESME_RINVPARLEN naming the tag.
func TestCheckValuesTLVLength(t *testing.T) {
	const umr1 = "0204 0001 07" // user_message_reference is 2 octets
	for _, tc := range []struct {
		name string
		id   pdu.CommandID
		body string
	}{
		{"submit_sm", pdu.SubmitSMID, smFields("00", "00", "00", "00", "00", "02 6869", umr1)},
		{"submit_multi", pdu.SubmitMultiID, multiFields("00", "00", "00", "00", "00", "02 6869", umr1)},
		{"data_sm", pdu.DataSMID, "00 0101" + cs("1") + "0101" + cs("2") + "00 01 00" + umr1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := hx(t, tc.body)
			p := pdu.New(tc.id).(checker)
			if err := p.UnmarshalBinary(body); err == nil {
				t.Fatal("strict decode accepted a 1-octet user_message_reference")
			}
			if err := (pdu.DecodeOptions{Lenient: true}).Unmarshal(p, body); err != nil {
				t.Fatalf("lenient decode: %v", err)
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			err := p.CheckValues()
			var fe *pdu.FieldError
			if !errors.As(err, &fe) || fe.Status != pdu.ESME_RINVPARLEN || fe.Field != "user_message_reference" {
				t.Fatalf("CheckValues: %v, want user_message_reference ESME_RINVPARLEN", err)
			}
		})
	}
}
