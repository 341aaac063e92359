package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/tlv"
	"github.com/esmsafrica/smpp/udh"
)

// job is a receipt due at a time (n set), or a deliver_sm to retry (d set).
type job struct {
	due int64
	n   uint64
	sys uint32
	d   *delivery
}

// scheduler holds the jobs not yet due in a min-heap, served by one goroutine.
type scheduler struct {
	s    *Simulator
	mu   sync.Mutex
	heap []job
	wake int64 // when the goroutine will look next (0: not sleeping on a timer)
	kick chan struct{}
}

func (sc *scheduler) init(s *Simulator) {
	sc.s = s
	sc.kick = make(chan struct{}, 1)
}

func (sc *scheduler) len() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.heap)
}

// add schedules j; a job already due goes straight to its outbox.
func (sc *scheduler) add(j job) {
	if j.due <= time.Now().UnixNano() {
		sc.s.fire(j)
		return
	}
	sc.mu.Lock()
	sc.push(j)
	early := sc.wake == 0 || j.due < sc.wake
	sc.mu.Unlock()
	if early {
		select {
		case sc.kick <- struct{}{}:
		default:
		}
	}
}

func (sc *scheduler) push(j job) {
	h := append(sc.heap, j)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].due <= h[i].due {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	sc.heap = h
}

func (sc *scheduler) pop() job {
	h := sc.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = job{}
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].due < h[l].due {
			m = r
		}
		if h[i].due <= h[m].due {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	sc.heap = h
	return top
}

func (sc *scheduler) run() {
	defer sc.s.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	var due []job
	for {
		now := time.Now().UnixNano()
		due = due[:0]
		sc.mu.Lock()
		for len(sc.heap) > 0 && sc.heap[0].due <= now && len(due) < 4096 {
			due = append(due, sc.pop())
		}
		var wait time.Duration
		switch {
		case len(due) == 4096:
			wait = 0
		case len(sc.heap) > 0:
			sc.wake = sc.heap[0].due
			wait = time.Duration(sc.wake - now)
		default:
			sc.wake = 0
			wait = time.Hour
		}
		sc.mu.Unlock()
		for _, j := range due {
			sc.s.fire(j)
		}
		if wait <= 0 {
			continue
		}
		t.Reset(wait)
		select {
		case <-sc.s.ctx.Done():
			return
		case <-sc.kick:
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		case <-t.C:
		}
	}
}

// fire hands a due job to its system_id's outbox.
func (s *Simulator) fire(j job) {
	d := j.d
	if d == nil {
		d = &delivery{n: j.n}
		s.stats.receiptsQueued.Add(1)
	}
	s.box(j.sys).put(d, false)
}

// ---------------------------------------------------------------- outboxes

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

// receipt builds the receipt of message n and returns it with the state it
// reports, or returns nil when none is due (cancelled, receipt no longer
// asked for, or the message left the store).
func (s *Simulator) receipt(n uint64) (*pdu.DeliverSM, pdu.MessageState) {
	var (
		m     *pdu.DeliverSM
		state pdu.MessageState
		later int64
		sys   uint32
	)
	now := time.Now()
	nowNs := now.UnixNano()
	s.store.with(n, nowNs, func(e *entry) {
		if e.final > nowNs {
			later, sys = e.final, e.sys // replaced since: not due yet
			return
		}
		if e.state == pdu.StateDeleted || !wantsReceipt(e.regDel, e.state) {
			return
		}
		state = e.state
		var idb [64]byte
		id := string(s.store.appendID(idb[:0], e.id-uint64(e.respOff)))
		r := pdu.Receipt{
			ID:         id,
			State:      e.state,
			SubmitDate: time.Unix(0, e.submitted),
			DoneDate:   now,
			Text:       string(e.text[:e.textLen]),
		}
		if e.err != 0 {
			r.Err = fmt.Sprintf("%03d", e.err)
		}
		opts := pdu.ReceiptOptions{Location: s.cfg.ReceiptLocation, Seconds: s.cfg.ReceiptSeconds}
		if opts.Location == nil {
			opts.Location = time.UTC
		}
		m = &pdu.DeliverSM{
			SourceAddrTON:   1,
			SourceAddrNPI:   1,
			SourceAddr:      string(e.dst[:e.dstLen]),
			DestAddrTON:     1,
			DestAddrNPI:     1,
			DestinationAddr: string(e.src[:e.srcLen]),
			ESMClass:        0x04,
			ShortMessage:    opts.Append(make([]byte, 0, 160), &r),
		}
		if !s.cfg.NoReceiptTLVs {
			m.TLVs = make(tlv.List, 0, 3)
			m.TLVs.SetReceiptedMessageID(id)
			m.TLVs.SetMessageState(uint8(e.state))
			if e.state != pdu.StateDelivered {
				m.TLVs.SetNetworkErrorCode(tlv.NetworkError{Type: 3, Code: e.err})
			}
		}
	})
	if later != 0 {
		s.sched.add(job{due: later, n: n, sys: sys})
	}
	return m, state
}

