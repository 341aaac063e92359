package jslimits_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/limits"
	"github.com/esmsafrica/smpp/examples/gateway/limits/jslimits"
	"github.com/esmsafrica/smpp/examples/gateway/limits/limitstest"
	"github.com/nats-io/nats.go"
)

// buckets numbers the buckets of a test process: every Limits of the suite
// starts alone on a server the tests share.
var buckets atomic.Int64

// open returns Limits on new buckets of nc's servers, closed when the
// test ends.
func open(t testing.TB, nc *nats.Conn, opts jslimits.Options) *jslimits.Limits {
	t.Helper()
	opts.Conn = nc
	if opts.Bucket == "" {
		opts.Bucket = fmt.Sprintf("l%d", buckets.Add(1))
	}
	// Just after a cluster starts, its servers may not all be known for
	// placement yet: tried again for a while.
	var l *jslimits.Limits
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if l, err = jslimits.Open(context.Background(), opts); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Logf("close: %v", err)
		}
	})
	return l
}

// TestConformance runs the limits suite on one node: its share is the
// whole rate.
func TestConformance(t *testing.T) {
	nc := natstest.Connect(t, natstest.Server(t))
	limitstest.Run(t, limitstest.Harness{
		New: func(t *testing.T, now func() time.Time) limits.Limits {
			return open(t, nc, jslimits.Options{Now: now})
		},
	})
}
