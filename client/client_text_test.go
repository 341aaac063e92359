package client_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/smpptest"
	"github.com/esmsafrica/smpp/udh"
)

// longText is 500 characters of Unicode with emoji.
func longText() string {
	var b strings.Builder
	parts := []string{"Habari ", "😀", "日本語", "ça va? ", "🚀", "Ω≈ç√", "👍🏽"}
	for utf8.RuneCountInString(b.String()) < 500 {
		for _, p := range parts {
			for _, r := range p {
				if utf8.RuneCountInString(b.String()) < 500 {
					b.WriteRune(r)
				}
			}
		}
	}
	return b.String()
}

// segmentsUCS2 counts the segments of a UCS-2 text, 67 code units per
// segment (8-bit reference UDH), never splitting a surrogate pair.
func segmentsUCS2(s string) int {
	n, used := 1, 0
	for _, r := range s {
		u := 1
		if r > 0xFFFF {
			u = 2
		}
		if used+u > 67 {
			n++
			used = 0
		}
		used += u
	}
	return n
}

func TestLongMessage(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, ts.Addr, client.Config{})
	text := longText()
	if utf8.RuneCountInString(text) != 500 {
		t.Fatal("bad test text")
	}
	ids, err := c.SendText(testCtx(t), "+254700000002", "+254700000001", text)
	if err != nil {
		t.Fatal(err)
	}
	want := segmentsUCS2(text)
	if len(ids) != want {
		t.Fatalf("%d segments, want %d", len(ids), want)
	}
	subs, err := ts.WaitSubmits(want, guard)
	if err != nil || len(subs) != want {
		t.Fatalf("server got %d: %v", len(subs), err)
	}
	assertReassembles(t, subs, text, want)
}

func assertReassembles(t *testing.T, subs []smpptest.Received, text string, want int) {
	t.Helper()
	r := udh.NewReassembler(udh.Config{})
	var done []udh.Assembled
	for _, s := range subs {
		sm := s.PDU.(*pdu.SubmitSM)
		if len(sm.ShortMessage) > 140 {
			t.Fatalf("segment of %d octets", len(sm.ShortMessage))
		}
		if sm.DataCoding != 8 {
			t.Fatalf("data_coding %d", sm.DataCoding)
		}
		m, ok, err := r.Add(udh.Part{Source: sm.SourceAddr, Dest: sm.DestinationAddr, UDHI: sm.ESMClass&0x40 != 0,
			DataCoding: sm.DataCoding, ShortMessage: sm.ShortMessage, TLVs: sm.TLVs}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			done = append(done, m)
		}
	}
	if len(done) != 1 || done[0].Total != want {
		t.Fatalf("reassembled %d messages", len(done))
	}
	got, err := done[0].Text()
	if err != nil || got != text {
		t.Fatalf("reassembled text differs: %v\n%q\n%q", err, got, text)
	}
}

func TestLongMessageSAR(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, ts.Addr, client.Config{Split: client.SplitSAR})
	text := longText()
	ids, err := c.SendText(testCtx(t), "A", "1", text)
	if err != nil {
		t.Fatal(err)
	}
	subs, _ := ts.WaitSubmits(len(ids), guard)
	for _, s := range subs {
		if _, ok := s.PDU.(*pdu.SubmitSM).TLVs.SAR(); !ok {
			t.Fatal("no SAR TLVs")
		}
	}
	r := udh.NewReassembler(udh.Config{})
	for i, s := range subs {
		sm := s.PDU.(*pdu.SubmitSM)
		m, ok, err := r.Add(udh.Part{Source: sm.SourceAddr, Dest: sm.DestinationAddr, DataCoding: sm.DataCoding, ShortMessage: sm.ShortMessage, TLVs: sm.TLVs}, time.Now())
		if err != nil || ok != (i == len(subs)-1) {
			t.Fatalf("part %d: %v %v", i, ok, err)
		}
		if ok {
			if got, _ := m.Text(); got != text {
				t.Fatal("SAR text differs")
			}
		}
	}
}