// ---------------------------------------------------------------- MO

// MO is a mobile-originated message to deliver to an ESME.
type MO struct {
	// SystemID is the ESME to deliver to. Empty: Config.MOSystemID, else
	// the first account, else every system_id bound now.
	SystemID string
	// From and To are the source (the handset) and destination (the
	// ESME's short code or number).
	From, To string
	// Text is the message; a long one is split into segments with a
	// concatenation UDH (8-bit reference), in GSM 7-bit or UCS-2.
	Text string
	// Binary, when not nil, is sent instead of Text with DataCoding (0x04
	// when zero), split likewise.
	Binary     []byte
	DataCoding uint8
}

var moRefs udh.Counter

// SendMO queues an MO message for delivery; it returns the number of
// deliver_sm (segments × system_ids) queued. Delivery waits for a receiver
// to bind, like receipts.
func (s *Simulator) SendMO(mo MO) (int, error) {
	sys := mo.SystemID
	if sys == "" {
		sys = s.cfg.MOSystemID
	}
	if sys == "" && len(s.cfg.Accounts) > 0 {
		sys = s.cfg.Accounts[0].SystemID
	}
	var targets []string
	if sys != "" {
		targets = []string{sys}
	} else {
		targets = s.boundSystems()
		if len(targets) == 0 {
			return 0, errors.New("sim: no system_id given and none bound")
		}
	}
	opts := udh.Options{Refs: &moRefs}
	var msg udh.Message
	var err error
	if mo.Binary != nil {
		dc := mo.DataCoding
		if dc == 0 {
			dc = 0x04
		}
		msg, err = udh.NewSplitter(opts).SplitBinary(mo.Binary, dc)
	} else {
		msg, err = udh.NewSplitter(opts).Split(mo.Text)
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range targets {
		box := s.box(s.store.intern(t))
		for _, seg := range msg.Segments {
			d := &pdu.DeliverSM{
				SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: strings.TrimPrefix(mo.From, "+"),
				DestAddrTON: 0, DestAddrNPI: 1, DestinationAddr: strings.TrimPrefix(mo.To, "+"),
				DataCoding:   seg.DataCoding,
				ShortMessage: append([]byte(nil), seg.ShortMessage...),
			}
			if seg.UDHI {
				d.ESMClass = 0x40
			}
			box.put(&delivery{d: d, mo: true}, false)
			n++
		}
	}
	return n, nil
}

func (s *Simulator) boundSystems() []string {
	seen := map[string]bool{}
	var out []string
	s.store.sysMu.RLock()
	names := append([]string(nil), s.store.sysTab...)
	s.store.sysMu.RUnlock()
	for _, n := range names {
		if !seen[n] && len(s.srv.Receivers(n)) > 0 {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// moLoop sends Config.MORate MO messages per second.
func (s *Simulator) moLoop() {
	defer s.wg.Done()
	every := time.Duration(float64(time.Second) / s.cfg.MORate)
	t := time.NewTicker(max(every, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		k := s.moCount.Add(1)
		from := s.cfg.MOFrom
		if from == "" {
			from = "2547" + fmt.Sprintf("%08d", rand.IntN(100_000_000))
		}
		text := strings.ReplaceAll(s.cfg.MOText, "{n}", strconv.FormatUint(k, 10))
		if _, err := s.SendMO(MO{SystemID: s.cfg.MOSystemID, From: from, To: s.cfg.MOTo, Text: text}); err != nil {
			continue // nobody bound yet
		}
	}
}
