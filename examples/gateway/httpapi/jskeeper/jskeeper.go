// Package jskeeper is httpapi.Keeper and httpapi.References on a NATS
// JetStream key-value bucket, for a gateway of several nodes: the answer
// kept for an Idempotency-Key and the client reference of a message sent
// over HTTP are seen by every node, so that a client retrying a POST on
// another node (after a timeout or a failover) gets the first answer
// instead of sending again, and a message sent through one node has its
// reference in GET /v1/messages/{id} and in the receipt webhooks of any.
// httpapi.Pebble stays the single-node store.
//
// # Bucket and keys
//
// One bucket, Options.Bucket ("gateway_http"), History 1, its stream made
// by this package (as package jsstore makes its own): file storage,
// Options.Replicas, no direct get (every read goes to the stream's leader,
// so it sees every write acknowledged before it, from any node), and
// per-message TTLs.
//
//	i.<hex SHA-256 of uvarint len(account), account, key>  -> 1 | expires (BE8 Unix ns) | status (BE2) | body hash (32) | body
//	                                                           (status 0: reserved, the hash a random token, no body)
//	r.<id>                                                  -> 1 | expires (BE8 Unix ns) | reference
//
// An Idempotency-Key is the client's choice (any printable ASCII up to 255
// characters), so it is hashed with its account into a valid KV key. A
// message id made of letters, digits, '-' and '_' (the gateway's ids) is
// the key as it is; any other is "=" and its base64url, or "/" and the hex
// of its SHA-256 when longer than 96 bytes.
//
// # Lifetime
//
// Each entry is written with a TTL: until its Expires (the API's
// IdempotencyTTL for an answer, 24 h by default; the message's validity
// plus the gateway's retention for a reference), rounded up to the second,
// at least one second and at most Options.MaxTTL (31 days), which is also
// the bucket's MaxAge. The servers remove an entry when its TTL ends; Get
// also ignores an answer whose Expires has passed. Nothing needs Purge.
//
// # Retries
//
// Reads, Put and PutReference are idempotent (a write puts the same value
// whatever was there: no compare-and-set), so each is sent again while the
// stream has no leader or a try goes unanswered (internal/jsretry's
// Idempotent), within Options.Timeout. A reservation is a compare-and-set
// sent again the same way: it carries a random token, so a try refused
// because an earlier try of the same call took the key (its answer lost)
// finds its own token there and holds the key.
//
// # Two first requests with one key on two nodes
//
// httpapi serializes the requests of one key on its node only, so the
// Keeper is also httpapi.Reserver: a request takes its key first (a write
// that the servers refuse when the key exists), for a minute at most, and
// its answer replaces the reservation (or, when the answer is not kept, a
// 5xx say, the reservation is removed). A request on another node that
// finds the key taken is answered 409 idempotency_key_in_use with
// Retry-After, and its retry gets the answer. A node that dies while it
// holds a key leaves it taken until the reservation expires; if it had
// stored the messages, a retry after that sends again (on one node, the
// crash window between the messages' write and the answer's is the same).
//
// # Memory
//
// The servers keep an in-memory index of the keys of a stream and of their
// TTLs: BenchmarkMemory (a server in the process, 100,000 answers of a
// one-message send and 100,000 references) measures about 300 MB of heap
// and 195 MB of disk per million entries live, on each server holding a
// replica. The entries live are one per Idempotency-Key used within
// IdempotencyTTL and one per message sent over HTTP with a reference
// within its validity plus retention. Reproduce with
//
//	cd examples && go test -run '^$' -bench Memory -benchtime 1x ./gateway/httpapi/jskeeper
package jskeeper

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
	"github.com/esmsafrica/smpp/examples/gateway/internal/jskv"
	"github.com/esmsafrica/smpp/examples/gateway/internal/jsretry"
)

// Options configure Open. Conn is required; every other zero value is a
// documented default.
type Options struct {
	// Conn is the connection to the NATS servers; the Keeper does not
	// close it.
	Conn *nats.Conn
	// Bucket is the KV bucket's name, the same on every node. Empty means
	// "gateway_http".
	Bucket string
	// Replicas is the bucket's number of replicas: 3 on a cluster of
	// three servers. Zero means 1.
	Replicas int
	// Timeout bounds each call, its retries included. Zero means 10
	// seconds.
	Timeout time.Duration
	// MaxTTL bounds an entry's TTL, whatever its Expires, and is the
	// bucket's MaxAge. Zero means 31 days.
	MaxTTL time.Duration
}

// Keeper is httpapi.Keeper and httpapi.References on a JetStream KV
// bucket (see the package documentation). Its methods may be called
// concurrently.
type Keeper struct {
	opts Options
	js   jetstream.JetStream
	str  jetstream.Stream
	kv   jetstream.KeyValue
	subj string // "$KV.<bucket>."
}

