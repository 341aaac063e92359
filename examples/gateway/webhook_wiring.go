package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/esmsafrica/smpp/encoding"
	dq "github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

// Receipts and MO messages by webhook. An account's deliver_to says where
// its deliveries go: smpp (the default) leaves them under the account's
// key in the deliveries part, for its SMPP pusher; webhook puts them under
// webhookKey(account) instead, which the account's webhook.Sender claims;
// both puts each under both keys, so that each side gets it at least once
// whatever the other does (a receiver bind gone, a webhook down). A
// receipt's copy for the webhook (both) is added in a write of its own just
// before the state's write that stages the SMPP copy: a crash between them
// leaves the webhook's copy and the message not final, and the upstream's
// repeat of the receipt makes one more webhook copy (at least once), never
// none. deliver_to is read when a delivery is made: one changed by a
// reload applies to the deliveries made after it.

// webhookKey is the deliveries key of an account's webhook deliveries (a
// system_id has no NUL).
func webhookKey(acct string) string { return acct + "\x00webhook" }

// deliverTo is the account's deliver_to (smpp for an account a reload
// removed).
func (gw *Gateway) deliverTo(acct string) string {
	if a := gw.accounts.Load().byID[acct]; a != nil && a.cfg.DeliverTo != "" {
		return a.cfg.DeliverTo
	}
	return deliverSMPP
}

// addDelivery adds an MO delivery where the account's deliver_to says.
func (gw *Gateway) addDelivery(ctx context.Context, d *store.Delivery) error {
	q := gw.store.DeliveryQueue()
	switch gw.deliverTo(d.Account) {
	case deliverWebhook:
		d.Account = webhookKey(d.Account)
	case deliverBoth:
		c := *d
		c.Account = webhookKey(d.Account)
		if err := q.Add(ctx, &c); err != nil {
			return err
		}
	}
	return q.Add(ctx, d)
}

// updateWithDelivery is store.UpdateWithDeliveryAsync with the receipt (nil:
// none) put where the account's deliver_to says (see the top of the file).
// It runs on an upstream's read loop: a webhook's second copy, a write the
// state's write must wait for, is added off it.
func (gw *Gateway) updateWithDelivery(m *store.Message, sd *store.Delivery, then func(error)) {
	if sd == nil {
		gw.store.UpdateWithDeliveryAsync(m, nil, then)
		return
	}
	switch gw.deliverTo(m.Account) {
	case deliverWebhook:
		sd.Account = webhookKey(m.Account)
	case deliverBoth:
		gw.later(func() {
			c := *sd
			c.Account = webhookKey(m.Account)
			if err := gw.store.DeliveryQueue().Add(gw.ctx, &c); err != nil {
				then(err)
				return
			}
			gw.store.UpdateWithDeliveryAsync(m, sd, then)
		})
		return
	}
	gw.store.UpdateWithDeliveryAsync(m, sd, then)
}

// hookEvent is the JSON body of a webhook: a receipt or an MO message.
type hookEvent struct {
	// Type is "receipt" or "mo".
	Type string `json:"type"`
	// Account is the account's system_id.
	Account string `json:"account"`
	// ID is, for a receipt, the id of the message it is about (the id the
	// send answered).
	ID string `json:"id,omitempty"`
	// From and To are the deliver_sm's addresses: for a receipt, the
	// handset and the message's source.
	From string `json:"from"`
	To   string `json:"to"`
	// State is the message's state name (DELIVERED...), Stat and Err the
	// receipt's stat: and err: as written; receipts only.
	State string `json:"state,omitempty"`
	Stat  string `json:"stat,omitempty"`
	Err   string `json:"err,omitempty"`
	// Submitted and Done are the receipt's dates, when it has them.
	Submitted *time.Time `json:"submitted,omitempty"`
	Done      *time.Time `json:"done,omitempty"`
	// Reference is the client reference given to POST /v1/messages.
	Reference string `json:"reference,omitempty"`
	// Text is an MO message's text, when its data_coding is a text one.
	Text string `json:"text,omitempty"`
	// DataCoding and Data are an MO message's data_coding and user data
	// (base64; the UDH, if any, is in UDH).
	DataCoding uint8  `json:"data_coding"`
	Data       []byte `json:"data,omitempty"`
	UDH        []byte `json:"udh,omitempty"`
	// Created is when the gateway made the delivery.
	Created time.Time `json:"created"`
}

// hookEncoder returns the webhook.Encoder of an account: the deliver_sm as
// a hookEvent.
func (gw *Gateway) hookEncoder(refs httpapi.References) func(d *dq.Delivery) ([]byte, error) {
	return func(d *dq.Delivery) ([]byte, error) {
		var dsm pdu.DeliverSM
		if err := dsm.UnmarshalBinary(d.Body); err != nil {
			return nil, fmt.Errorf("a stored delivery does not decode: %w", err)
		}
		acct, _, _ := strings.Cut(d.Account, "\x00")
		ev := hookEvent{Account: acct, From: dsm.SourceAddr, To: dsm.DestinationAddr, DataCoding: dsm.DataCoding, Created: d.Created}
		ud := dsm.ShortMessage
		if p, ok := dsm.TLVs.MessagePayload(); ok && len(ud) == 0 {
			ud = p
		}
		if dsm.IsReceipt() {
			ev.Type = "receipt"
			var r pdu.Receipt
			if err := pdu.ParseReceipt(ud, &r); err != nil {
				// Posted all the same, with what could be read (and the TLVs).
				gw.log.Debug("webhook: a receipt's text does not parse whole", "account", acct, "err", err)
			}
			ev.ID, ev.Stat, ev.Err = r.TextID, r.Stat, r.Err
			if v, ok := dsm.TLVs.ReceiptedMessageID(); ok {
				ev.ID = string(v)
			}
			ev.State = r.State.String()
			if !r.SubmitDate.IsZero() {
				ev.Submitted = &r.SubmitDate
			}
			if !r.DoneDate.IsZero() {
				ev.Done = &r.DoneDate
			}
			if refs != nil && ev.ID != "" {
				if ref, err := refs.Reference(context.Background(), ev.ID); err == nil {
					ev.Reference = ref
				}
			}
			return json.Marshal(ev)
		}
		ev.Type = "mo"
		if dsm.ESMClass&0x40 != 0 && len(ud) > 0 && int(ud[0]) < len(ud) {
			ev.UDH, ud = ud[:int(ud[0])+1], ud[int(ud[0])+1:]
		}
		ev.Data = ud
		if txt, err := encoding.Decode(nil, ud, encoding.ParseDataCoding(dsm.DataCoding), encoding.GSM7Options{}, 0); err == nil {
			ev.Text = string(txt)
		}
		return json.Marshal(ev)
	}
}
