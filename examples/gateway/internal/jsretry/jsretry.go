// Package jsretry rides the JetStream backends of the gateway's parts over
// the seconds in which a stream has no leader: after the server that led
// it dies or is cut off, the survivors elect another (a few seconds), and
// meanwhile a request to the stream finds no responder. Such a request did
// not reach a leader, so nothing of it was stored: it is safe to send
// again, also a compare-and-set.
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
// until ctx ends (then it returns fn's last error).
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
