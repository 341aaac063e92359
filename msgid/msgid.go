// Package msgid generates message ids for an SMSC (the message_id of
// submit_sm_resp, data_sm_resp and submit_multi_resp): unique across
// restarts and across the nodes of a cluster, without coordination, and
// increasing, so that an id tells when it was issued and a store keyed by id
// appends.
//
// It is its own package rather than part of pdu because a Generator has
// state and reads a clock, where pdu holds plain structs and pure functions,
// and because it serves SMSC code that never touches a PDU (a queue or store
// keyed by id).
//
// # Layout
//
// An id is a 63-bit number, written as 16 lower-case hexadecimal digits
// (fixed width, so that ids sort as strings in the order they were issued)
// or, with Options.Decimal, in decimal (at most 19 digits): well within the
// 64 characters of message_id, and as a number it fits a signed 64-bit
// integer, which is how many ESMEs store ids. From the top bit down:
//
//	bit  63         0
//	bits 62–22      milliseconds since Options.Epoch: 41 bits, 69 years
//	bits 21–N       a sequence within the millisecond: 22−N bits
//	bits N−1–0      the node: N = Options.NodeBits bits
//
// The time and the sequence together are a counter that never goes
// backwards: each id takes the current millisecond with sequence 0, or, when
// that is not above the last id issued (several ids in one millisecond, or a
// clock that went back), the last id's counter plus one. So a burst of more
// than 2^(22−N) ids in a millisecond borrows from the next milliseconds
// rather than waiting, and the ids run ahead of the clock until the rate
// falls again.
//
// # Limits
//
//   - ids per millisecond per node: 2^(22−N), 4,194,304 with one node (N =
//     0), 4,096 with N = 10 (1,024 nodes); more are issued, ahead of time;
//   - nodes: 2^N, N at most 16 (65,536 nodes, 64 ids per millisecond each);
//   - time: 2^41 ms after Epoch, until 2089 with the default epoch; after
//     that ids use bit 63 (they no longer fit a signed integer) and they
//     repeat after 2^42 ms (2159);
//   - restarts: a node restarted with its clock behind the last id it issued
//     (a clock set back, or ids run ahead of time) would issue that id again
//     unless told: give Generator.Resume the greatest id issued before the
//     restart (stores keyed by id have it at hand).
package msgid

import (
	"errors"
	"strconv"
	"sync/atomic"
	"time"
)

// DefaultEpoch returns the time from which ids count milliseconds when
// Options.Epoch is zero: 2020-01-01 00:00 UTC. (A function, not a variable
// that one part of a program could change under another's generators.)
func DefaultEpoch() time.Time { return defaultEpoch }

var defaultEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxNodeBits is the largest Options.NodeBits.
const MaxNodeBits = 16

// lowBits is the number of bits below the milliseconds: sequence and node.
const lowBits = 22

// Errors of New, Resume and Parse.
var (
	// ErrOptions means Options out of range: NodeBits above MaxNodeBits, or
	// a Node that NodeBits cannot hold.
	ErrOptions = errors.New("smpp: msgid options out of range")
	// ErrNotID means a string is not an id of the generator's format.
	ErrNotID = errors.New("smpp: not a message id of this generator")
)

// Options configure a Generator. The zero value is a single node writing hex
// ids counted from DefaultEpoch.
type Options struct {
	// Node is this node's number, 0 to 2^NodeBits−1. Zero for a single node.
	Node int
	// NodeBits is the number of low bits that hold Node, 0 to MaxNodeBits.
	// Each bit doubles the nodes and halves the ids per millisecond. Every
	// node of a cluster must use the same value. Zero: one node.
	NodeBits int
	// Epoch is the time from which milliseconds are counted. Zero:
	// DefaultEpoch. Every node of a cluster must use the same value.
	Epoch time.Time
	// Decimal writes ids in decimal (up to 19 digits) instead of 16
	// hexadecimal digits, for ESMEs that expect digits only. Decimal ids of
	// different lengths do not sort as strings.
	Decimal bool
	// Now is the clock. Nil: time.Now.
	Now func() time.Time
}

// Generator issues ids. It is safe for concurrent use; the zero value is
// not usable: call New.
type Generator struct {
	node    uint64
	seqBits uint // 22 − NodeBits: the sequence bits of the counter
	epoch   time.Time
	decimal bool
	now     func() time.Time
	last    atomic.Uint64 // the counter (id >> NodeBits) of the last id issued
}

// New returns a Generator for o, or an error wrapping ErrOptions.
func New(o Options) (*Generator, error) {
	if o.NodeBits < 0 || o.NodeBits > MaxNodeBits || o.Node < 0 || o.Node >= 1<<o.NodeBits {
		return nil, ErrOptions
	}
	g := &Generator{node: uint64(o.Node), seqBits: uint(lowBits - o.NodeBits), epoch: o.Epoch, decimal: o.Decimal, now: o.Now}
	if g.epoch.IsZero() {
		g.epoch = defaultEpoch
	}
	if g.now == nil {
		g.now = time.Now
	}
	return g, nil
}

// Next returns a new id.
func (g *Generator) Next() string {
	var buf [20]byte
	return string(g.AppendNext(buf[:0]))
}

// AppendNext appends a new id to dst. It does not allocate when dst has room
// (20 octets).
func (g *Generator) AppendNext(dst []byte) []byte {
	return g.appendID(dst, g.nextCounter())
}

func (g *Generator) nextCounter() uint64 {
	ms := g.now().Sub(g.epoch).Milliseconds()
	if ms < 0 {
		ms = 0
	}
	c := uint64(ms) << g.seqBits
	for {
		last := g.last.Load()
		next := max(c, last+1)
		if g.last.CompareAndSwap(last, next) {
			return next
		}
	}
}

const hexDigits = "0123456789abcdef"

func (g *Generator) appendID(dst []byte, counter uint64) []byte {
	v := counter<<(lowBits-g.seqBits) | g.node
	if g.decimal {
		return strconv.AppendUint(dst, v, 10)
	}
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = hexDigits[v&0xF]
		v >>= 4
	}
	return append(dst, b[:]...)
}

// Resume makes every later id greater than lastID: give it the greatest id
// issued before a restart, so that none is issued again even if the clock is
// now behind it. Ids of other nodes (with the same Options but for Node) are
// accepted too. It returns an error wrapping ErrNotID when lastID is not an
// id of this format, and changes nothing then.
func (g *Generator) Resume(lastID string) error {
	v, err := g.parse(lastID)
	if err != nil {
		return err
	}
	c := v >> (lowBits - g.seqBits)
	for {
		last := g.last.Load()
		if last >= c || g.last.CompareAndSwap(last, c) {
			return nil
		}
	}
}

// Parse returns the time an id was issued (to the millisecond; later than
// the real time for ids issued ahead of time) and the node that issued it,
// or an error wrapping ErrNotID.
func (g *Generator) Parse(id string) (issued time.Time, node int, err error) {
	v, err := g.parse(id)
	if err != nil {
		return time.Time{}, 0, err
	}
	ms := v >> lowBits
	return g.epoch.Add(time.Duration(ms) * time.Millisecond), int(v & (1<<(lowBits-g.seqBits) - 1)), nil
}

func (g *Generator) parse(id string) (uint64, error) {
	if g.decimal {
		v, err := strconv.ParseUint(id, 10, 64) // no sign, no underscores
		if err != nil {
			return 0, ErrNotID
		}
		return v, nil
	}
	if len(id) != 16 {
		return 0, ErrNotID
	}
	var v uint64
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, ErrNotID
		}
	}
	return v, nil
}
