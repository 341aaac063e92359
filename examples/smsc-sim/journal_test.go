package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// TestJournal submits a message twice with the same idempotency key, one
// without a key and one data_sm whose outcome is UNDELIV, and reads the
// journal: one line per answer, with the key, the id, the duplicate hit and
// the text, and one per acknowledged receipt with its stat.
func TestJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.f.Close()
	s := sim.New(sim.Config{
		Accounts:       []sim.Account{{SystemID: "test", Password: "secret"}},
		DedupeTLV:      0x1501,
		PrefixOutcomes: []sim.PrefixOutcome{{Prefix: "2547009", Outcome: sim.Outcome{State: pdu.StateUndeliverable, Err: 1}}},
		OnSubmit:       j.submit,
		OnReceipt:      j.receipt,
		Logger:         slog.New(slog.DiscardHandler),
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	}()

	receipts := make(chan string, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, l.Addr().String(), client.Config{SystemID: "test", Password: "secret",
		Handler: client.HandlerFunc(func(_ context.Context, d *client.Delivery) error {
			if d.IsReceipt() {
				receipts <- d.Receipt.ID
			}
			return nil
		}),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())

	keyed := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", RegisteredDelivery: 1, ShortMessage: []byte("keyed")}
	keyed.TLVs.Set(tlv.Tag(0x1501), []byte("gw-1\x00"))
	r1, err := c.Submit(ctx, keyed)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c.Submit(ctx, keyed)
	if err != nil {
		t.Fatal(err)
	}
	r3, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000002", ShortMessage: []byte("no key")})
	if err != nil {
		t.Fatal(err)
	}
	ds := &pdu.DataSM{SourceAddr: "1000", DestinationAddr: "254700900001", RegisteredDelivery: 1}
	ds.TLVs.SetMessagePayload([]byte("payload"))
	r4, err := c.DataSM(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // r1 (once: r2 is the same message) and r4
		select {
		case <-receipts:
		case <-ctx.Done():
			t.Fatal("receipts did not come")
		}
	}
	// The journal line of a receipt is written once the ESME's answer is
	// read: wait for the second one.
	var lines []journalLine
	for {
		lines = readLines(t, path)
		if len(lines) >= 6 || ctx.Err() != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	if r1.MessageID != r2.MessageID {
		t.Errorf("the same key got ids %s and %s", r1.MessageID, r2.MessageID)
	}
	str := func(p *string) string {
		if p == nil {
			return "<none>"
		}
		return *p
	}
	var got []string
	submitLine := map[string]int{}
	for i, l := range lines {
		if l.Ev == "submit" && !*l.Dup {
			submitLine[l.ID] = i
		} else if _, ok := submitLine[l.ID]; l.Ev == "receipt" && !ok {
			t.Errorf("line %d: receipt of %s before its submission", i+1, l.ID)
		}
		if l.T.IsZero() || time.Since(l.T) > time.Minute {
			t.Errorf("line %+v: time %v", l, l.T)
		}
		dup := "<none>"
		if l.Dup != nil {
			dup = map[bool]string{true: "dup", false: "new"}[*l.Dup]
		}
		got = append(got, strings.Join([]string{l.Ev, "key=" + str(l.Key), "id=" + l.ID, dup, "text=" + str(l.Text), "stat=" + l.Stat}, " "))
	}
	want := []string{
		"receipt key=<none> id=" + r1.MessageID + " <none> text=<none> stat=DELIVRD",
		"receipt key=<none> id=" + r4.MessageID + " <none> text=<none> stat=UNDELIV",
		"submit key=gw-1 id=" + r1.MessageID + " new text=keyed stat=",
		"submit key=gw-1 id=" + r1.MessageID + " dup text=keyed stat=",
		"submit key= id=" + r3.MessageID + " new text=no key stat=",
		"submit key= id=" + r4.MessageID + " new text=payload stat=",
	}
	// Submissions in order; the receipts (at once) come between them.
	sort.SliceStable(got, func(i, j int) bool { return got[i][0] == 'r' && got[j][0] == 's' })
	sort.Strings(got[:min(2, len(got))])
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("journal:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func readLines(t *testing.T, path string) []journalLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []journalLine
	for _, s := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if s == "" {
			continue
		}
		var l journalLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("journal line %q: %v", s, err)
		}
		out = append(out, l)
	}
	return out
}
