package store

import (
	"encoding/binary"
	"errors"
	"time"
)

// errCorrupt is returned when a stored record cannot be decoded.
var errCorrupt = errors.New("gateway store: corrupt record")

// Record encodings. Every record starts with a version byte; fields follow in
// a fixed order, strings and byte slices as uvarint length + bytes, integers
// as (u)varints, times as a presence bit in a flags byte and then
// varint(unix seconds) + uvarint(nanoseconds). A decoder ignores bytes after
// the fields it knows, so a later version may append fields: a message
// record has Rev appended (a record without it is revision 1), then Bind
// (uvarint length + bytes; a record that ends before it, written before the
// field existed, has Bind empty, and a reader that predates it reads the
// record still).
// (The deliveries' records are the deliveries part's: see package
// deliveries.)
const (
	messageV1 = 1
	stateV1   = 1
)

// Presence bits of the time fields of a Message record.
const (
	hasCreated = 1 << iota
	hasExpires
	hasNextTry
	hasDone
)

// appendMessage appends the binary encoding of m to b.
func appendMessage(b []byte, m *Message) []byte {
	b = append(b, messageV1)
	b = appendString(b, m.ID)
	b = appendString(b, m.Account)
	b = binary.AppendUvarint(b, uint64(m.Command))
	b = appendBytes(b, m.Body)
	b = appendString(b, m.Source)
	b = appendString(b, m.Dest)
	b = append(b, m.Registered, byte(m.State), m.Error)
	b = appendRouting(b, m)
	var flags byte
	if !m.Created.IsZero() {
		flags |= hasCreated
	}
	if !m.Expires.IsZero() {
		flags |= hasExpires
	}
	if !m.NextTry.IsZero() {
		flags |= hasNextTry
	}
	if !m.Done.IsZero() {
		flags |= hasDone
	}
	b = append(b, flags)
	if flags&hasCreated != 0 {
		b = appendTime(b, m.Created)
	}
	if flags&hasExpires != 0 {
		b = appendTime(b, m.Expires)
	}
	if flags&hasNextTry != 0 {
		b = appendTime(b, m.NextTry)
	}
	if flags&hasDone != 0 {
		b = appendTime(b, m.Done)
	}
	b = binary.AppendUvarint(b, m.Rev)
	return appendString(b, m.Bind)
}

// appendRouting appends the routing fields, which both the message record
// and the state record hold.
func appendRouting(b []byte, m *Message) []byte {
	b = appendString(b, m.Route)
	b = appendString(b, m.UpstreamID)
	return binary.AppendVarint(b, int64(m.Attempts))
}

// routing reads the fields written by appendRouting into m.
func (d *decoder) routing(m *Message) {
	m.Route = d.string()
	m.UpstreamID = d.string()
	m.Attempts = int(d.varint())
}

// decodeMessage decodes a record written by appendMessage. It copies
// everything it keeps, so b may be reused afterwards.
func decodeMessage(b []byte) (*Message, error) {
	d := decoder{b: b}
	if d.byte() != messageV1 {
		return nil, errCorrupt
	}
	m := &Message{}
	m.ID = d.string()
	m.Account = d.string()
	cmd := d.uvarint()
	if cmd > 1<<32-1 {
		d.err = true
	}
	m.Command = uint32(cmd)
	m.Body = d.bytes()
	m.Source = d.string()
	m.Dest = d.string()
	m.Registered = d.byte()
	m.State = State(d.byte())
	m.Error = d.byte()
	d.routing(m)
	flags := d.byte()
	if flags&hasCreated != 0 {
		m.Created = d.time()
	}
	if flags&hasExpires != 0 {
		m.Expires = d.time()
	}
	if flags&hasNextTry != 0 {
		m.NextTry = d.time()
	}
	if flags&hasDone != 0 {
		m.Done = d.time()
	}
	m.Rev = d.rev()
	if len(d.b) > 0 {
		m.Bind = d.string()
	}
	if d.err {
		return nil, errCorrupt
	}
	return m, nil
}

// Flags of a state record.
const (
	stNextTry = 1 << iota
	stDone
	stUpMore
)

// appendState appends the encoding of m's state fields (see Message), of
// the store's own upstream index fields (mt), and of m.Rev: the record that
// Update writes over the one Accept wrote.
func appendState(b []byte, m *Message, mt *meta) []byte {
	b = append(b, stateV1, byte(m.State), m.Error)
	b = appendRouting(b, m)
	var flags byte
	if !m.NextTry.IsZero() {
		flags |= stNextTry
	}
	if !m.Done.IsZero() {
		flags |= stDone
	}
	if mt.upMore {
		flags |= stUpMore
	}
	b = append(b, flags)
	if flags&stNextTry != 0 {
		b = appendTime(b, m.NextTry)
	}
	if flags&stDone != 0 {
		b = appendTime(b, m.Done)
	}
	b = appendString(b, mt.upKey)
	return binary.AppendUvarint(b, m.Rev)
}

// decodeState sets m's state fields, m.Rev and mt from a record written by
// appendState.
func decodeState(b []byte, m *Message, mt *meta) error {
	d := decoder{b: b}
	if d.byte() != stateV1 {
		return errCorrupt
	}
	m.State = State(d.byte())
	m.Error = d.byte()
	d.routing(m)
	flags := d.byte()
	m.NextTry, m.Done = time.Time{}, time.Time{}
	if flags&stNextTry != 0 {
		m.NextTry = d.time()
	}
	if flags&stDone != 0 {
		m.Done = d.time()
	}
	mt.upMore = flags&stUpMore != 0
	mt.upKey = d.string()
	m.Rev = d.rev()
	if d.err {
		return errCorrupt
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// decoder reads fields from a record; after the first error every read
// returns a zero value and err stays set.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// rev reads a revision at the end of a record; a record written before
// revisions existed has none, and is revision 1.
func (d *decoder) rev() uint64 {
	if len(d.b) == 0 {
		return 1
	}
	return d.uvarint()
}

// raw returns the next length-prefixed field without copying.
func (d *decoder) raw() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = true
		d.b = nil
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) string() string { return string(d.raw()) }

func (d *decoder) bytes() []byte {
	p := d.raw()
	if len(p) == 0 {
		return nil
	}
	return append([]byte(nil), p...)
}

func (d *decoder) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= 1e9 {
		d.err = true
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec))
}
