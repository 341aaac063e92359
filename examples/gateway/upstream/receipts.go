package upstream

import (
	"context"
	"errors"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// parkTimeout is how long a receipt waits for the submit_sm_resp of its
// message to be recorded; then the upstream is asked to deliver it again
// later.
const parkTimeout = 60 * time.Second

// onReceipt finds the message of an upstream's receipt by the upstream's
// id, waiting for it when its answer is not recorded yet, and records the
// receipt (applyReceipt). It runs on the client's read loop and does not
// wait for the store: ack answers the upstream once the receipt is
// recorded.
func (d *Dispatcher) onReceipt(u *SMSC, dl *client.Delivery, ack func(error)) {
	key := pdu.NormalizeMessageID(dl.Receipt.ID)
	id, err := d.store.LookupUpstream(u.name, key)
	if errors.Is(err, store.ErrNotFound) && !hasReceiptedID(dl.PDU) {
		// receipted_message_id is copied verbatim; an id from the text may
		// be the same number in the other base.
		for _, alt := range pdu.OtherBaseMessageIDKeys(key) {
			if id, err = d.store.LookupUpstream(u.name, alt); !errors.Is(err, store.ErrNotFound) {
				break
			}
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.park(u, key, dl, ack)
	case err != nil:
		ack(err)
	default:
		d.applyReceipt(id, dl, ack)
	}
}

// park holds a receipt whose message's submit_sm_resp has not been
// recorded yet, and its answer to the upstream, until the answer is
// recorded or parkTimeout passes (then the upstream is asked to deliver it
// again later).
func (d *Dispatcher) park(u *SMSC, key string, dl *client.Delivery, ack func(error)) {
	d.metrics.Parked()
	d.waitingReceipts.Add(1)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer d.waitingReceipts.Add(-1)
		ctx, cancel := context.WithTimeout(d.ctx, parkTimeout)
		id, err := d.store.WaitUpstream(ctx, u.name, key)
		cancel()
		if err != nil {
			ack(errors.New("receipt for an unknown message id"))
			return
		}
		d.applyReceipt(id, dl, ack)
	}()
}

// hasReceiptedID reports whether a receipt carries receipted_message_id.
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
// message id and queues it, with the id rewritten, for the ESME; done is
// called with the outcome once the write is durable. It does not wait for
// the store: the write is handed over (updateReceipt) and done is called by
// the goroutine that commits it.
func (d *Dispatcher) applyReceipt(id string, dl *client.Delivery, done func(error)) {
	var dsm *pdu.DeliverSM
	switch v := dl.PDU.(type) {
	case *pdu.DeliverSM:
		dsm = v
	case *pdu.DataSM:
		dsm = &pdu.DeliverSM{ServiceType: v.ServiceType, SourceAddrTON: v.SourceAddrTON, SourceAddrNPI: v.SourceAddrNPI, SourceAddr: v.SourceAddr,
			DestAddrTON: v.DestAddrTON, DestAddrNPI: v.DestAddrNPI, DestinationAddr: v.DestinationAddr, ESMClass: v.ESMClass,
			RegisteredDelivery: v.RegisteredDelivery, DataCoding: v.DataCoding, TLVs: v.TLVs}
	default:
		done(errors.New("unexpected receipt PDU"))
		return
	}
	r := dl.Receipt
	m, err := d.store.Get(id)
	if err != nil {
		done(err)
		return
	}
	if m.State.Final() {
		// A receipt repeated by an upstream that did not get our answer
		// (either side restarted), or two copies racing: the first one was
		// queued for the ESME in the same write as the final state, so
		// acknowledge this one and do not deliver the receipt twice.
		done(nil)
		return
	}
	if dl.ReceiptErr != nil && r.State == 0 {
		// Passed through verbatim all the same; the gateway cannot tell the
		// message's state from it.
		d.log.Warn("upstream receipt without a readable state; the message is marked UNKNOWN", "err", dl.ReceiptErr, "id", id)
	}
	m.State = store.StateOf(r.State)
	if m.State.Final() {
		m.Done = time.Now()
		if c, ok := r.ErrCode(); ok && c < 256 {
			m.Error = uint8(c)
		}
	}
	// The new state and the receipt for the ESME are written in one atomic,
	// synced write: after a crash either both are there (and a receipt the
	// upstream repeats is recognised by the final state) or neither (and
	// the upstream's repeat is processed as new).
	var sd *store.Delivery
	if m.Registered&0x03 != 0 {
		body, err := appendReceipt(make([]byte, 0, 200+len(dsm.ShortMessage)), dsm, m.ID)
		if err != nil {
			done(err)
			return
		}
		sd = &store.Delivery{Account: m.Account, Body: body, Created: time.Now(), Bind: m.Bind}
	}
	d.updateReceipt(m, sd, func(err error) { // where the account takes its receipts
		switch {
		case errors.Is(err, store.ErrConflict):
			// Changed meanwhile: read it again, off the goroutine that
			// committed the write.
			d.later(func() { d.applyReceipt(id, dl, done) })
			return
		case err == nil:
			d.metrics.Receipt(m.Account, r.Stat, time.Since(m.Created))
			if sd != nil {
				d.deliveryAdded(m.Account)
			}
		}
		done(err)
	})
}
