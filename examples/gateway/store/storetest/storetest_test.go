package storetest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// lastWriterWins is a store whose Update ignores the revision it is given
// and overwrites whatever is stored: its compare-and-set is broken.
type lastWriterWins struct{ store.Store }

func (s lastWriterWins) Update(m *store.Message) error {
	cur, err := s.Store.Get(m.ID)
	if err != nil {
		return err
	}
	m.Rev = cur.Rev
	return s.Store.Update(m)
}

// recorder is a testing.TB that records the failures of the test it runs
// instead of failing the real test, t: the suite is to fail on a broken
// store.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	logs   []string
}

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.logs = append(r.logs, msg)
}

func (r *recorder) Fail()                     { r.fail("Fail") }
func (r *recorder) Error(args ...any)         { r.fail(fmt.Sprint(args...)) }
func (r *recorder) Errorf(f string, a ...any) { r.fail(fmt.Sprintf(f, a...)) }
func (r *recorder) FailNow()                  { r.Fail(); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)         { r.Error(args...); runtime.Goexit() }
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...); runtime.Goexit() }
func (r *recorder) SkipNow()                  { r.fail("skipped"); runtime.Goexit() }
func (r *recorder) Skip(args ...any)          { r.SkipNow() }
func (r *recorder) Skipf(string, ...any)      { r.SkipNow() }
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// runRecorded runs the suite's test name on s with a recorder, in a
// goroutine of its own (a Fatal ends it), and returns the recorder.
func runRecorded(t *testing.T, name string, s store.Store) *recorder {
	t.Helper()
	r := &recorder{TB: t}
	for _, tt := range tests {
		if tt.name != name {
			continue
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer s.Close()
			tt.fn(r, s, &options{})
		}()
		<-done
		return r
	}
	t.Fatalf("no test %s in the suite", name)
	return nil
}

// TestSuiteFailsBrokenCAS: the suite's compare-and-set tests fail on a
// store whose Update does not compare, and pass on a sound one (with the
// same recorder, so that it is the store they tell apart).
func TestSuiteFailsBrokenCAS(t *testing.T) {
	for _, name := range []string{"StaleRev", "RaceCAS"} {
		t.Run(name, func(t *testing.T) {
			if r := runRecorded(t, name, store.NewMemory()); r.Failed() {
				t.Fatalf("failed on Memory: %s", strings.Join(r.logs, "; "))
			}
			r := runRecorded(t, name, lastWriterWins{store.NewMemory()})
			if !r.Failed() {
				t.Fatal("passed on a store whose Update ignores the revision")
			}
			if !strings.Contains(strings.Join(r.logs, "\n"), "Update") {
				t.Errorf("failed, but not on Update: %s", strings.Join(r.logs, "; "))
			}
			t.Logf("reported: %s", r.logs[0])
		})
	}
}
