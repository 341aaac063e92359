package sim

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/tlv"
)

// dedupe remembers idempotency keys (Config.DedupeTLV), FIFO-bounded.
type dedupe struct {
	mu   sync.Mutex
	m    map[string]uint64
	ring []string
	next int
	max  int
}

// lookupOrAdd returns the number already given to key, or records n for it.
func (d *dedupe) lookupOrAdd(key string, n func() uint64) (uint64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.m[key]; ok {
		return v, true
	}
	if d.m == nil {
		d.m = map[string]uint64{}
	}
	if len(d.ring) < d.max {
		d.ring = append(d.ring, key)
	} else {
		delete(d.m, d.ring[d.next])
		d.ring[d.next] = key
		d.next = (d.next + 1) % len(d.ring)
	}
	v := n()
	d.m[key] = v
	return v, false
}

// fault applies the fault injection to a submission; it reports true when it
// answered (or dropped) the request.
func (s *Simulator) fault(c *conn, w server.ResponseWriter, r *server.Request) bool {
	cfg := &s.cfg
	if cfg.DropAfter == 0 && cfg.ThrottleEvery == 0 && cfg.QueueFullEvery == 0 {
		return false
	}
	if c.dropped.Load() {
		w.Hold() // never answered: the connection is going
		return true
	}
	k := c.submits.Add(1)
	if cfg.DropAfter > 0 && k > uint64(cfg.DropAfter) {
		c.dropped.Store(true)
		s.stats.faults.Add(1)
		w.Hold()
		conn := r.Conn()
		s.cfg.Logger.Info("fault: dropping connection", "system_id", conn.SystemID(), "after", cfg.DropAfter)
		go func() {
			// Let the writer flush the responses already queued.
			time.Sleep(20 * time.Millisecond)
			conn.Close()
		}()
		return true
	}
	if cfg.ThrottleEvery > 0 && k%uint64(cfg.ThrottleEvery) == 0 {
		s.stats.faults.Add(1)
		s.respond(w, nil, pdu.ESME_RTHROTTLED)
		return true
	}
	if cfg.QueueFullEvery > 0 && k%uint64(cfg.QueueFullEvery) == 0 {
		s.stats.faults.Add(1)
		s.respond(w, nil, pdu.ESME_RMSGQFUL)
		return true
	}
	return false
}

// respond answers now, or after the response delay.
func (s *Simulator) respond(w server.ResponseWriter, body pdu.PDU, status pdu.Status) {
	d := s.cfg.ResponseDelay
	if hi := s.cfg.ResponseDelayMax; hi > d {
		d += time.Duration(rand.Int64N(int64(hi - d + 1)))
	}
	if d <= 0 {
		w.Respond(body, status)
		return
	}
	w.Hold()
	time.AfterFunc(d, func() { w.Respond(body, status) })
}

func (s *Simulator) serveSubmit(w server.ResponseWriter, r *server.Request) {
	c := connOf(r)
	if c == nil {
		w.Respond(nil, pdu.ESME_RINVBNDSTS)
		return
	}
	if s.fault(c, w, r) {
		return
	}
	// The request was read strictly, so every field is within its size;
	// a value SMPP 3.4 refuses (priority_flag 4, a malformed time, both
	// short_message and message_payload...) is answered with its status
	// before anything is numbered or stored.
	if v, ok := r.PDU.(interface{ CheckValues() error }); ok {
		if err := v.CheckValues(); err != nil {
			s.respond(w, nil, pdu.StatusOf(err))
			return
		}
	}
	now := time.Now().UnixNano()
	switch p := r.PDU.(type) {
	case *pdu.SubmitSM:
		if p.DestinationAddr == "" {
			s.respond(w, nil, pdu.ESME_RINVDSTADR)
			return
		}
		n, dup := s.number(c, p.TLVs)
		id := s.store.formatID(n)
		// Told before the receipt is scheduled: it cannot come first.
		s.submitted(r, p.SourceAddr, p.DestinationAddr, p.Payload(), p.TLVs, id, dup)
		if !dup {
			s.accept(now, n, 0, c.sys, p.SourceAddr, p.DestinationAddr, p.RegisteredDelivery, p.ESMClass, p.DataCoding, p.Payload())
		}
		s.respond(w, &pdu.SubmitSMResp{MessageID: id}, pdu.ESME_ROK)
	case *pdu.DataSM:
		if p.DestinationAddr == "" {
			s.respond(w, nil, pdu.ESME_RINVDSTADR)
			return
		}
		payload, _ := p.TLVs.MessagePayload()
		n, dup := s.number(c, p.TLVs)
		id := s.store.formatID(n)
		s.submitted(r, p.SourceAddr, p.DestinationAddr, payload, p.TLVs, id, dup)
		if !dup {
			s.accept(now, n, 0, c.sys, p.SourceAddr, p.DestinationAddr, p.RegisteredDelivery, p.ESMClass, p.DataCoding, payload)
		}
		s.respond(w, &pdu.DataSMResp{MessageID: id}, pdu.ESME_ROK)
	case *pdu.SubmitMulti:
		var resp pdu.SubmitMultiResp
		k := 0
		for _, d := range p.Dests {
			if d.Flag == pdu.DestFlagList || d.DestinationAddr == "" {
				resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr, ErrorStatusCode: pdu.ESME_RINVDSTADR})
				continue
			}
			k++
		}
		if k == 0 {
			s.respond(w, nil, pdu.ESME_RINVNUMDESTS)
			return
		}
		first := s.next.Add(uint64(k)) - uint64(k) + 1
		i := 0
		for _, d := range p.Dests {
			if d.Flag == pdu.DestFlagList || d.DestinationAddr == "" {
				continue
			}
			s.accept(now, first+uint64(i), uint8(i), c.sys, p.SourceAddr, d.DestinationAddr, p.RegisteredDelivery, p.ESMClass, p.DataCoding, p.ShortMessage)
			i++
		}
		resp.MessageID = s.store.formatID(first)
		s.respond(w, &resp, pdu.ESME_ROK)
	default:
		w.Respond(nil, pdu.ESME_RINVCMDID)
	}
}

