package client

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/tlv"
	"github.com/esmsafrica/smpp/udh"
)

// Handler handles what the SMSC delivers: MO messages and delivery receipts.
//
// HandleDelivery runs on its own goroutine (at most the session's inbound
// window at once per bind). Returning nil acknowledges the delivery with
// ESME_ROK. Returning an error answers ESME_RX_T_APPN, so that the SMSC keeps
// the message and delivers it again later; an error that is a pdu.Status
// (errors.As) answers that status instead (ESME_RX_P_APPN: reject for good).
// A handler that wants to acknowledge later calls d.Hold and returns.
type Handler interface {
	HandleDelivery(ctx context.Context, d *Delivery) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, d *Delivery) error

// HandleDelivery calls f(ctx, d).
func (f HandlerFunc) HandleDelivery(ctx context.Context, d *Delivery) error { return f(ctx, d) }

// Delivery is one deliver_sm or data_sm from the SMSC: a delivery receipt
// (Receipt set) or an MO message (Message set: long messages are put back
// together from their segments before the handler sees them).
type Delivery struct {
	// PDU is the *pdu.DeliverSM or *pdu.DataSM received; for a long message,
	// the part that completed it. It owns its memory. Nil for a partial
	// message reported on expiry.
	PDU pdu.PDU
	// Session is the bind it arrived on (nil for a partial message).
	Session *session.Session
	// Source and Destination are source_addr and destination_addr.
	Source, Destination string
	// ESMClass is the esm_class of the PDU.
	ESMClass uint8

	// Receipt is the parsed delivery receipt when esm_class marks the PDU as
	// one (the receipt TLVs take precedence over the text). Its strings alias
	// PDU. When the text could not be parsed, ReceiptErr says why and
	// Receipt holds what was found.
	Receipt    *pdu.Receipt
	ReceiptErr error

	// Message is the MO message: its user data (without UDH, reassembled),
	// data coding, ports. Message.Partial reports a long message whose parts
	// did not all arrive in time (its parts were acknowledged; the handler's
	// answer is not sent anywhere). Nil for a receipt.
	Message *udh.Assembled
	// MessageErr is set when the user data header was malformed; Message
	// then holds the user data as received.
	MessageErr error

	receipt pdu.Receipt // what Receipt points to: one allocation with the Delivery
	w       session.ResponseWriter
	redo    string // the redo-cache key of a reassembled message
	c       *Client
	held    atomic.Bool
	answer  sync.Once
}

// IsReceipt reports whether the delivery is a delivery receipt.
func (d *Delivery) IsReceipt() bool { return d.Receipt != nil }

// Text decodes the MO message's text (UTF-8). For a receipt it returns the
// receipt's text as received.
func (d *Delivery) Text() (string, error) {
	if d.Message != nil {
		return d.Message.Text()
	}
	switch p := d.PDU.(type) {
	case *pdu.DeliverSM:
		return string(p.Payload()), nil
	case *pdu.DataSM:
		b, _ := p.TLVs.MessagePayload()
		return string(b), nil
	}
	return "", nil
}

// Hold defers the acknowledgement: the handler returns at once, and the
// response is sent when ack is called (from any goroutine) with nil
// (ESME_ROK) or an error (as for the handler's return). ack must be called
// exactly once; later calls do nothing. Until then the delivery occupies a
// slot of the inbound window.
func (d *Delivery) Hold() (ack func(error)) {
	d.held.Store(true)
	if d.w != nil {
		d.w.Hold()
	}
	return d.respond
}

// respond sends the answer once.
func (d *Delivery) respond(err error) {
	d.answer.Do(func() {
		if err != nil && d.redo != "" {
			d.c.redo.put(d.redo, d.Message)
		}
		if d.w == nil {
			return
		}
		if err == nil {
			d.w.Respond(respBody(d.PDU), pdu.ESME_ROK)
			return
		}
		st := pdu.ESME_RX_T_APPN
		var s pdu.Status
		if errors.As(err, &s) && s != pdu.ESME_ROK {
			st = s
		}
		d.w.Respond(nil, st)
	})
}

// The answers to a delivery: empty, shared (a response is encoded when it
// is sent, and these are never changed).
var (
	deliverSMResp = &pdu.DeliverSMResp{}
	dataSMResp    = &pdu.DataSMResp{}
)

func respBody(p pdu.PDU) pdu.PDU {
	if _, ok := p.(*pdu.DataSM); ok {
		return dataSMResp
	}
	return deliverSMResp
}

