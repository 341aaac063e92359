package sim

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// Message is what the store knows of one submitted message (one destination
// of a submit_multi).
type Message struct {
	ID       string // message id, as in submit_sm_resp
	SystemID string // the ESME that submitted it
	Source   string // source_addr
	Dest     string // destination_addr
	// State is ENROUTE until the final time, then the outcome (or DELETED
	// after cancel_sm).
	State pdu.MessageState
	// Err is the receipt's err: code of a final failure.
	Err uint16
	// Submitted is when it was submitted (or last replaced); Final when it
	// reaches (or reached) its final state.
	Submitted, Final time.Time
	// RegisteredDelivery is the registered_delivery of the submission.
	RegisteredDelivery uint8
	// Text is the start of the message (at most 20 characters) when it was
	// text in a single-byte alphabet; empty otherwise.
	Text string
}

// entry is one slot of the store. It holds no pointers, so the garbage
// collector never scans the store.
type entry struct {
	id        uint64 // the internal number; 0 for a free slot
	submitted int64  // unix nanos
	final     int64  // unix nanos
	sys       uint32 // interned system_id
	err       uint16
	state     pdu.MessageState // the final state
	regDel    uint8
	respOff   uint8 // submit_multi: this destination's offset from the id returned
	srcLen    uint8
	dstLen    uint8
	textLen   uint8
	src       [21]byte
	dst       [21]byte
	text      [20]byte
}

const (
	chunkBits  = 12
	chunkSize  = 1 << chunkBits
	lockStripe = 256
)

// Store is the simulator's bounded message store: a ring of fixed-size
// entries indexed by the message number, so that insertion and lookup take a
// lock stripe and no allocation. When full, the oldest entries are
// overwritten; entries older than the TTL are not found. Memory is allocated
// in chunks as the ring fills.
type Store struct {
	mask   uint64
	ttl    int64
	chunks []atomic.Pointer[[chunkSize]entry]
	grow   sync.Mutex
	locks  [lockStripe]sync.Mutex

	format IDFormat
	uuid   string // "xxxxxxxx-xxxx-4xxx-8xxx-": the UUID prefix of this process

	sysMu  sync.RWMutex
	sysIDs map[string]uint32
	sysTab []string

	count atomic.Uint64 // messages ever stored
}

func newStore(size int, ttl time.Duration, format IDFormat) *Store {
	n := uint64(chunkSize)
	for n < uint64(size) {
		n <<= 1
	}
	st := &Store{
		mask:   n - 1,
		ttl:    int64(ttl),
		chunks: make([]atomic.Pointer[[chunkSize]entry], n/chunkSize),
		format: format,
		sysIDs: map[string]uint32{},
	}
	var r [9]byte
	rand.Read(r[:])
	h := hex.EncodeToString(r[:])
	st.uuid = h[:8] + "-" + h[8:12] + "-4" + h[12:15] + "-8" + h[15:18] + "-"
	return st
}

// Cap returns the most entries the store holds.
func (st *Store) Cap() int { return int(st.mask + 1) }

// Count returns the number of messages stored since the start (including
// those overwritten since).
func (st *Store) Count() uint64 { return st.count.Load() }

func (st *Store) intern(sys string) uint32 {
	st.sysMu.RLock()
	n, ok := st.sysIDs[sys]
	st.sysMu.RUnlock()
	if ok {
		return n
	}
	st.sysMu.Lock()
	defer st.sysMu.Unlock()
	if n, ok := st.sysIDs[sys]; ok {
		return n
	}
	n = uint32(len(st.sysTab))
	st.sysTab = append(st.sysTab, sys)
	st.sysIDs[sys] = n
	return n
}

func (st *Store) sysName(n uint32) string {
	st.sysMu.RLock()
	defer st.sysMu.RUnlock()
	if int(n) < len(st.sysTab) {
		return st.sysTab[n]
	}
	return ""
}

