package udh

import (
	"container/list"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/tlv"
)

// Part is one inbound message (deliver_sm or data_sm) as the reassembler
// needs it. Its slices may alias the PDU buffer: the reassembler copies what
// it keeps.
type Part struct {
	// Source and Dest are the originator and recipient addresses; with the
	// reference and total they identify a long message.
	Source, Dest string
	// UDHI is esm_class bit 0x40: the user data starts with a UDH.
	UDHI bool
	// DataCoding is the data_coding value.
	DataCoding byte
	// ShortMessage is the short_message value.
	ShortMessage []byte
	// TLVs are the PDU's optional parameters (sar_* and message_payload are
	// read from them).
	TLVs tlv.List
}

// Assembled is a message put together from its segments, or what arrived of
// it when Partial.
type Assembled struct {
	// Source and Dest are the addresses of the parts.
	Source, Dest string
	// Method is how the message was carried.
	Method Method
	// DataCoding is the data_coding of the first part received.
	DataCoding byte
	// Coding is DataCoding taken apart per the reassembler's Default. Packed
	// GSM-7 parts are unpacked during reassembly, so Coding.Packed is false
	// and Payload holds one septet per octet.
	Coding encoding.DataCoding
	// Payload is the user data of all parts in order, without UDHs: decode it
	// with Text or encoding.Decode. It belongs to the caller.
	Payload []byte
	// Tables are the national GSM 7-bit tables the UDH announced.
	Tables encoding.GSM7Options
	// Ports is the application port addressing IE, if HasPorts.
	Ports    Ports
	HasPorts bool
	// Ref and Total are the concatenation reference and segment count (0 and
	// 1 for a message that was not segmented).
	Ref   uint16
	Total int
	// Received is the number of distinct parts received.
	Received int
	// Partial reports that parts are missing (the message expired or was
	// evicted); Missing lists their sequence numbers.
	Partial bool
	Missing []int
	// Reason is nil for a complete message, ErrExpired or ErrEvicted for a
	// partial one.
	Reason error
	// First is when the first part arrived.
	First time.Time
}

// Text decodes the payload to a string.
func (a *Assembled) Text() (string, error) {
	b, err := encoding.Decode(nil, a.Payload, a.Coding, a.Tables, 0)
	return string(b), err
}

// Config bounds a Reassembler. Zero values are the documented defaults.
type Config struct {
	// TTL is how long a partial message waits for its missing parts
	// (0: 5 minutes).
	TTL time.Duration
	// MaxPending bounds the partial messages held (0: 10,000). The oldest is
	// evicted (and reported) to make room.
	MaxPending int
	// MaxBytes bounds the payload octets held (0: 16 MiB), evicting the
	// oldest messages likewise.
	MaxBytes int
	// DuplicateWindow is how long the key of a completed message is
	// remembered, so that a late duplicate of one of its parts is dropped
	// instead of starting a new partial message (0: 30 seconds; negative:
	// not remembered). Keep it short: a sender's 8-bit references wrap after
	// 256 long messages, and a new message reusing a remembered key within
	// the window would be mistaken for duplicates.
	DuplicateWindow time.Duration
	// Default is what data_coding 0x00 means on the connection and whether
	// GSM-7 is packed.
	Default encoding.Default
	// Incomplete, when not nil, receives every partial message the
	// reassembler gives up on (expired or evicted), called without locks held
	// from Add or Expire. When nil, they are queued and returned by Expire.
	Incomplete func(Assembled)
}

type keyKind uint8

const (
	kindUDH8 keyKind = iota + 1
	kindUDH16
	kindSAR
)

type key struct {
	source, dest string
	ref          uint16
	total        uint8
	kind         keyKind
}

type pending struct {
	key    key
	parts  [][]byte
	got    int
	bytes  int
	first  time.Time
	dc     byte
	tables encoding.GSM7Options
	ports  Ports
	hasP   bool
	elem   *list.Element
}

