// Package jsretry rides the JetStream backends of the gateway's parts over
// the seconds in which a stream has no leader: after the server that led
// it dies or is cut off, the survivors elect another (a few seconds), and
// meanwhile a request to the stream finds no responder. Such a request did
// not reach a leader, so nothing of it was stored: it is safe to send
// again, also a compare-and-set (Do).
//
// A request may also go unanswered: the first one after a server stops is
// at times never answered (seen 5 of 8 runs of natstest's self-test; the
// same request sent 2 s later was). Such a request may have been carried
// out, so only an idempotent one is sent again after a timeout
// (Idempotent): a read; a compare-and-set, whose repeat after it was
// stored is refused (the caller tells its own write from another's); a
// publish with a Nats-Msg-Id, stored once within the stream's duplicate
// window. Each try then has a short timeout of its own (TryTimeout) inside
// the caller's context, so that one lost request costs seconds, not the
// whole call.
package jsretry

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// wait is the pause between two tries.
const wait = 100 * time.Millisecond

// TryTimeout bounds one try of an Idempotent call: a request not answered
// within it is sent again while the caller's context lasts. Long enough for
// a loaded server's answer (a replicated write takes milliseconds, and up
// to a second or so on a machine busy with the servers' own work), short
// beside the callers' contexts (the state's 10 s a round trip).
const TryTimeout = 2 * time.Second

// Unavailable reports whether err says that the stream had no leader to
// answer (and so stored nothing).
func Unavailable(err error) bool {
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled) {
		return true
	}
	var api *jetstream.APIError
	// 503: JetStream or the stream's group is temporarily unavailable.
	return errors.As(err, &api) && api.Code == 503
}

// Do calls fn until it returns nil or an error other than Unavailable, or
// until ctx ends (then it returns fn's last error). A timeout is returned,
// not retried: fn may have been carried out (use Idempotent for a call safe
// to repeat).
func Do(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if err == nil || !Unavailable(err) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// Value is Do for a call that returns a value.
func Value[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	var v T
	err := Do(ctx, func() error {
		var err error
		v, err = fn()
		return err
	})
	return v, err
}

// TimedOut reports whether err is the timeout of one try (its own context
// or the client's request timeout) while ctx, the caller's, goes on: the
// request may or may not have been carried out.
func TimedOut(ctx context.Context, err error) bool {
	return ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout))
}

// Idempotent calls fn, each time with a context that ends after TryTimeout
// or with ctx, until it returns nil or an error that is neither Unavailable
// nor a timeout of the try, or until ctx ends (then it returns fn's last
// error). fn must be safe to repeat: see the package documentation.
func Idempotent(ctx context.Context, fn func(ctx context.Context) error) error {
	for {
		tctx, cancel := context.WithTimeout(ctx, TryTimeout)
		err := fn(tctx)
		cancel()
		if err == nil || !Unavailable(err) && !TimedOut(ctx, err) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// IdempotentValue is Idempotent for a call that returns a value.
func IdempotentValue[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	var v T
	err := Idempotent(ctx, func(ctx context.Context) error {
		var err error
		v, err = fn(ctx)
		return err
	})
	return v, err
}
