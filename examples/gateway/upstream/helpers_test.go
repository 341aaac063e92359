package upstream

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// fakeClaim records how a claim was resolved.
type fakeClaim struct {
	t      queue.Ticket
	acked  int
	naked  int
	delays []time.Duration
}

func (c *fakeClaim) Ticket() queue.Ticket { return c.t }
func (c *fakeClaim) Deliveries() int      { return 1 }
func (c *fakeClaim) Ack() error           { c.acked++; return nil }
func (c *fakeClaim) Nak(d time.Duration) error {
	c.naked++
	c.delays = append(c.delays, d)
	return nil
}
func (c *fakeClaim) Extend() error { return nil }

// routes is a fixed routing configuration.
type routes struct {
	route  []string
	dedupe map[string]tlv.Tag
	mo     map[string]string
}

func (r routes) Route(string, string, string) []string { return r.route }
func (r routes) Dedupe(name string) tlv.Tag            { return r.dedupe[name] }
func (r routes) MOAccount(dest string) string          { return r.mo[dest] }

// newTest returns a Dispatcher on an in-memory store, with no SMSC client
// and not started; it is stopped at the end of the test.
func newTest(t *testing.T, o Options) (*Dispatcher, *store.Memory) {
	t.Helper()
	st := store.NewMemory()
	o.Store = st
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Routes == nil {
		o.Routes = routes{}
	}
	d := New(o)
	t.Cleanup(func() {
		d.Stop(context.Background())
		st.Close()
	})
	return d, st
}

// accept stores a new submit_sm for dest and returns its record.
func accept(t *testing.T, st store.Store, id string, registered uint8) *store.Message {
	t.Helper()
	body, err := (&pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("hello"),
		RegisteredDelivery: registered}).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &store.Message{ID: id, Account: "demo", Command: uint32(pdu.SubmitSMID), Body: body, Registered: registered,
		Source: "1000", Dest: "254700000001", State: store.Queued, Created: time.Now()}
	if err := st.Accept(m); err != nil {
		t.Fatal(err)
	}
	return m
}

// take hands dl to the Dispatcher as the SMSC client's read loop does, and
// returns a channel that gets its answer to the SMSC (nil: acknowledged).
func take(d *Dispatcher, u *SMSC, dl *client.Delivery) <-chan error {
	answer := make(chan error, 2) // a second answer would be a defect: see answered
	d.take(u, dl, func(err error) { answer <- err })
	return answer
}

// answered waits for the one answer on a channel of take.
func answered(t *testing.T, answer <-chan error) error {
	t.Helper()
	select {
	case err := <-answer:
		select {
		case again := <-answer:
			t.Fatalf("the delivery was answered twice: %v, then %v", err, again)
		default:
		}
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery was not answered")
		return nil
	}
}
