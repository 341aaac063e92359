package store

import (
	"context"
	"errors"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
)

// openDeliveries opens the deliveries part in the store's DB, with the
// layout the store used for them before the part: the deliveries under
// kindDelivery, their Seq counter at kindSeq.
func (p *Pebble) openDeliveries(opts deliveries.PebbleOptions) (err error) {
	opts.Prefix, opts.SeqKey = []byte{kindDelivery}, []byte{kindSeq}
	p.dels, err = deliveries.OpenPebble(p.db, opts)
	return err
}

// DeliveryQueue returns the deliveries waiting for ESMEs, kept in the
// store's DB: UpdateWithDelivery stages a receipt in the state's own
// write.
func (p *Pebble) DeliveryQueue() deliveries.Queue { return p.dels }

// AddDelivery adds d to the deliveries, synced, and sets d.Seq.
func (p *Pebble) AddDelivery(d *Delivery) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	return deliveryErr(p.dels.Add(context.Background(), d))
}

// UpdateWithDelivery stores m's state fields by compare-and-set and adds d
// to the deliveries, in one synced batch.
func (p *Pebble) UpdateWithDelivery(m *Message, d *Delivery) error {
	return p.writeMessage(m, change{what: writeState, how: durable, d: d})
}

// RemoveDelivery deletes a delivery outside the claim protocol (see
// deliveries.Pebble.Remove), unsynced.
func (p *Pebble) RemoveDelivery(account string, seq uint64) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	return deliveryErr(p.dels.Remove(account, seq))
}

// Deliveries calls fn for the account's deliveries from Seq from on, in
// Seq order, until fn returns false. fn may call other methods of the
// store.
func (p *Pebble) Deliveries(account string, from uint64, fn func(*Delivery) bool) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	return deliveryErr(p.dels.Scan(account, from, fn))
}

// Accounts returns, sorted, the accounts that have deliveries pending.
func (p *Pebble) Accounts() ([]string, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	accs, err := p.dels.Accounts()
	return accs, deliveryErr(err)
}

// deliveryErr is the store's error for an error of the deliveries part.
func deliveryErr(err error) error {
	if errors.Is(err, deliveries.ErrClosed) {
		return ErrClosed // closed since begin
	}
	return err
}
