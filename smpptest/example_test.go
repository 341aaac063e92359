package smpptest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/smpptest"
)

// A test SMSC on 127.0.0.1 that accepts submissions and sends receipts, like
// net/http/httptest: point the code under test at its Addr. In a test, pass t
// instead of nil and it is closed when the test ends.
func ExampleNewServer() {
	ts := smpptest.NewServer(nil, smpptest.Options{Receipts: true, ReceiptDelay: 10 * time.Millisecond})
	defer ts.Close()

	got := make(chan *pdu.Receipt, 1)
	c, err := client.Dial(context.Background(), ts.Addr, client.Config{
		SystemID: "test", Password: "secret",
		Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
			if d.Receipt != nil {
				got <- d.Receipt.Clone()
			}
			return nil
		}),
	})
	if err != nil {
		panic(err)
	}
	defer c.Close(context.Background())

	resp, err := c.Submit(context.Background(), &pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte("hi"), RegisteredDelivery: 1})
	if err != nil {
		panic(err)
	}
	r := <-got
	subs, _ := ts.WaitSubmits(1, time.Second)
	fmt.Println(len(subs), "submission; receipt for the same id:", r.ID == resp.MessageID, r.State)
	// Output:
	// 1 submission; receipt for the same id: true DELIVERED
}
