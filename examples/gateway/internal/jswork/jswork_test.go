package jswork

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestNakBody(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "-NAK"},
		{-time.Second, "-NAK"},
		{50 * time.Millisecond, `-NAK {"delay":50000000}`},
	} {
		if got := string(NakBody(c.d)); got != c.want {
			t.Errorf("NakBody(%v) = %s, want %s", c.d, got, c.want)
		}
	}
}

func TestTransient(t *testing.T) {
	for _, c := range []struct {
		err             error
		transient, gone bool
	}{
		{jetstream.ErrConsumerNotFound, true, true},
		{fmt.Errorf("fetch: %w", jetstream.ErrConsumerDeleted), true, true},
		{nats.ErrTimeout, true, false},
		{nats.ErrNoResponders, true, false},
		{jetstream.ErrNoHeartbeat, true, false},
		{nats.ErrConnectionReconnecting, true, false},
		{jetstream.ErrNoStreamResponse, true, false},
		{errors.New("other"), false, false},
		{nil, false, false},
	} {
		if Transient(c.err) != c.transient || Gone(c.err) != c.gone {
			t.Errorf("%v: Transient %v, Gone %v; want %v, %v", c.err, Transient(c.err), Gone(c.err), c.transient, c.gone)
		}
	}
}
