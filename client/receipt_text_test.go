package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/smpptest"
)

// A receipt sent with esm_class 0 is an MO message unless DetectReceiptText
// is set; then it is recognised by its text.
func TestDetectReceiptText(t *testing.T) {
	for _, detect := range []bool{false, true} {
		ts := smpptest.NewServer(t, smpptest.Options{})
		got := make(chan *client.Delivery, 1)
		c, err := client.Dial(context.Background(), ts.Addr, client.Config{
			SystemID: "u", Password: "p", DetectReceiptText: detect,
			Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
				got <- d
				return nil
			}),
		})
		if err != nil {
			t.Fatal(err)
		}
		text := "id:0123456789 sub:001 dlvrd:001 submit date:2612011200 done date:2612011201 stat:DELIVRD err:000 text:hello"
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := ts.SMSC.Deliver(ctx, "u", &pdu.DeliverSM{SourceAddr: "254700000001", DestinationAddr: "1000", ShortMessage: []byte(text)}); err != nil {
			t.Fatal(err)
		}
		cancel()
		d := <-got
		if detect {
			if d.Receipt == nil || d.Receipt.TextID != "0123456789" || d.Receipt.State != pdu.StateDelivered {
				t.Fatalf("detect=true: receipt %+v", d.Receipt)
			}
		} else if d.Receipt != nil || d.Message == nil {
			t.Fatalf("detect=false: a receipt was assumed (%+v)", d.Receipt)
		}
		c.Close(context.Background())
	}
}

func TestParseAddress(t *testing.T) {
	for _, c := range []struct {
		in       string
		ton, npi uint8
		addr     string
	}{
		{"+254700000001", 1, 1, "254700000001"},
		{"0700000001", 0, 1, "0700000001"},
		{"MyBrand", 5, 0, "MyBrand"},
		{"+44 20", 5, 0, "+44 20"},
		{"", 0, 0, ""},
	} {
		ton, npi, addr := client.ParseAddress(c.in)
		if ton != c.ton || npi != c.npi || addr != c.addr {
			t.Errorf("ParseAddress(%q) = %d %d %q", c.in, ton, npi, addr)
		}
	}
}
