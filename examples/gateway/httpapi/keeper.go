package httpapi

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Answer is the first answer to a request with an Idempotency-Key, kept to
// be given again to a retry with the same key and body.
type Answer struct {
	// BodyHash is the SHA-256 of the request body: a retry with the same
	// key and another body is refused (422).
	BodyHash [32]byte
	// Status is the HTTP status answered.
	Status int
	// Body is the JSON answered.
	Body []byte
	// Expires is when the answer may be forgotten.
	Expires time.Time
}

// Keeper keeps the answers to Idempotency-Keys, per account, durably: an
// answer Put must survive a crash of the process (kill -9), so that a retry
// after a restart does not send again. Pebble is the single node's; on a
// cluster the gateway uses the one the nodes share (package jskeeper),
// which is also a Reserver: the API serializes the requests of one key on
// its node only.
type Keeper interface {
	// Get returns the kept answer for the account's key, or nil when there
	// is none or it expired.
	Get(ctx context.Context, account, key string) (*Answer, error)
	// Put keeps an answer until a.Expires.
	Put(ctx context.Context, account, key string, a *Answer) error
}

// Reserver is a Keeper shared by several nodes that can take a key for its
// first request before the request is served, so that two first requests
// with one key on two nodes do not both send: the API then calls Reserve
// instead of Get, and Put (an answer kept) or the release (none kept) after
// serving. A Keeper of one node needs none: the API serializes the
// requests of one key on its node.
type Reserver interface {
	// Reserve returns the answer kept for the account's key, if any, as
	// Get does; else it takes the key until until (as long as a request
	// may take to serve) and returns its release, which gives the key back
	// if this request still holds it; else, when another request holds
	// the key, ErrKeyInUse. A key held past until may be taken again.
	Reserve(ctx context.Context, account, key string, until time.Time) (kept *Answer, release func(context.Context) error, err error)
}

// ErrKeyInUse is Reserve's answer when another request holds the key.
var ErrKeyInUse = errors.New("gateway http api: the Idempotency-Key is held by a request being served")

// References keeps the client reference of messages sent over HTTP, by
// message id, for GET /v1/messages/{id} and the receipt webhooks.
type References interface {
	// PutReference records ref for each of ids, durably, until expires.
	PutReference(ctx context.Context, ids []string, ref string, expires time.Time) error
	// Reference returns the reference of a message, "" when it has none.
	Reference(ctx context.Context, id string) (string, error)
}

// Memory is a Keeper and References in memory, for tests: nothing survives
// the process.
type Memory struct {
	mu      sync.Mutex
	answers map[string]*Answer
	refs    map[string]string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Get implements Keeper.
func (m *Memory) Get(_ context.Context, account, key string) (*Answer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.answers[account+"\x00"+key]
	if a == nil || !m.now().Before(a.Expires) {
		return nil, nil
	}
	c := *a
	return &c, nil
}

// Put implements Keeper.
func (m *Memory) Put(_ context.Context, account, key string, a *Answer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.answers == nil {
		m.answers = map[string]*Answer{}
	}
	c := *a
	m.answers[account+"\x00"+key] = &c
	return nil
}

// PutReference implements References.
func (m *Memory) PutReference(_ context.Context, ids []string, ref string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refs == nil {
		m.refs = map[string]string{}
	}
	for _, id := range ids {
		m.refs[id] = ref
	}
	return nil
}

// Reference implements References.
func (m *Memory) Reference(_ context.Context, id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refs[id], nil
}
