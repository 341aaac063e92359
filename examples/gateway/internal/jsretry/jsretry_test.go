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
