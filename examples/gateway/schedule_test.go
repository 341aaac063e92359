package main

import (
	"context"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// A submit_sm with a schedule_delivery_time is held queued by the gateway
// until then: query_sm says ENROUTE, cancel_sm and replace_sm work until it
// leaves (smppconform smsc.qcr.4-7 found them failing once the gateway had
// forwarded the message at once), and it reaches the upstream at its time,
// without the schedule (the upstream would count a relative time again).
func TestScheduledHeldUntilTime(t *testing.T) {
	a := inproc(t, nil)
	c := dialDemo(t, a, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	before := a.sim.Stats().Submitted

	const in2s = "000000000002000R" // two seconds from now
	submit := func(text string) string {
		t.Helper()
		r, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001",
			ScheduleDeliveryTime: in2s, ShortMessage: []byte(text)})
		if err != nil {
			t.Fatal(err)
		}
		return r.MessageID
	}
	cancelled, replaced, kept := submit("cancel me"), submit("replace me"), submit("keep me")
	start := time.Now()

	q, err := c.QuerySM(ctx, &pdu.QuerySM{MessageID: kept, SourceAddr: "1000"})
	if err != nil || q.MessageState != pdu.StateEnroute {
		t.Fatalf("query_sm of a scheduled message: %+v, %v; want ENROUTE", q, err)
	}
	if err := c.CancelSM(ctx, &pdu.CancelSM{MessageID: cancelled, SourceAddr: "1000"}); err != nil {
		t.Fatalf("cancel_sm of a scheduled message: %v", err)
	}
	if err := c.ReplaceSM(ctx, &pdu.ReplaceSM{MessageID: replaced, SourceAddr: "1000", ShortMessage: []byte("replaced")}); err != nil {
		t.Fatalf("replace_sm of a scheduled message: %v", err)
	}
	if n := a.sim.Stats().Submitted - before; n != 0 && time.Since(start) < 1500*time.Millisecond {
		t.Fatalf("%d scheduled messages reached the upstream before their time", n)
	}
	// The two not cancelled go at their time.
	for a.sim.Stats().Submitted-before < 2 {
		if ctx.Err() != nil {
			t.Fatalf("%d of 2 scheduled messages reached the upstream", a.sim.Stats().Submitted-before)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("scheduled messages reached the upstream after %v, want about 2 s", took)
	}
	time.Sleep(300 * time.Millisecond)
	if n := a.sim.Stats().Submitted - before; n != 2 {
		t.Errorf("%d messages reached the upstream, want 2 (the cancelled one never)", n)
	}
	q, err = c.QuerySM(ctx, &pdu.QuerySM{MessageID: cancelled, SourceAddr: "1000"})
	if err != nil || q.MessageState != pdu.StateDeleted {
		t.Errorf("query_sm of the cancelled message: %+v, %v; want DELETED", q, err)
	}
}