// Submission is what Config.OnSubmit is told of a submit_sm or data_sm
// answered with ESME_ROK.
type Submission struct {
	// SystemID is the submitter's.
	SystemID string
	// Key is the idempotency key (the Config.DedupeTLV value without a
	// trailing NUL); "" without Config.DedupeTLV or without the TLV.
	Key string
	// ID is the message id answered.
	ID string
	// Dup is true when the key had been seen: the answer is the id given
	// the first time, and nothing new was stored.
	Dup bool
	// Source and Dest are the addresses.
	Source, Dest string
	// Message is the short_message, or the message_payload when there is
	// none, as sent (with its UDH, if any). It is valid only during the
	// call.
	Message []byte
}

// submitted counts a duplicate idempotency key and calls Config.OnSubmit.
func (s *Simulator) submitted(r *server.Request, src, dst string, msg []byte, l tlv.List, id string, dup bool) {
	if dup {
		s.stats.dedupeHits.Add(1)
	}
	if s.cfg.OnSubmit == nil {
		return
	}
	sub := Submission{SystemID: r.Conn().SystemID(), ID: id, Dup: dup, Source: src, Dest: dst, Message: msg}
	if s.cfg.DedupeTLV != 0 {
		if v, ok := l.Lookup(s.cfg.DedupeTLV); ok {
			sub.Key = strings.TrimRight(string(v), "\x00")
		}
	}
	s.cfg.OnSubmit(&sub)
}

// number returns a new message number, or the one already given to the
// submission's idempotency key (dup true).
func (s *Simulator) number(c *conn, l tlv.List) (n uint64, dup bool) {
	if s.cfg.DedupeTLV != 0 {
		if v, ok := l.Lookup(s.cfg.DedupeTLV); ok {
			key := strconv.FormatUint(uint64(c.sys), 10) + "/" + string(v)
			return s.dedupe.lookupOrAdd(key, func() uint64 { return s.next.Add(1) })
		}
	}
	return s.next.Add(1), false
}

// accept stores message number n (destination off of a submit_multi whose
// id is n-off) and schedules its receipt.
func (s *Simulator) accept(now int64, n uint64, off uint8, sys uint32, src, dst string, regDel, esm, dc uint8, ud []byte) {
	o := s.outcome(dst)
	e := entry{
		id:        n,
		submitted: now,
		final:     now + int64(s.delay()),
		sys:       sys,
		err:       o.Err,
		state:     o.State,
		regDel:    regDel,
		respOff:   off,
	}
	e.srcLen = uint8(copy(e.src[:], src))
	e.dstLen = uint8(copy(e.dst[:], dst))
	if esm&0x40 != 0 && len(ud) > 0 && int(ud[0])+1 <= len(ud) {
		ud = ud[ud[0]+1:] // skip the UDH
	}
	if dc == 0 || dc == 1 || dc == 3 {
		e.setText(ud)
	}
	s.store.put(&e)
	s.stats.submitted.Add(1)
	if wantsReceipt(regDel, o.State) {
		s.sched.add(job{due: e.final, n: n, sys: sys})
	}
}

// wantsReceipt reports whether registered_delivery asks for a receipt of a
// message ending in state st.
func wantsReceipt(regDel uint8, st pdu.MessageState) bool {
	switch regDel & 3 {
	case 1:
		return true
	case 2:
		return st != pdu.StateDelivered
	case 3: // SMPP 5.0: success only
		return st == pdu.StateDelivered
	}
	return false
}

func (s *Simulator) delay() time.Duration {
	d := s.cfg.ReceiptDelay
	if hi := s.cfg.ReceiptDelayMax; hi > d {
		d += time.Duration(rand.Int64N(int64(hi - d + 1)))
	}
	return d
}

// outcome picks the final state of a message to dst.
func (s *Simulator) outcome(dst string) Outcome {
	if len(s.cfg.PrefixOutcomes) > 0 {
		best := -1
		for i, p := range s.cfg.PrefixOutcomes {
			if strings.HasPrefix(dst, p.Prefix) && (best < 0 || len(p.Prefix) > len(s.cfg.PrefixOutcomes[best].Prefix)) {
				best = i
			}
		}
		if best >= 0 {
			return s.cfg.PrefixOutcomes[best].Outcome
		}
	}
	if len(s.outcomes) == 0 {
		return Outcome{State: pdu.StateDelivered}
	}
	x := rand.Float64() * s.total
	for _, o := range s.outcomes {
		if x < o.Percent {
			return o
		}
	}
	return s.outcomes[len(s.outcomes)-1]
}