// serveDelivery is every session's handler.
func (c *Client) serveDelivery(w session.ResponseWriter, r *session.Request) {
	var (
		src, dst string
		esm, dc  uint8
		sm       []byte
		tlvs     tlv.List
		receipt  bool
	)
	switch p := r.PDU.(type) {
	case *pdu.DeliverSM:
		src, dst, esm, dc, sm, tlvs = p.SourceAddr, p.DestinationAddr, p.ESMClass, p.DataCoding, p.ShortMessage, p.TLVs
		receipt = p.IsReceipt()
	case *pdu.DataSM:
		src, dst, esm, dc, tlvs = p.SourceAddr, p.DestinationAddr, p.ESMClass, p.DataCoding, p.TLVs
		t := esm & 0x3C
		receipt = t == 0x04 || t == 0x20
	default:
		// alert_notification and anything else: the session's default answer.
		if r.Header.ID.HasResponse() {
			w.Respond(nil, session.DefaultStatus(session.ESME, r.Header.ID))
		}
		return
	}
	if c.cfg.Handler == nil {
		w.Respond(nil, pdu.ESME_RX_T_APPN)
		return
	}
	d := &Delivery{PDU: r.PDU, Session: r.Session, Source: src, Destination: dst, ESMClass: esm, w: w, c: c}
	if !receipt && c.cfg.DetectReceiptText && esm&0x40 == 0 {
		// Some SMSCs send receipts with esm_class 0: recognise them by
		// their text (an id: and a stat: field).
		var probe pdu.Receipt
		text := sm
		if len(text) == 0 {
			text, _ = tlvs.MessagePayload()
		}
		if pdu.ParseReceipt(text, &probe) == nil && probe.Fields.Has(pdu.ReceiptID) && probe.Fields.Has(pdu.ReceiptStat) {
			receipt = true
		}
	}
	if receipt {
		rc := &d.receipt
		if dm, ok := r.PDU.(*pdu.DeliverSM); ok {
			d.ReceiptErr = pdu.ReceiptFromDeliverSM(dm, rc)
		} else {
			d.ReceiptErr = pdu.ReceiptFromDataSM(r.PDU.(*pdu.DataSM), rc)
		}
		d.Receipt = rc
	} else {
		var key string
		if c.redo.size.Load() > 0 {
			key = redoKey(src, dst, dc, sm, tlvs)
		}
		if m := c.redo.take(key); m != nil {
			// The SMSC delivers again the last part of a message the handler
			// refused: hand the whole message over again.
			d.Message, d.redo = m, key
		} else {
			part := udh.Part{Source: src, Dest: dst, UDHI: esm&0x40 != 0, DataCoding: dc, ShortMessage: sm, TLVs: tlvs}
			msg, done, err := c.reasm.Add(part, time.Now())
			switch {
			case err != nil:
				// A malformed header: deliver the user data as it came.
				payload := sm
				if p, ok := tlvs.MessagePayload(); ok {
					payload = p
				}
				d.MessageErr = err
				d.Message = &udh.Assembled{Source: src, Dest: dst, DataCoding: dc, Coding: c.cfg.Default.ParseDataCoding(dc),
					Payload: append([]byte(nil), payload...), Total: 1, Received: 1, First: time.Now()}
			case !done:
				// A part of a long message: the reassembler keeps it.
				w.Respond(respBody(r.PDU), pdu.ESME_ROK)
				return
			default:
				d.Message = &msg
				if msg.Total > 1 {
					if key == "" {
						key = redoKey(src, dst, dc, sm, tlvs)
					}
					d.redo = key
				}
			}
		}
	}
	err := c.cfg.Handler.HandleDelivery(r.Context(), d)
	if d.held.Load() {
		return
	}
	d.respond(err)
}

// incomplete hands a long message that will not complete to the handler.
func (c *Client) incomplete(a udh.Assembled) {
	if c.cfg.Handler == nil {
		return
	}
	d := &Delivery{Source: a.Source, Destination: a.Dest, Message: &a, c: c}
	c.cfg.Handler.HandleDelivery(c.ctx, d)
}

func redoKey(src, dst string, dc uint8, sm []byte, tlvs tlv.List) string {
	b := make([]byte, 0, len(src)+len(dst)+len(sm)+16)
	b = append(b, src...)
	b = append(b, 0)
	b = append(b, dst...)
	b = append(b, 0, dc)
	b = append(b, sm...)
	if s, ok := tlvs.SAR(); ok {
		b = append(b, 0, byte(s.Ref>>8), byte(s.Ref), s.Total, s.Seq)
	}
	if p, ok := tlvs.MessagePayload(); ok {
		b = append(b, p...)
	}
	return string(b)
}

// redoCache keeps the reassembled messages a handler refused, keyed by their
// last part, so that the SMSC's redelivery of that part gives the handler the
// whole message again (the other parts were acknowledged). It is bounded.
type redoCache struct {
	mu    sync.Mutex
	m     map[string]redoEntry
	order []string
	size  atomic.Int32 // len(m), read without the lock
}

type redoEntry struct {
	msg *udh.Assembled
	at  time.Time
}

const (
	redoMax = 1024
	redoTTL = 10 * time.Minute
)

func (r *redoCache) init() { r.m = make(map[string]redoEntry) }

func (r *redoCache) put(key string, m *udh.Assembled) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	for len(r.order) > 0 {
		k := r.order[0]
		e, ok := r.m[k]
		if ok && len(r.m) < redoMax && now.Sub(e.at) < redoTTL {
			break
		}
		delete(r.m, k)
		r.order = r.order[1:]
	}
	if _, ok := r.m[key]; !ok {
		r.order = append(r.order, key)
	}
	r.m[key] = redoEntry{m, now}
	if len(r.order) > 4*redoMax {
		live := r.order[:0]
		for _, k := range r.order {
			if _, ok := r.m[k]; ok {
				live = append(live, k)
			}
		}
		r.order = live
	}
	r.size.Store(int32(len(r.m)))
}

func (r *redoCache) take(key string) *udh.Assembled {
	r.mu.Lock()
	defer r.mu.Unlock()
	if key == "" || len(r.m) == 0 {
		return nil
	}
	e, ok := r.m[key]
	if !ok {
		return nil
	}
	delete(r.m, key)
	r.size.Store(int32(len(r.m)))
	return e.msg
}
