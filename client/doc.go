// Package client is the ESME side of SMPP 3.4: it binds to one or more SMSCs,
// keeps the binds up, and sends messages over them.
//
// Sending an SMS:
//
//	c, err := client.Dial(ctx, "smsc.example.com:2775", client.Config{
//		SystemID: "user", Password: "secret",
//		TLS:      &tls.Config{}, // certificates verified; nil for plain TCP
//	})
//	if err != nil {
//		return err
//	}
//	defer c.Close(context.Background())
//	ids, err := c.SendText(ctx, "MyBrand", "+254700000001", "Hello 👋")
//
// SendText picks the cheapest encoding, splits long texts, and returns one
// message id per segment. Submit sends a submit_sm you built yourself.
//
// # Binds
//
// Config.Mode chooses a transceiver (the default), a transmitter, a receiver,
// or a transmitter and a receiver managed as one (Pair). Every endpoint (the
// address given to Dial and Config.Endpoints) is bound at once; requests go
// to the first live bind, or round-robin over all with Config.Spread, and
// fail over when a bind goes down. Each bind has exactly one connection at a
// time: when it breaks the client reconnects and binds again after a jittered
// exponential back-off (Config.MinBackoff..MaxBackoff), and
// Config.OnStateChange hears about it. Requests made while no bind is up wait
// for one, honouring their context.
//
// # Requests and their errors
//
// Submit, SubmitMulti, DataSM, QuerySM, CancelSM and ReplaceSM wait for the
// response. Their Async forms return a Future at once (blocking only while
// no bind is up, the rate limiter holds them or the window is full): wait
// for it (Future.Wait, Future.Done), or have it call a function
// (Future.OnDone), so that one goroutine can keep thousands of requests in
// flight. The context given when sending bounds the request; the one given
// to Wait bounds only the waiting. The errors say what happened: a
// pdu.Status from the SMSC (errors.Is(err, pdu.ESME_RTHROTTLED)), ErrTimeout,
// a *LostError whose Sent field tells "maybe sent" from "not sent",
// ErrWindowFull or ErrNotBound when the context ended first. NotSent(err)
// tells whether resending is safe. The client itself resends what a broken
// connection lost before writing it, and (with Config.RetryThrottled) what
// the SMSC refused as throttled; it never resends what may have been
// processed.
//
// # Flow control
//
// Config.Rate and Config.TotalRate limit requests per second per bind and
// across binds. When the SMSC answers ESME_RTHROTTLED or ESME_RMSGQFUL the
// bind slows down by itself: it pauses, halves its rate, and recovers
// gradually as responses succeed.
//
// # Deliveries
//
// Config.Handler receives deliver_sm and data_sm: delivery receipts parsed
// (Delivery.Receipt, the TLVs preferred over the text) and MO messages with
// their segments put back together (Delivery.Message, Delivery.Text). The
// client answers for the handler: ESME_ROK when it returns nil,
// ESME_RX_T_APPN (the SMSC will deliver again) when it returns an error, so
// nothing is lost. Delivery.Hold defers the answer.
package client