// Reassembler puts long inbound messages back together. Parts may arrive in
// any order, more than once, or never: a message whose parts do not all
// arrive within the TTL is reported as partial, never dropped silently. It
// runs no goroutines; call Expire periodically (or rely on Add, which expires
// what is due). It is safe for concurrent use.
type Reassembler struct {
	cfg     Config
	mu      sync.Mutex
	pending map[key]*pending
	order   *list.List // of *pending, oldest first
	bytes   int
	dropped []Assembled
	done    map[key]time.Time // completed keys, for DuplicateWindow
	doneQ   []doneEntry       // completion order
}

type doneEntry struct {
	k  key
	at time.Time
}

// NewReassembler returns a Reassembler with the given bounds.
func NewReassembler(cfg Config) *Reassembler {
	if cfg.TTL <= 0 {
		cfg.TTL = 5 * time.Minute
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 10000
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 16 << 20
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = 30 * time.Second
	}
	return &Reassembler{cfg: cfg, pending: make(map[key]*pending), order: list.New(),
		done: make(map[key]time.Time)}
}

// Len returns the number of partial messages held.
func (r *Reassembler) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// Add takes one inbound part at time now. When it completes a message (or is
// a message on its own: no concatenation IE, no sar_* TLVs, or a
// message_payload) Add returns it with done true. A duplicate part is
// ignored. A malformed UDH returns the *HeaderError and the part is not kept.
func (r *Reassembler) Add(p Part, now time.Time) (msg Assembled, done bool, err error) {
	payload := p.ShortMessage
	method := InShortMessage
	if mp, ok := p.TLVs.MessagePayload(); ok {
		payload, method = mp, MessagePayload
	}
	var hdr Header
	var hbuf [8]IE
	fill := 0
	if p.UDHI {
		var rest []byte
		hdr, rest, err = Parse(hbuf[:0], payload)
		if err != nil && rest == nil {
			return Assembled{}, false, err
		}
		err = nil
		fill = encoding.FillBits(len(payload) - len(rest))
		payload = rest
	}
	k := key{source: p.Source, dest: p.Dest}
	var seq int
	c, hasConcat := hdr.Concat()
	sar, hasSAR := p.TLVs.SAR()
	switch {
	case method == MessagePayload:
	case hasConcat:
		k.ref, k.total, k.kind, seq = c.Ref, c.Total, kindUDH8, int(c.Seq)
		if c.Ref16 {
			k.kind = kindUDH16
		}
	case hasSAR && sar.Total > 0 && sar.Seq > 0 && sar.Seq <= sar.Total:
		k.ref, k.total, k.kind, seq = sar.Ref, sar.Total, kindSAR, int(sar.Seq)
		method = SARTLVs
	}
	coding := r.cfg.Default.ParseDataCoding(p.DataCoding)
	data := r.userData(payload, coding, fill)
	tables := hdr.Tables()
	ports, hasPorts := hdr.Ports()
	if k.kind == 0 || k.total == 1 {
		coding.Packed = false
		return Assembled{
			Source: p.Source, Dest: p.Dest, Method: method, DataCoding: p.DataCoding, Coding: coding,
			Payload: data, Tables: tables, Ports: ports, HasPorts: hasPorts, Ref: k.ref,
			Total: 1, Received: 1, First: now,
		}, true, nil
	}

	r.mu.Lock()
	var report []Assembled
	report = r.expireLocked(now, report)
	pm := r.pending[k]
	if _, dup := r.done[k]; dup && pm == nil {
		r.mu.Unlock()
		r.report(report)
		return Assembled{}, false, nil // late duplicate of a completed message
	}
	if pm == nil {
		for len(r.pending) >= r.cfg.MaxPending {
			report = r.evictOldest(report)
		}
		pm = &pending{key: k, parts: make([][]byte, k.total), first: now, dc: p.DataCoding,
			tables: tables, ports: ports, hasP: hasPorts}
		pm.elem = r.order.PushBack(pm)
		r.pending[k] = pm
	}
	if pm.parts[seq-1] != nil {
		r.mu.Unlock()
		r.report(report)
		return Assembled{}, false, nil // duplicate
	}
	if len(data) == 0 {
		data = []byte{} // mark as received
	}
	pm.parts[seq-1] = data
	pm.got++
	pm.bytes += len(data)
	r.bytes += len(data)
	if pm.got == len(pm.parts) {
		r.remove(pm)
		if r.cfg.DuplicateWindow > 0 {
			r.done[k] = now
			r.doneQ = append(r.doneQ, doneEntry{k, now})
			if len(r.doneQ) > r.cfg.MaxPending {
				r.forget(1)
			}
		}
		msg = r.assemble(pm, nil, method)
		done = true
	} else {
		for r.bytes > r.cfg.MaxBytes && r.order.Len() > 0 {
			report = r.evictOldest(report)
		}
	}
	r.mu.Unlock()
	r.report(report)
	return msg, done, nil
}

