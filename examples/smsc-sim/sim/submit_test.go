package sim_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// Values SMPP 3.4 refuses in submit_sm, submit_multi and data_sm are
// answered with their status (shared/spec/smpp34-fields.md §5, §6, §8;
// smpp34-pdus.md §5.5), and nothing is stored or told to OnSubmit.
func TestSubmitValuesRefused(t *testing.T) {
	var told atomic.Int32
	s := start(t, sim.Config{OnSubmit: func(*sim.Submission) { told.Add(1) }})
	c := dial(t, s, client.Config{})
	ctx := context.Background()
	sm := func(f func(*pdu.SubmitSM)) *pdu.SubmitSM {
		m := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "2000", ShortMessage: []byte("hi")}
		f(m)
		return m
	}
	both := func(l *tlv.List) { l.SetMessagePayload([]byte("both")) }
	for _, tc := range []struct {
		name string
		m    *pdu.SubmitSM
		want pdu.Status
	}{
		{"priority_flag 4", sm(func(m *pdu.SubmitSM) { m.PriorityFlag = 4 }), pdu.ESME_RINVPRTFLG},
		{"registered_delivery 0xE0", sm(func(m *pdu.SubmitSM) { m.RegisteredDelivery = 0xE0 }), pdu.ESME_RINVREGDLVFLG},
		{"replace_if_present_flag 2", sm(func(m *pdu.SubmitSM) { m.ReplaceIfPresentFlag = 2 }), pdu.ESME_RINVREPFLAG},
		{"short_message and message_payload", sm(func(m *pdu.SubmitSM) { both(&m.TLVs) }), pdu.ESME_RINVMSGLEN},
		{"schedule_delivery_time p 'X'", sm(func(m *pdu.SubmitSM) { m.ScheduleDeliveryTime = "300101120000000X" }), pdu.ESME_RINVSCHED},
		{"validity_period p 'X'", sm(func(m *pdu.SubmitSM) { m.ValidityPeriod = "300101120000000X" }), pdu.ESME_RINVEXPIRY},
	} {
		if _, err := c.Submit(ctx, tc.m); !errors.Is(err, tc.want) {
			t.Errorf("submit_sm %s: %v, want %v", tc.name, err, tc.want)
		}
	}
	multi := &pdu.SubmitMulti{SourceAddr: "1000", Dests: []pdu.DestAddress{{DestinationAddr: "2000"}}, ShortMessage: []byte("hi"), PriorityFlag: 4}
	if _, err := c.SubmitMulti(ctx, multi); !errors.Is(err, pdu.ESME_RINVPRTFLG) {
		t.Errorf("submit_multi priority_flag 4: %v", err)
	}
	multi.PriorityFlag = 0
	both(&multi.TLVs)
	if _, err := c.SubmitMulti(ctx, multi); !errors.Is(err, pdu.ESME_RINVMSGLEN) {
		t.Errorf("submit_multi short_message and message_payload: %v", err)
	}
	ds := &pdu.DataSM{SourceAddr: "1000", DestinationAddr: "2000", RegisteredDelivery: 0xE0}
	both(&ds.TLVs)
	if _, err := c.DataSM(ctx, ds); !errors.Is(err, pdu.ESME_RINVREGDLVFLG) {
		t.Errorf("data_sm registered_delivery 0xE0: %v", err)
	}
	if n := s.Stats().Submitted; n != 0 || told.Load() != 0 {
		t.Fatalf("refused requests stored: submitted %d, OnSubmit told %d", n, told.Load())
	}
	// The values the spec allows are accepted.
	ok := sm(func(m *pdu.SubmitSM) {
		m.PriorityFlag, m.RegisteredDelivery, m.ReplaceIfPresentFlag = 3, 0x1F, 1
		m.ScheduleDeliveryTime, m.ValidityPeriod = "000000000001000R", "000001000000000R"
	})
	if _, err := c.Submit(ctx, ok); err != nil {
		t.Fatalf("valid submit_sm: %v", err)
	}
	if n := s.Stats().Submitted; n != 1 {
		t.Fatalf("submitted %d, want 1", n)
	}
}
