// Package suitekit holds what the conformance suites of the gateway's
// work queues share (queuetest for package queue, deliveriestest for
// package deliveries): running the tests, in a synctest bubble when the
// implementation allows it, closing the queue a test ends with, and the
// units of time the tests wait in.
package suitekit

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// Tick is the unit of the delays and leases of the tests: short for a real
// clock, and far above the time the operations take.
const Tick = 100 * time.Millisecond

// Patience is how long a test waits for something that must happen: a
// guard against a hang, not a measure (a passing test does not wait it out),
// so it is far above what the slowest backend needs on a loaded machine
// (ConcurrentClaimers on three JetStream servers ran out of 20 s once when
// run beside other packages' tests).
const Patience = 2 * time.Minute

// Test is one test of a suite, run with the suite's harness.
type Test[H any] struct {
	// Name is the subtest's name.
	Name string
	// Fn runs the test.
	Fn func(t *testing.T, h H)
}

// Run runs each test as a subtest of t with h, each in a synctest bubble
// (fake time) when bubble is set: only for an implementation whose
// goroutines and timers all live in the test's process and are started by
// the harness.
func Run[H any](t *testing.T, h H, bubble bool, tests []Test[H]) {
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			if bubble {
				synctest.Test(t, func(t *testing.T) { tt.Fn(t, h) })
				return
			}
			tt.Fn(t, h)
		})
	}
}

// Closer is a queue as Closing sees it.
type Closer interface {
	Close() error
}

// Closing returns a pointer to q, and closes whichever queue it points to
// when the test ends (a test that restarts the queue stores the new one
// there). An error other than errClosed (the queue closed by the test)
// fails the test.
func Closing[Q Closer](t testing.TB, q Q, errClosed error) *Q {
	qp := &q
	t.Cleanup(func() {
		if err := (*qp).Close(); err != nil && !errors.Is(err, errClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return qp
}

// Restarter returns a restart function for a harness: it closes the queue
// it last returned (q first), failing the test on an error, and returns
// the one open opens.
func Restarter[Q Closer](t testing.TB, q Q, open func() Q) func() Q {
	return func() Q {
		if err := q.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		q = open()
		return q
	}
}