// TestMOReassembly delivers a three-part MO message; the handler sees it
// once, whole. A handler error answers ESME_RX_T_APPN, and the SMSC's
// redelivery of the last part brings the whole message back.
func TestMOReassembly(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	got := make(chan string, 10)
	var fail atomic.Bool
	c := dial(t, ts.Addr, client.Config{Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
		if d.IsReceipt() {
			return errors.New("unexpected receipt")
		}
		s, err := d.Text()
		if err != nil {
			return err
		}
		got <- s
		if fail.Load() {
			return errors.New("database down")
		}
		return nil
	})})
	_ = c
	if _, err := ts.WaitBinds(1, guard); err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("MO message that is long enough for three parts. ", 9)
	msg, err := udh.Split(text, udh.Options{Refs: udh.RefFunc(func() uint16 { return 77 })})
	if err != nil || len(msg.Segments) != 3 {
		t.Fatalf("split: %d %v", len(msg.Segments), err)
	}
	ctx := testCtx(t)
	deliver := func(i int) error {
		seg := msg.Segments[i]
		_, err := ts.SMSC.Deliver(ctx, "esme", &pdu.DeliverSM{SourceAddr: "254700000009", DestinationAddr: "12345",
			ESMClass: 0x40, DataCoding: seg.DataCoding, ShortMessage: append([]byte(nil), seg.ShortMessage...)})
		return err
	}
	for _, i := range []int{2, 0, 1} {
		if err := deliver(i); err != nil {
			t.Fatalf("deliver part %d: %v", i, err)
		}
	}
	if s := <-got; s != text {
		t.Fatalf("got %q", s)
	}

	// Same message again with another reference, and a failing handler.
	msg, _ = udh.Split(text, udh.Options{Refs: udh.RefFunc(func() uint16 { return 78 })})
	fail.Store(true)
	deliver(0)
	deliver(1)
	if err := deliver(2); !errors.Is(err, pdu.ESME_RX_T_APPN) {
		t.Fatalf("handler error answered %v", err)
	}
	if s := <-got; s != text {
		t.Fatalf("got %q", s)
	}
	fail.Store(false)
	if err := deliver(2); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if s := <-got; s != text {
		t.Fatalf("redelivered %q", s)
	}
}

func TestHold(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	acks := make(chan func(error), 1)
	dial(t, ts.Addr, client.Config{Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
		acks <- d.Hold()
		return errors.New("ignored after Hold")
	})})
	ts.WaitBinds(1, guard)
	errc := make(chan error, 1)
	go func() {
		_, err := ts.SMSC.Deliver(testCtx(t), "esme", &pdu.DeliverSM{SourceAddr: "1", DestinationAddr: "2", ShortMessage: []byte("hi")})
		errc <- err
	}()
	ack := <-acks
	ack(nil)
	if err := <-errc; err != nil {
		t.Fatalf("held delivery answered %v", err)
	}
}

func TestNoHandler(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	dial(t, ts.Addr, client.Config{})
	ts.WaitBinds(1, guard)
	_, err := ts.SMSC.Deliver(testCtx(t), "esme", &pdu.DeliverSM{SourceAddr: "1", DestinationAddr: "2", ShortMessage: []byte("hi")})
	if !errors.Is(err, pdu.ESME_RX_T_APPN) {
		t.Fatalf("no handler answered %v", err)
	}
}

func TestSendTextGSM(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, ts.Addr, client.Config{Split: client.SplitUDH16})
	text := strings.Repeat("0123456789", 31) // 310 GSM characters: 3 segments of 152
	ids, err := c.SendText(testCtx(t), "A", "1", text)
	if err != nil || len(ids) != 3 {
		t.Fatalf("%v %v", ids, err)
	}
	subs, _ := ts.WaitSubmits(3, guard)
	for _, s := range subs {
		sm := s.PDU.(*pdu.SubmitSM)
		if sm.DataCoding != 0 || sm.ESMClass&0x40 == 0 || sm.ShortMessage[1] != 0x08 {
			t.Fatalf("segment: dc %d esm %x udh %x", sm.DataCoding, sm.ESMClass, sm.ShortMessage[:7])
		}
	}
	_ = encoding.GSM7
}
