package store

import (
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

// UpdateWithDelivery stores m's state fields by compare-and-set and adds d
// to the deliveries, in one synced batch.
func (p *Pebble) UpdateWithDelivery(m *Message, d *Delivery) error {
	return p.writeMessage(m, change{what: writeState, how: durable, d: d})
}

// UpdateWithDeliveryAsync is UpdateWithDelivery without waiting: the write
// joins the next group of synced writes and then is called with its error
// by the goroutine that committed the group.
func (p *Pebble) UpdateWithDeliveryAsync(m *Message, d *Delivery, then func(error)) {
	p.writeAsync(m, change{what: writeState, how: durable, d: d}, then)
}

// deliveryErr is the store's error for an error of the deliveries part.
func deliveryErr(err error) error {
	if errors.Is(err, deliveries.ErrClosed) {
		return ErrClosed // closed since begin
	}
	return err
}
