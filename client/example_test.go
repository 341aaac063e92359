package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

// Send a one-time password and wait for its delivery receipt.
func Example_otp() {
	smsc := smpptest.NewServer(nil, smpptest.Options{Receipts: true}) // stands in for the operator
	defer smsc.Close()
	ctx := context.Background()

	receipts := make(chan *pdu.Receipt, 1)
	c, err := client.Dial(ctx, smsc.Addr, client.Config{
		SystemID: "esme", Password: "secret",
		RegisteredDelivery: 1, // ask for a receipt
		Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
			if d.IsReceipt() {
				receipts <- d.Receipt.Clone() // the receipt aliases the PDU
			}
			return nil // acknowledged with ESME_ROK
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	ids, err := c.SendText(ctx, "MyBank", "+254700000001", "Your code is 482913")
	if err != nil {
		log.Fatal(err)
	}
	r := <-receipts
	fmt.Println(len(ids), "segment; receipt matches:", pdu.MessageIDEqual(r.ID, ids[0]), "state:", r.State)
	// Output: 1 segment; receipt matches: true state: DELIVERED
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