// slot returns the entry for number n and its lock, allocating its chunk.
func (st *Store) slot(n uint64) (*entry, *sync.Mutex) {
	i := n & st.mask
	c := st.chunks[i>>chunkBits].Load()
	if c == nil {
		st.grow.Lock()
		if c = st.chunks[i>>chunkBits].Load(); c == nil {
			c = new([chunkSize]entry)
			st.chunks[i>>chunkBits].Store(c)
		}
		st.grow.Unlock()
	}
	return &c[i&(chunkSize-1)], &st.locks[i%lockStripe]
}

// put stores e under e.id.
func (st *Store) put(e *entry) {
	p, mu := st.slot(e.id)
	mu.Lock()
	*p = *e
	mu.Unlock()
	st.count.Add(1)
}

// with calls f with the live entry of number n under its lock; it reports
// false when the entry was overwritten, expired or never existed.
func (st *Store) with(n uint64, now int64, f func(e *entry)) bool {
	if n == 0 {
		return false
	}
	p, mu := st.slot(n)
	mu.Lock()
	defer mu.Unlock()
	if p.id != n || now-p.submitted > st.ttl {
		return false
	}
	f(p)
	return true
}

// appendID appends the message id of number n.
func (st *Store) appendID(dst []byte, n uint64) []byte {
	switch st.format {
	case IDDecimal:
		return strconv.AppendUint(dst, n, 10)
	case IDUUID:
		dst = append(dst, st.uuid...)
		var b [12]byte
		for i := 11; i >= 0; i-- {
			b[i] = "0123456789abcdef"[n&15]
			n >>= 4
		}
		return append(dst, b[:]...)
	}
	return strconv.AppendUint(dst, n, 16)
}

// formatID returns the message id of number n.
func (st *Store) formatID(n uint64) string {
	var b [64]byte
	return string(st.appendID(b[:0], n))
}

// parseID returns the number of a message id (0 when it is not one of ours).
func (st *Store) parseID(id string) uint64 {
	var n uint64
	var err error
	switch st.format {
	case IDDecimal:
		n, err = strconv.ParseUint(id, 10, 64)
	case IDUUID:
		if len(id) != len(st.uuid)+12 || !equalFold(id[:len(st.uuid)], st.uuid) {
			return 0
		}
		n, err = strconv.ParseUint(id[len(st.uuid):], 16, 64)
	default:
		n, err = strconv.ParseUint(id, 16, 64)
	}
	if err != nil {
		return 0
	}
	return n
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c, d := a[i]|0x20, b[i]|0x20
		if c != d {
			return false
		}
	}
	return true
}

// message converts an entry, as seen at now.
func (st *Store) message(e *entry, now int64) Message {
	m := Message{
		ID:                 st.formatID(e.id - uint64(e.respOff)),
		SystemID:           st.sysName(e.sys),
		Source:             string(e.src[:e.srcLen]),
		Dest:               string(e.dst[:e.dstLen]),
		State:              e.currentState(now),
		Submitted:          time.Unix(0, e.submitted),
		Final:              time.Unix(0, e.final),
		RegisteredDelivery: e.regDel,
		Text:               string(e.text[:e.textLen]),
	}
	if m.State.Final() {
		m.Err = e.err
	}
	return m
}

// currentState is ENROUTE before the final time, the final state after.
func (e *entry) currentState(now int64) pdu.MessageState {
	if now < e.final {
		return pdu.StateEnroute
	}
	return e.state
}

// Lookup returns the message of an id (the first destination's for a
// submit_multi).
func (st *Store) Lookup(id string) (Message, bool) {
	var m Message
	now := time.Now().UnixNano()
	ok := st.with(st.parseID(id), now, func(e *entry) { m = st.message(e, now) })
	return m, ok
}

// setText keeps the start of a message's text for the receipt's text: field,
// printable ASCII only (anything else becomes '.').
func (e *entry) setText(ud []byte) {
	e.textLen = 0
	for _, b := range ud {
		if int(e.textLen) == len(e.text) {
			break
		}
		if b < 0x20 || b > 0x7e {
			b = '.'
		}
		e.text[e.textLen] = b
		e.textLen++
	}
}
