package jsretry_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/internal/jsretry"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestUnavailable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nats.ErrNoResponders, true},
		{fmt.Errorf("publish: %w", jetstream.ErrNoStreamResponse), true},
		{&jetstream.APIError{Code: 503, Description: "JetStream system temporarily unavailable"}, true},
		{jetstream.ErrKeyExists, false},
		{context.DeadlineExceeded, false},
		{errors.New("wrong last sequence"), false},
	} {
		if got := jsretry.Unavailable(c.err); got != c.want {
			t.Errorf("Unavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// Do tries again while the stream is unavailable, stops at the first other
// outcome, and gives up when ctx ends.
func TestDo(t *testing.T) {
	n := 0
	err := jsretry.Do(context.Background(), func() error {
		n++
		if n < 3 {
			return jetstream.ErrNoStreamResponse
		}
		return jetstream.ErrKeyExists
	})
	if n != 3 || !errors.Is(err, jetstream.ErrKeyExists) {
		t.Fatalf("%d calls, %v; want 3 calls ending with ErrKeyExists", n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	v, err := jsretry.Value(ctx, func() (int, error) { return 0, nats.ErrNoResponders })
	if !errors.Is(err, nats.ErrNoResponders) || v != 0 {
		t.Fatalf("after ctx ended: %v %v, want the last error", v, err)
	}
}

// Idempotent tries again after a try's timeout (its own context's, or the
// client's request timeout), each try with a deadline of its own inside the
// caller's context; Do does not repeat a timeout.
func TestIdempotentTimeout(t *testing.T) {
	for _, timeout := range []error{context.DeadlineExceeded, nats.ErrTimeout, fmt.Errorf("read: %w", context.DeadlineExceeded)} {
		n := 0
		var deadlines []time.Time
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		v, err := jsretry.IdempotentValue(ctx, func(tctx context.Context) (int, error) {
			n++
			dl, ok := tctx.Deadline()
			if !ok {
				t.Fatal("a try without a deadline")
			}
			deadlines = append(deadlines, dl)
			if n < 3 {
				return 0, timeout
			}
			return 7, nil
		})
		cancel()
		if err != nil || v != 7 || n != 3 {
			t.Fatalf("%v: %d tries, %v %v; want 3 tries ending with 7", timeout, n, v, err)
		}
		outer, _ := ctx.Deadline()
		for _, dl := range deadlines {
			if !dl.Before(outer) {
				t.Errorf("%v: a try's deadline %v is not before the caller's %v", timeout, dl, outer)
			}
		}

		n = 0
		err = jsretry.Do(context.Background(), func() error { n++; return timeout })
		if n != 1 || !errors.Is(err, timeout) {
			t.Errorf("Do of a call that timed out: %d calls, %v; want 1 call, not repeated", n, err)
		}
	}
}

// A try's timeout is a try's only while the caller's context goes on: when
// the caller's ends, Idempotent returns.
func TestIdempotentCallerDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	n := 0
	err := jsretry.Idempotent(ctx, func(tctx context.Context) error {
		n++
		<-tctx.Done() // a request never answered
		return tctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) || n != 1 {
		t.Fatalf("%d tries, %v; want 1 try ending with the caller's deadline", n, err)
	}
	if ctx.Err() == nil {
		t.Fatal("Idempotent returned before the caller's context ended")
	}
}

// Idempotent stops at an error that is neither unavailability nor a
// timeout (a refused compare-and-set), and tries again while the stream is
// unavailable.
func TestIdempotentOtherErrors(t *testing.T) {
	n := 0
	err := jsretry.Idempotent(context.Background(), func(context.Context) error {
		n++
		switch n {
		case 1:
			return nats.ErrNoResponders
		case 2:
			return &jetstream.APIError{Code: 503}
		}
		return jetstream.ErrKeyExists
	})
	if n != 3 || !errors.Is(err, jetstream.ErrKeyExists) {
		t.Fatalf("%d tries, %v; want 3 ending with ErrKeyExists", n, err)
	}
}

// TimedOut says no once the caller's context has ended: the call is over.
func TestTimedOut(t *testing.T) {
	if !jsretry.TimedOut(context.Background(), nats.ErrTimeout) {
		t.Error("nats.ErrTimeout with the caller's context live: want a try's timeout")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if jsretry.TimedOut(ctx, context.DeadlineExceeded) {
		t.Error("a timeout after the caller's context ended: want not a try's")
	}
	if jsretry.TimedOut(context.Background(), jetstream.ErrKeyExists) {
		t.Error("ErrKeyExists: want not a timeout")
	}
}