var (
	_ httpapi.Keeper     = (*Keeper)(nil)
	_ httpapi.Reserver   = (*Keeper)(nil)
	_ httpapi.References = (*Keeper)(nil)
)

// version is the first byte of every value.
const version = 1

// Open creates the bucket if it does not exist, or updates it to this
// configuration (every node may call it at start), and returns the Keeper.
func Open(ctx context.Context, opts Options) (*Keeper, error) {
	if opts.Conn == nil {
		return nil, errors.New("gateway jskeeper: Options.Conn is nil; connect to NATS first")
	}
	if opts.Bucket == "" {
		opts.Bucket = "gateway_http"
	}
	if opts.Replicas <= 0 {
		opts.Replicas = 1
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxTTL <= 0 {
		opts.MaxTTL = 31 * 24 * time.Hour
	}
	js, err := jetstream.New(opts.Conn)
	if err != nil {
		return nil, fmt.Errorf("gateway jskeeper: %w", err)
	}
	kv, str, err := jskv.Bucket(ctx, js, opts.Bucket, opts.Replicas, opts.MaxTTL)
	if err != nil {
		return nil, fmt.Errorf("gateway jskeeper: %w", err)
	}
	return &Keeper{opts: opts, js: js, str: str, kv: kv, subj: jskv.Subject(opts.Bucket)}, nil
}

// answerKey is the KV key of an account's Idempotency-Key.
func answerKey(account, key string) string {
	h := sha256.New()
	h.Write(binary.AppendUvarint(nil, uint64(len(account))))
	h.Write([]byte(account))
	h.Write([]byte(key))
	return "i." + hex.EncodeToString(h.Sum(nil))
}

// refKey is the KV key of a message id.
func refKey(id string) string {
	plain := id != "" && len(id) <= 96
	for i := 0; plain && i < len(id); i++ {
		c := id[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	switch {
	case plain:
		return "r." + id
	case len(id) <= 96:
		return "r.=" + base64.RawURLEncoding.EncodeToString([]byte(id))
	default:
		sum := sha256.Sum256([]byte(id))
		return "r./" + hex.EncodeToString(sum[:])
	}
}

// ttl is an entry's TTL for its expiry.
func (k *Keeper) ttl(expires time.Time) time.Duration {
	d := time.Until(expires).Truncate(time.Second) + time.Second
	return min(max(d, time.Second), k.opts.MaxTTL)
}

// Get implements httpapi.Keeper. A key reserved and not answered has no
// answer.
func (k *Keeper) Get(ctx context.Context, account, key string) (*httpapi.Answer, error) {
	v, err := k.get(ctx, answerKey(account, key))
	if v == nil || err != nil {
		return nil, err
	}
	a, err := decodeAnswer(v)
	if err != nil || a.Status == reserved || !time.Now().Before(a.Expires) {
		return nil, err
	}
	return a, nil
}

// reserved is the Status of a key taken by Reserve (its BodyHash is the
// reservation's random token).
const reserved = 0

func encodeAnswer(a *httpapi.Answer) []byte {
	v := binary.BigEndian.AppendUint64(append(make([]byte, 0, 43+len(a.Body)), version), uint64(a.Expires.UnixNano()))
	v = binary.BigEndian.AppendUint16(v, uint16(a.Status))
	return append(append(v, a.BodyHash[:]...), a.Body...)
}

func decodeAnswer(v []byte) (*httpapi.Answer, error) {
	if len(v) < 1+8+2+32 || v[0] != version {
		return nil, fmt.Errorf("gateway jskeeper: a kept answer of %d bytes is corrupt", len(v))
	}
	a := &httpapi.Answer{Expires: time.Unix(0, int64(binary.BigEndian.Uint64(v[1:]))), Status: int(binary.BigEndian.Uint16(v[9:]))}
	copy(a.BodyHash[:], v[11:43])
	a.Body = v[43:]
	return a, nil
}

// Put implements httpapi.Keeper: it replaces whatever the key holds (its
// reservation, too).
func (k *Keeper) Put(ctx context.Context, account, key string, a *httpapi.Answer) error {
	ctx, cancel := context.WithTimeout(ctx, k.opts.Timeout)
	defer cancel()
	return k.put(ctx, answerKey(account, key), encodeAnswer(a), a.Expires)
}

// Reserve implements httpapi.Reserver. The key is taken by a create (a
// write refused when the key exists); a key found taken is the caller's if
// it holds this call's token (a try whose answer was lost had taken it),
// taken again by a compare-and-set if its reservation or answer expired,
// and otherwise ErrKeyInUse or its answer. The release removes the exact
// message of the reservation, so it never removes an answer written since.
func (k *Keeper) Reserve(ctx context.Context, account, key string, until time.Time) (*httpapi.Answer, func(context.Context) error, error) {
	ctx, cancel := context.WithTimeout(ctx, k.opts.Timeout)
	defer cancel()
	r := &httpapi.Answer{Status: reserved, Expires: until}
	if _, err := rand.Read(r.BodyHash[:]); err != nil {
		return nil, nil, err
	}
	kk, v := answerKey(account, key), encodeAnswer(r)
	var last uint64 // the key's revision to replace; 0: create
	for {
		seq, err := jsretry.IdempotentValue(ctx, func(ctx context.Context) (uint64, error) {
			ack, err := k.js.PublishMsg(ctx, &nats.Msg{Subject: k.subj + kk, Data: v},
				jetstream.WithExpectLastSequencePerSubject(last), jetstream.WithMsgTTL(k.ttl(until)))
			if err != nil {
				return 0, err
			}
			return ack.Sequence, nil
		})
		if err == nil {
			return nil, k.release(seq), nil
		}
		if !isWrongLastSeq(err) {
			return nil, nil, fmt.Errorf("gateway jskeeper: reserving %s: %w", kk, err)
		}
		e, err := jsretry.IdempotentValue(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) {
			return k.kv.Get(ctx, kk)
		})
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			last = 0 // gone since: create
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("gateway jskeeper: reading %s: %w", kk, err)
		}
		if e.Operation() != jetstream.KeyValuePut {
			last = e.Revision()
			continue
		}
		a, err := decodeAnswer(e.Value())
		switch {
		case err != nil:
			return nil, nil, err
		case a.Status == reserved && a.BodyHash == r.BodyHash:
			return nil, k.release(e.Revision()), nil // this call's own
		case !time.Now().Before(a.Expires):
			last = e.Revision() // expired: take it
		case a.Status == reserved:
			return nil, nil, httpapi.ErrKeyInUse
		default:
			return a, nil, nil
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
	}
}

// release returns the release of a reservation written at seq: that
// message is removed, unless it was replaced (an answer) or is gone.
func (k *Keeper) release(seq uint64) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, k.opts.Timeout)
		defer cancel()
		err := jsretry.Idempotent(ctx, func(ctx context.Context) error {
			err := k.str.DeleteMsg(ctx, seq)
			if errors.Is(err, jetstream.ErrMsgNotFound) || errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) {
				return nil // replaced, expired, or removed by a try whose answer was lost
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("gateway jskeeper: releasing a reservation: %w", err)
		}
		return nil
	}
}