// userData copies the payload, unpacking packed GSM-7 (after fill bits).
func (r *Reassembler) userData(payload []byte, dc encoding.DataCoding, fill int) []byte {
	if dc.Alphabet == encoding.GSM7 && dc.Packed {
		return encoding.UnpackSeptets(nil, payload, fill)
	}
	return append([]byte(nil), payload...)
}

func (r *Reassembler) remove(pm *pending) {
	r.order.Remove(pm.elem)
	delete(r.pending, pm.key)
	r.bytes -= pm.bytes
}

func (r *Reassembler) assemble(pm *pending, reason error, method Method) Assembled {
	coding := r.cfg.Default.ParseDataCoding(pm.dc)
	coding.Packed = false
	a := Assembled{
		Source: pm.key.source, Dest: pm.key.dest, Method: method, DataCoding: pm.dc, Coding: coding,
		Tables: pm.tables, Ports: pm.ports, HasPorts: pm.hasP, Ref: pm.key.ref,
		Total: len(pm.parts), Received: pm.got, First: pm.first, Reason: reason, Partial: reason != nil,
	}
	a.Payload = make([]byte, 0, pm.bytes)
	for i, b := range pm.parts {
		if b == nil {
			a.Missing = append(a.Missing, i+1)
			continue
		}
		a.Payload = append(a.Payload, b...)
	}
	return a
}

func methodOf(k keyKind) Method {
	if k == kindSAR {
		return SARTLVs
	}
	return InShortMessage
}

func (r *Reassembler) evictOldest(report []Assembled) []Assembled {
	e := r.order.Front()
	if e == nil {
		return report
	}
	pm := e.Value.(*pending)
	r.remove(pm)
	return append(report, r.assemble(pm, ErrEvicted, methodOf(pm.key.kind)))
}

// forget drops the n oldest remembered completed keys.
func (r *Reassembler) forget(n int) {
	for _, e := range r.doneQ[:n] {
		if at, ok := r.done[e.k]; ok && at.Equal(e.at) {
			delete(r.done, e.k)
		}
	}
	r.doneQ = append(r.doneQ[:0], r.doneQ[n:]...)
}

func (r *Reassembler) expireLocked(now time.Time, report []Assembled) []Assembled {
	n := 0
	for n < len(r.doneQ) && now.Sub(r.doneQ[n].at) >= r.cfg.DuplicateWindow {
		n++
	}
	if n > 0 {
		r.forget(n)
	}
	for e := r.order.Front(); e != nil; e = r.order.Front() {
		pm := e.Value.(*pending)
		if now.Sub(pm.first) < r.cfg.TTL {
			break
		}
		r.remove(pm)
		report = append(report, r.assemble(pm, ErrExpired, methodOf(pm.key.kind)))
	}
	return report
}

func (r *Reassembler) report(list []Assembled) {
	if len(list) == 0 {
		return
	}
	if r.cfg.Incomplete != nil {
		for _, a := range list {
			r.cfg.Incomplete(a)
		}
		return
	}
	r.mu.Lock()
	r.dropped = append(r.dropped, list...)
	r.mu.Unlock()
}

// Expire gives up on the partial messages older than the TTL at time now. It
// returns them, together with any partial messages evicted earlier, unless
// Config.Incomplete is set, in which case they go to it and Expire returns
// nil.
func (r *Reassembler) Expire(now time.Time) []Assembled {
	r.mu.Lock()
	report := r.expireLocked(now, nil)
	r.mu.Unlock()
	r.report(report)
	if r.cfg.Incomplete != nil {
		return nil
	}
	r.mu.Lock()
	out := r.dropped
	r.dropped = nil
	r.mu.Unlock()
	return out
}
