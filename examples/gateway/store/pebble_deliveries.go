package store

import (
	"encoding/binary"
	"slices"

	"github.com/cockroachdb/pebble"
)

// seqBlock is how many delivery sequence numbers are reserved at a time.
const seqBlock = 1 << 20

// AddDelivery stores d under a new Seq (set in d.Seq), synced. Seqs
// increase across all accounts and across restarts.
func (p *Pebble) AddDelivery(d *Delivery) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	seq, err := p.nextSeq()
	if err != nil {
		return err
	}
	w := getWrite()
	k0 := len(w.buf)
	w.buf = appendDeliveryKey(w.buf, d.Account, seq)
	k1 := len(w.buf)
	w.buf = appendDelivery(w.buf, d)
	w.end(entrySet, k0, k1)
	if err := p.commit(w, true); err != nil {
		return err
	}
	d.Seq = seq
	return nil
}

// UpdateWithDelivery stores m's state fields by compare-and-set and queues
// d, in one synced batch.
func (p *Pebble) UpdateWithDelivery(m *Message, d *Delivery) error {
	return p.writeMessage(m, change{what: writeState, how: durable, d: d})
}

// nextSeq hands out the next delivery Seq, reserving a new block in the
// database when the current one is used up. The reservation is written
// without sync: it precedes in the WAL every delivery that uses a Seq from
// it, so any delivery that survives a crash implies its reservation did.
func (p *Pebble) nextSeq() (uint64, error) {
	p.seqMu.Lock()
	defer p.seqMu.Unlock()
	if p.seq >= p.seqLimit {
		limit := p.seq + seqBlock
		if err := p.db.Set([]byte{kindSeq}, binary.BigEndian.AppendUint64(nil, limit), pebble.NoSync); err != nil {
			return 0, err
		}
		p.seqLimit = limit
	}
	p.seq++
	return p.seq, nil
}

// RemoveDelivery deletes an acknowledged delivery. A delivery key is written
// once (Seqs are never reused), so the delete is a single delete: meeting
// its write in a flush, both vanish instead of leaving a tombstone to
// compact. The delete is not synced:
// after a crash the delivery may be sent again (at-least-once).
func (p *Pebble) RemoveDelivery(account string, seq uint64) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	w := getWrite()
	w.buf = appendDeliveryKey(w.buf, account, seq)
	w.end(entrySingleDelete, 0, len(w.buf))
	return p.commit(w, false)
}

// Deliveries calls fn for the account's queued deliveries from Seq from on,
// in Seq order, until fn returns false. fn may call other methods of the
// store.
func (p *Pebble) Deliveries(account string, from uint64, fn func(*Delivery) bool) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	prefix := appendDeliveryPrefix(nil, account)
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: appendDeliveryKey(nil, account, from), UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != len(prefix)+8 {
			continue
		}
		d, err := decodeDelivery(it.Value(), account, binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			it.Close()
			return err
		}
		if !fn(d) {
			break
		}
	}
	return it.Close()
}

// Accounts returns, sorted, the accounts that have queued deliveries.
func (p *Pebble) Accounts() ([]string, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	it, err := p.db.NewIter(&pebble.IterOptions{
		LowerBound: []byte{kindDelivery},
		UpperBound: []byte{kindDelivery + 1},
	})
	if err != nil {
		return nil, err
	}
	var accounts []string
	for valid := it.First(); valid; {
		d := decoder{b: it.Key()[1:]}
		acc := d.raw()
		if d.err {
			it.Close()
			return nil, errCorrupt
		}
		accounts = append(accounts, string(acc))
		// Skip the rest of this account's deliveries.
		valid = it.SeekGE(prefixEnd(appendDeliveryPrefix(nil, string(acc))))
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	// Keys order accounts by length first; callers expect name order.
	slices.Sort(accounts)
	return accounts, nil
}
