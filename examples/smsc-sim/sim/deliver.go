package sim

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// delivery is one deliver_sm to send: a receipt of message n (built when
// sent), or a ready PDU (an MO segment, a receipt being retried).
type delivery struct {
	n        uint64
	d        *pdu.DeliverSM
	state    pdu.MessageState // of a receipt
	mo       bool
	attempts int
}

// outbox queues the deliveries of one system_id and sends them, from one
// goroutine, over its receiver binds in turn, keeping their windows full.
type outbox struct {
	s   *Simulator
	sys uint32
	id  string

	mu    sync.Mutex
	q     []*delivery // ring
	head  int
	n     int
	ready chan struct{}

	// owned by the goroutine
	conns []*server.Conn
	gen   uint64
	rr    int
}

func (s *Simulator) box(sys uint32) *outbox {
	s.boxMu.Lock()
	defer s.boxMu.Unlock()
	b := s.boxes[sys]
	if b == nil {
		b = &outbox{s: s, sys: sys, id: s.store.sysName(sys), q: make([]*delivery, 64), ready: make(chan struct{}, 1)}
		s.boxes[sys] = b
		s.wg.Add(1)
		go b.run()
	}
	return b
}

func (b *outbox) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

// put queues d, at the front when it is being retried; past QueueSize the
// oldest delivery is dropped.
func (b *outbox) put(d *delivery, front bool) {
	b.mu.Lock()
	if b.n == len(b.q) {
		if b.n >= b.s.cfg.QueueSize {
			old := b.q[b.head]
			b.q[b.head] = nil
			b.head = (b.head + 1) % len(b.q)
			b.n--
			b.s.stats.dropped.Add(1)
			if old != nil && b.s.stats.dropped.Load()%1000 == 1 {
				b.s.cfg.Logger.Warn("outbox full: dropping the oldest deliveries", "system_id", b.id, "queue", b.s.cfg.QueueSize)
			}
		} else {
			q := make([]*delivery, min(2*len(b.q), max(b.s.cfg.QueueSize, 64)))
			for i := 0; i < b.n; i++ {
				q[i] = b.q[(b.head+i)%len(b.q)]
			}
			b.q, b.head = q, 0
		}
	}
	if front {
		b.head = (b.head - 1 + len(b.q)) % len(b.q)
		b.q[b.head] = d
	} else {
		b.q[(b.head+b.n)%len(b.q)] = d
	}
	b.n++
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

func (b *outbox) take() *delivery {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n == 0 {
		return nil
	}
	d := b.q[b.head]
	b.q[b.head] = nil
	b.head = (b.head + 1) % len(b.q)
	b.n--
	return d
}

func (b *outbox) run() {
	defer b.s.wg.Done()
	ctx := b.s.ctx
	for {
		if b.len() == 0 {
			select {
			case <-b.ready:
				continue
			case <-ctx.Done():
				return
			}
		}
		// Wait for a receiver before taking the delivery, so that it
		// counts as pending meanwhile.
		conn := b.pick(ctx)
		if conn == nil {
			return
		}
		d := b.take()
		if d == nil {
			continue
		}
		if d.d == nil {
			if d.d, d.state = b.s.receipt(d.n); d.d == nil {
				continue // cancelled, no longer wanted, or gone from the store
			}
		}
		b.s.sendDelivery(ctx, b, conn, d)
	}
}

// pick returns the next receiver session, waiting for one to bind.
func (b *outbox) pick(ctx context.Context) *server.Conn {
	for {
		if g := b.s.gen.Load(); g != b.gen || len(b.conns) == 0 {
			wait := b.s.bindWait()
			b.gen = g
			b.conns = b.s.srv.Receivers(b.id)
			if len(b.conns) == 0 {
				select {
				case <-wait:
					continue
				case <-ctx.Done():
					return nil
				}
			}
		}
		b.rr++
		c := b.conns[b.rr%len(b.conns)]
		if c.State().CanReceive() {
			return c
		}
		b.conns = nil // stale: look again
	}
}

func (s *Simulator) sendDelivery(ctx context.Context, b *outbox, c *server.Conn, d *delivery) {
	c.DeliverAsync(ctx, d.d).OnDone(func(_ *pdu.DeliverSMResp, err error) {
		if err == nil {
			if d.mo {
				s.stats.mo.Add(1)
			} else {
				s.stats.receiptsSent.Add(1)
				if s.cfg.OnReceipt != nil {
					id := s.store.formatID(d.n)
					if v, ok := d.d.TLVs.ReceiptedMessageID(); ok {
						id = string(v)
					}
					s.cfg.OnReceipt(&ReceiptAck{SystemID: b.id, ID: id, State: d.state})
				}
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.stats.deliverFailed.Add(1)
		var st pdu.Status
		if errors.As(err, &st) {
			// Refused by the ESME: retry after a back-off, a few times.
			d.attempts++
			if d.attempts >= s.cfg.MaxAttempts {
				s.stats.dropped.Add(1)
				s.cfg.Logger.Warn("giving up a deliver_sm", "system_id", b.id, "status", st.String(), "attempts", d.attempts)
				return
			}
			backoff := min(250*time.Millisecond<<(d.attempts-1), 30*time.Second)
			s.sched.add(job{due: time.Now().Add(backoff).UnixNano(), sys: b.sys, d: d})
			return
		}
		// The bind went away (or timed out): try again on another at once.
		b.put(d, true)
	})
}
