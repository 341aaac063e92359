package main

import (
	"context"
	"errors"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// upstreamHandler receives deliver_sm and data_sm from an upstream.
func (gw *Gateway) upstreamHandler(u *upstream) client.Handler {
	return client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
		if d.Receipt != nil {
			return gw.onReceipt(u, d)
		}
		return gw.onMO(u, d)
	})
}

// parkTimeout is how long a receipt waits for the submit_sm_resp of its
// message to be recorded; then the upstream is asked to deliver it again
// later.
const parkTimeout = 60 * time.Second

func (gw *Gateway) onReceipt(u *upstream, d *client.Delivery) error {
	key := pdu.NormalizeMessageID(d.Receipt.ID)
	id, err := gw.store.LookupUpstream(u.name, key)
	if errors.Is(err, store.ErrNotFound) && !hasReceiptedID(d.PDU) {
		// receipted_message_id is copied verbatim; an id from the text may
		// be the same number in the other base.
		for _, alt := range pdu.OtherBaseMessageIDKeys(key) {
			if id, err = gw.store.LookupUpstream(u.name, alt); !errors.Is(err, store.ErrNotFound) {
				break
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		// Its submit_sm_resp has not been recorded yet: hold the answer to
		// the upstream until it is, or until parkTimeout (then the
		// upstream is asked to deliver it again later).
		gw.metrics.parked.Inc()
		gw.waitingReceipts.Add(1)
		ack := d.Hold()
		gw.wg.Add(1)
		go func() {
			defer gw.wg.Done()
			defer gw.waitingReceipts.Add(-1)
			ctx, cancel := context.WithTimeout(gw.ctx, parkTimeout)
			id, err := gw.store.WaitUpstream(ctx, u.name, key)
			cancel()
			if err != nil {
				ack(errors.New("receipt for an unknown message id"))
				return
			}
			ack(gw.applyReceipt(id, d))
		}()
		return nil
	}
	if err != nil {
		return err
	}
	return gw.applyReceipt(id, d)
}

func hasReceiptedID(p pdu.PDU) bool {
	switch v := p.(type) {
	case *pdu.DeliverSM:
		return v.TLVs.Has(tlv.ReceiptedMessageID)
	case *pdu.DataSM:
		return v.TLVs.Has(tlv.ReceiptedMessageID)
	}
	return false
}

// applyReceipt records an upstream receipt (as the client parsed it) for
// message id and queues it, with the id rewritten, for the ESME.
func (gw *Gateway) applyReceipt(id string, d *client.Delivery) error {
	var dsm *pdu.DeliverSM
	switch v := d.PDU.(type) {
	case *pdu.DeliverSM:
		dsm = v
	case *pdu.DataSM:
		dsm = &pdu.DeliverSM{ServiceType: v.ServiceType, SourceAddrTON: v.SourceAddrTON, SourceAddrNPI: v.SourceAddrNPI, SourceAddr: v.SourceAddr,
			DestAddrTON: v.DestAddrTON, DestAddrNPI: v.DestAddrNPI, DestinationAddr: v.DestinationAddr, ESMClass: v.ESMClass,
			RegisteredDelivery: v.RegisteredDelivery, DataCoding: v.DataCoding, TLVs: v.TLVs}
	default:
		return errors.New("unexpected receipt PDU")
	}
	r := d.Receipt
	if d.ReceiptErr != nil && r.State == 0 {
		// Passed through verbatim all the same; the gateway cannot tell the
		// message's state from it.
		gw.log.Warn("upstream receipt without a readable state; the message is marked UNKNOWN", "err", d.ReceiptErr, "id", id)
	}
	for {
		m, err := gw.store.Get(id)
		if err != nil {
			return err
		}
		if m.State.Final() {
			// A receipt repeated by an upstream that did not get our
			// answer (either side restarted), or two copies racing: the
			// first one was queued for the ESME in the same write as the
			// final state, so acknowledge this one and do not deliver the
			// receipt twice.
			return nil
		}
		m.State = storeState(r.State)
		if m.State.Final() {
			m.Done = time.Now()
			if c, ok := r.ErrCode(); ok && c < 256 {
				m.Error = uint8(c)
			}
		}
		// The new state and the receipt for the ESME are written in one
		// atomic, synced write: after a crash either both are there (and a
		// receipt the upstream repeats is recognised by the final state) or
		// neither (and the upstream's repeat is processed as new).
		var out *pdu.DeliverSM
		var sd *store.Delivery
		if m.Registered&0x03 != 0 {
			out = rewriteReceipt(dsm, m.ID)
			body, aerr := out.AppendBinary(make([]byte, 0, 200+len(out.ShortMessage)))
			if aerr != nil {
				return aerr
			}
			sd = &store.Delivery{Account: m.Account, Body: body, Created: time.Now(), Bind: m.Bind}
			err = gw.updateWithDelivery(m, sd) // where deliver_to says (webhook_wiring.go)
		} else {
			err = gw.store.Update(m)
		}
		if errors.Is(err, store.ErrConflict) {
			continue // changed meanwhile: read it again
		}
		if err != nil {
			return err
		}
		gw.metrics.receipts.WithLabelValues(m.Account, r.Stat).Inc()
		gw.metrics.receiptLatency.Observe(time.Since(m.Created).Seconds())
		if sd != nil {
			gw.deliveryAdded(m.Account)
		}
		return nil
	}
}

// rewriteReceipt returns a copy of an upstream receipt with only the message
// id changed (in the text and in receipted_message_id), and only the TLVs
// that SMPP 3.4 allows in deliver_sm (some client libraries fail on others).
func rewriteReceipt(in *pdu.DeliverSM, id string) *pdu.DeliverSM {
	out := *in
	out.TLVs = nil
	for _, f := range in.TLVs {
		if !deliverSMTLV(f.Tag) {
			continue
		}
		if f.Tag == tlv.ReceiptedMessageID {
			f.Value = append([]byte(id), 0)
		}
		out.TLVs = append(out.TLVs, f)
	}
	if len(in.ShortMessage) > 0 {
		out.ShortMessage = replaceTextID(in.ShortMessage, id)
	} else if p, ok := in.TLVs.MessagePayload(); ok {
		out.TLVs.Set(tlv.MessagePayload, replaceTextID(p, id))
	}
	return &out
}

// replaceTextID replaces the value of the id: field of receipt text.
func replaceTextID(text []byte, id string) []byte {
	for j := 0; j+3 <= len(text); j++ {
		// The label, in any case, at the start or after a space.
		if (j > 0 && text[j-1] != ' ') || text[j]|0x20 != 'i' || text[j+1]|0x20 != 'd' || text[j+2] != ':' {
			continue
		}
		start := j + 3
		end := start
		for end < len(text) && text[end] != ' ' {
			end++
		}
		out := make([]byte, 0, len(text)-(end-start)+len(id))
		out = append(out, text[:start]...)
		out = append(out, id...)
		return append(out, text[end:]...)
	}
	return append([]byte(nil), text...)
}

var deliverTLVs = map[tlv.Tag]bool{
	tlv.UserMessageReference: true, tlv.SourcePort: true, tlv.DestinationPort: true, tlv.SarMsgRefNum: true,
	tlv.SarTotalSegments: true, tlv.SarSegmentSeqnum: true, tlv.UserResponseCode: true, tlv.PrivacyIndicator: true,
	tlv.PayloadType: true, tlv.MessagePayload: true, tlv.CallbackNum: true, tlv.SourceSubaddress: true,
	tlv.DestSubaddress: true, tlv.LanguageIndicator: true, tlv.ItsSessionInfo: true, tlv.NetworkErrorCode: true,
	tlv.MessageState: true, tlv.ReceiptedMessageID: true, tlv.UssdServiceOp: true,
}

func deliverSMTLV(t tlv.Tag) bool { return deliverTLVs[t] }

// deliverSMTLVs keeps, in place, the TLVs that SMPP 3.4 defines for
// deliver_sm: some ESMEs (python smpplib) fail on any other tag, and an
// operator's vendor TLVs mean nothing to the gateway's customers.
func deliverSMTLVs(l tlv.List) tlv.List {
	out := l[:0]
	for _, f := range l {
		if deliverSMTLV(f.Tag) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// onMO routes an MO message to the account its destination belongs to.
func (gw *Gateway) onMO(u *upstream, d *client.Delivery) error {
	var acct string
	for _, r := range gw.cfg.Load().MORoutes {
		if len(d.Destination) >= len(r.Prefix) && d.Destination[:len(r.Prefix)] == r.Prefix {
			acct = r.Account
			break
		}
	}
	if acct == "" {
		gw.metrics.mo.WithLabelValues("", "unrouted").Inc()
		return nil // acknowledged and dropped: nobody takes it (logged)
	}
	dsm, ok := d.PDU.(*pdu.DeliverSM)
	if !ok || d.Message == nil {
		return nil
	}
	gw.metrics.mo.WithLabelValues(acct, "routed").Inc()
	// A reassembled long message goes on as one message_payload.
	out := &pdu.DeliverSM{ServiceType: dsm.ServiceType, SourceAddrTON: dsm.SourceAddrTON, SourceAddrNPI: dsm.SourceAddrNPI,
		SourceAddr: dsm.SourceAddr, DestAddrTON: dsm.DestAddrTON, DestAddrNPI: dsm.DestAddrNPI, DestinationAddr: dsm.DestinationAddr,
		ProtocolID: dsm.ProtocolID, PriorityFlag: dsm.PriorityFlag, DataCoding: dsm.DataCoding}
	if len(d.Message.Payload) <= 254 && d.Message.Total <= 1 {
		out = dsm.Clone()
		out.TLVs = deliverSMTLVs(out.TLVs)
	} else {
		out.TLVs.SetMessagePayload(append([]byte(nil), d.Message.Payload...))
	}
	return gw.queueDelivery(acct, out)
}
