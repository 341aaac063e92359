package client_test

import (
	"context"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

// The ESME quick start of the README: send a one-time password over TLS and
// wait for its delivery receipt. (A test SMSC stands in for the operator.)
func Example() {
	smsc := smpptest.NewTLSServer(nil, smpptest.Options{Receipts: true})
	defer smsc.Close()
	ctx := context.Background()

	receipts := make(chan *pdu.Receipt, 1)
	c, err := client.Dial(ctx, smsc.Addr, client.Config{
		SystemID: "user", Password: "secret",
		TLS:                smsc.ClientTLSConfig(), // &tls.Config{} for an SMSC with a public certificate; nil for plain TCP
		RegisteredDelivery: 1,                      // ask for a receipt of every segment
		Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
			if d.Receipt != nil {
				receipts <- d.Receipt.Clone() // the receipt aliases the PDU
			}
			return nil // acknowledged; an error asks the SMSC to deliver it again later
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(context.Background())

	ids, err := c.SendText(ctx, "MyBank", "+254700000001", "Your code is 482913 👋")
	if err != nil {
		log.Fatal(err)
	}
	r := <-receipts
	fmt.Println(len(ids), "segment; receipt for it:", pdu.MessageIDEqual(r.ID, ids[0]), "state:", r.State)
	// Output: 1 segment; receipt for it: true state: DELIVERED
}

// Keep thousands of submits in flight from one goroutine with no goroutine
// per request: the future calls a function when the answer comes (on the
// bind's read loop: it must not block).
func ExampleFuture_OnDone() {
	smsc := smpptest.NewServer(nil, smpptest.Options{})
	defer smsc.Close()
	ctx := context.Background()
	c, err := client.Dial(ctx, smsc.Addr, client.Config{SystemID: "esme", Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	const n = 1000
	var accepted atomic.Int32
	var wg sync.WaitGroup
	wg.Add(n)
	done := func(r *pdu.SubmitSMResp, err error) {
		if err == nil {
			accepted.Add(1)
		}
		wg.Done()
	}
	for range n {
		// Blocks only while the window (100 by default) is full.
		c.SubmitAsync(ctx, &pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte("hello")}).OnDone(done)
	}
	wg.Wait()
	fmt.Println(accepted.Load(), "accepted")
	// Output: 1000 accepted
}

// Listen for MO messages as a receiver; long messages arrive whole.
func Example_listen() {
	smsc := smpptest.NewServer(nil, smpptest.Options{})
	defer smsc.Close()
	ctx := context.Background()

	texts := make(chan string, 1)
	c, err := client.Dial(ctx, smsc.Addr, client.Config{
		SystemID: "esme", Password: "secret",
		Mode: client.Receiver,
		Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
			if d.IsReceipt() {
				return nil
			}
			text, err := d.Text()
			if err != nil {
				return err // ESME_RX_T_APPN: the SMSC delivers it again later
			}
			texts <- d.Source + ": " + text
			return nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	// The SMSC delivers an MO message.
	smsc.SMSC.Deliver(ctx, "esme", &pdu.DeliverSM{SourceAddr: "254700000001", DestinationAddr: "12345", ShortMessage: []byte("STOP")})
	fmt.Println(<-texts)
	// Output: 254700000001: STOP
}

// Bind a transmitter and a receiver managed as one, and keep a window of
// submits in flight from one goroutine.
func Example_pair() {
	smsc := smpptest.NewServer(nil, smpptest.Options{})
	defer smsc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, err := client.Dial(ctx, smsc.Addr, client.Config{
		SystemID: "esme", Password: "secret",
		Mode:    client.Pair,
		Session: session.Config{Window: 100},
		Rate:    5000, // per second, per bind
		OnStateChange: func(e client.StateEvent) {
			if e.State == client.Disconnected {
				log.Printf("%s %s down: %v (retry in %v)", e.Endpoint, e.Bind, e.Err, e.Backoff)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	futures := make([]*client.Future[*pdu.SubmitSMResp], 1000)
	for i := range futures {
		futures[i] = c.SubmitAsync(ctx, &pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte("hello")})
	}
	ok := 0
	for _, f := range futures {
		if _, err := f.Wait(ctx); err == nil {
			ok++
		}
	}
	fmt.Println(ok, "accepted")
	// Output: 1000 accepted
}

// Several processes share an operator's limit of two binds: each creates
// its client with every bind switched off and switches on only the binds it
// holds (by a lease in a shared store, say); before giving one up it
// switches it off, and SetActive returns once that bind is down.
func ExampleClient_SetActive() {
	smsc := smpptest.NewServer(nil, smpptest.Options{})
	defer smsc.Close()
	ctx := context.Background()
	c, err := client.New(smsc.Addr, client.Config{
		SystemID: "esme", Password: "secret",
		Endpoints:     []client.Endpoint{{Addr: smsc.Addr}}, // binds 0 and 1
		StartInactive: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(context.Background())

	if err := c.SetActive(ctx, []int{1}); err != nil { // this process holds bind 1
		log.Fatal(err)
	}
	if _, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "MyBank", DestinationAddr: "254700000001", ShortMessage: []byte("hi")}); err != nil {
		log.Fatal(err)
	}
	if err := c.SetActive(ctx, nil); err != nil { // lease lost: give it up
		log.Fatal(err)
	}
	for i, st := range c.Stats() {
		fmt.Println("bind", i, "up:", st.Up)
	}
	// Output:
	// bind 0 up: false
	// bind 1 up: false
}
