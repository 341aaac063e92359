package client_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
)

// fuzzDeliveryHandler acknowledges in one of six ways, chosen by the first
// octet of source_addr.
func fuzzDeliveryHandler(ctx context.Context, d *client.Delivery) error {
	way := 0
	if d.Source != "" {
		way = int(d.Source[0]) % 6
	}
	switch way {
	case 1:
		return errors.New("fuzz: later")
	case 2:
		return pdu.ESME_RX_P_APPN
	case 3:
		ack := d.Hold()
		go ack(nil)
	case 4:
		panic("fuzz: delivery handler panics")
	case 5:
		ack := d.Hold()
		ack(errors.New("fuzz: later"))
		ack(nil) // ignored
	}
	return nil
}

// clientOp is one request of the program: it must complete exactly once.
type clientOp struct {
	tag   string
	api   byte
	calls atomic.Int32
	mu    sync.Mutex
	id    string // the message_id of the response, if any
	resp  bool   // a response came (non-nil)
	err   error
	wait  func() // waits for a Future, when there is one
}

func (o *clientOp) done(resp pdu.PDU, err error) {
	o.calls.Add(1)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.err = err
	if resp != nil && !isNilPDU(resp) {
		o.resp, o.id = true, messageID(resp)
	}
}

// isNilPDU reports whether p holds a nil pointer (a Future's zero result).
func isNilPDU(p pdu.PDU) bool {
	switch p := p.(type) {
	case *pdu.SubmitSMResp:
		return p == nil
	case *pdu.DataSMResp:
		return p == nil
	case *pdu.QuerySMResp:
		return p == nil
	}
	return false
}

// start makes the request with one of the client's APIs, from a goroutine
// of its own (they block while no bind is up).
func (o *clientOp) start(c *client.Client, ops *sync.WaitGroup) {
	sm := &pdu.SubmitSM{SourceAddr: o.tag, DestinationAddr: "1", ShortMessage: []byte("hi")}
	ops.Go(func() {
		ctx := context.Background()
		switch o.api % 8 {
		case 0:
			c.SubmitAsync(ctx, sm).OnDone(func(r *pdu.SubmitSMResp, err error) { o.done(r, err) })
		case 1:
			f := c.SubmitAsync(ctx, sm)
			<-f.Done()
			o.done(f.Result())
		case 2:
			o.done(c.Submit(ctx, sm))
		case 3:
			f := c.DataSMAsync(ctx, &pdu.DataSM{SourceAddr: o.tag, DestinationAddr: "1"})
			<-f.Done()
			o.done(f.Result())
		case 4:
			f := c.QuerySMAsync(ctx, &pdu.QuerySM{MessageID: "m1", SourceAddr: o.tag})
			<-f.Done()
			o.done(f.Result())
		case 5: // a context that ends before the answer may come
			ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			o.done(c.Submit(ctx, sm))
		case 6: // a context cancelled at once
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			o.done(c.Submit(ctx, sm))
		case 7:
			o.done(c.DataSM(ctx, &pdu.DataSM{SourceAddr: o.tag, DestinationAddr: "1"}))
		}
	})
}