// isWrongLastSeq reports whether err is JetStream's refusal of a
// compare-and-set: the key's last revision is not the one expected.
func isWrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// PutReference implements httpapi.References: one write per id.
func (k *Keeper) PutReference(ctx context.Context, ids []string, ref string, expires time.Time) error {
	v := append(binary.BigEndian.AppendUint64([]byte{version}, uint64(expires.UnixNano())), ref...)
	ctx, cancel := context.WithTimeout(ctx, k.opts.Timeout)
	defer cancel()
	for _, id := range ids {
		if err := k.put(ctx, refKey(id), v, expires); err != nil {
			return err
		}
	}
	return nil
}

// Reference implements httpapi.References.
func (k *Keeper) Reference(ctx context.Context, id string) (string, error) {
	v, err := k.get(ctx, refKey(id))
	if v == nil || err != nil {
		return "", err
	}
	if len(v) < 1+8 || v[0] != version {
		return "", fmt.Errorf("gateway jskeeper: a kept reference of %d bytes is corrupt", len(v))
	}
	return string(v[9:]), nil
}

// get reads a key's value, nil when it has none.
func (k *Keeper) get(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, k.opts.Timeout)
	defer cancel()
	e, err := jsretry.IdempotentValue(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) {
		return k.kv.Get(ctx, key)
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) || err == nil && e.Operation() != jetstream.KeyValuePut {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gateway jskeeper: reading %s: %w", key, err)
	}
	return e.Value(), nil
}

// put writes a key's value with the TTL of expires: the same write again
// after a try that went unanswered is harmless.
func (k *Keeper) put(ctx context.Context, key string, v []byte, expires time.Time) error {
	err := jsretry.Idempotent(ctx, func(ctx context.Context) error {
		_, err := k.js.PublishMsg(ctx, &nats.Msg{Subject: k.subj + key, Data: v}, jetstream.WithMsgTTL(k.ttl(expires)))
		return err
	})
	if err != nil {
		return fmt.Errorf("gateway jskeeper: writing %s: %w", key, err)
	}
	return nil
}
