package store

import (
	"encoding/binary"
	"sync"
	"time"
)

// Key layout. Every key starts with a one-byte kind; variable-length parts
// that are followed by more key material carry a uvarint length prefix so
// that a prefix of one key is never a prefix of another entity's key.
//
//	m<id>                                       -> Message record (as accepted or replaced)
//	t<id>                                       -> state record (newer state fields than m's)
//	p<id>                                       -> "" (Queued or Inflight; written by versions
//	                                               before the queue, migrated at open)
//	f<done sec+2^63 BE8><done nsec BE4><id>     -> "" (final, for Purge)
//	u<len route><route><upstreamKey>            -> id
//	x<len id><id><len route><route><upstreamKey> -> "" (u entries of id that its
//	                                               state record no longer names, for Purge)
//	d...                                        -> the deliveries (package deliveries,
//	                                               its layout there)
//	s                                           -> the deliveries' highest reserved Seq (BE8)
//	q...                                        -> the queue's tickets (package queue)
const (
	kindMessage  = 'm'
	kindState    = 't'
	kindPending  = 'p'
	kindFinal    = 'f'
	kindUpstream = 'u'
	kindUpOfID   = 'x'
	kindDelivery = 'd'
	kindSeq      = 's'
	kindQueue    = 'q'
)

// keyBuf is a scratch buffer for building keys and records.
type keyBuf struct{ b []byte }

var bufPool = sync.Pool{New: func() any { return &keyBuf{b: make([]byte, 0, 512)} }}

func getBuf() *keyBuf { kb := bufPool.Get().(*keyBuf); kb.b = kb.b[:0]; return kb }
func putBuf(kb *keyBuf) {
	if cap(kb.b) <= 64<<10 {
		bufPool.Put(kb)
	}
}

func appendMsgKey(b []byte, kind byte, id string) []byte {
	b = append(b, kind)
	return append(b, id...)
}

func appendFinalKey(b []byte, done time.Time, id string) []byte {
	b = append(b, kindFinal)
	b = binary.BigEndian.AppendUint64(b, uint64(done.Unix())^1<<63)
	b = binary.BigEndian.AppendUint32(b, uint32(done.Nanosecond()))
	return append(b, id...)
}

func appendUpKey(b []byte, route, upstreamKey string) []byte {
	b = append(b, kindUpstream)
	b = appendString(b, route)
	return append(b, upstreamKey...)
}

func appendUpOfIDPrefix(b []byte, id string) []byte {
	b = append(b, kindUpOfID)
	return appendString(b, id)
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil // p is all 0xff: no upper bound
}

// splitUpKey returns the route and upstream key of an index key as
// appendUpKey wrote it, without its kind byte.
func splitUpKey(k string) (route, key string) {
	d := decoder{b: []byte(k)}
	r := d.string()
	if d.err {
		return "", ""
	}
	return r, string(d.b)
}
