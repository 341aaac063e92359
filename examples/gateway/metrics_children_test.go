package main

import (
	"sync"
	"testing"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The children kept are the vector's own: counting through them is
// counting in the vector, from many goroutines at once, for new and known
// label values alike.
func TestChildrenAreTheVectors(t *testing.T) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c"}, []string{"a", "b"})
	c := newChildren(2, vec.WithLabelValues)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				c.with(labels{"x", []string{"ok", "fail"}[(g+i)%2]}).Inc()
			}
		}()
	}
	wg.Wait()
	if got := testutil.ToFloat64(vec.WithLabelValues("x", "ok")); got != 4000 {
		t.Errorf("x/ok counted %v, want 4000", got)
	}
	if got := testutil.ToFloat64(vec.WithLabelValues("x", "fail")); got != 4000 {
		t.Errorf("x/fail counted %v, want 4000", got)
	}
	if n := testutil.CollectAndCount(vec); n != 2 {
		t.Errorf("%d children in the vector, want 2", n)
	}
}

// A count through a child kept allocates nothing.
func TestChildrenAllocs(t *testing.T) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c"}, []string{"a", "b", "c"})
	c := newChildren(3, vec.WithLabelValues)
	acct, cmd, st := "load", "submit_sm", "ESME_ROK"
	c.with(labels{acct, cmd, st}).Inc()
	if n := testing.AllocsPerRun(100, func() { c.with(labels{acct, cmd, st}).Inc() }); n != 0 {
		t.Errorf("%v allocations per count, want 0", n)
	}
}

// The label values kept are copies: a caller may reuse the memory of the
// values it passed (a receipt's stat aliases its PDU).
func TestChildrenKeepCopies(t *testing.T) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c"}, []string{"stat"})
	c := newChildren(1, vec.WithLabelValues)
	buf := []byte("DELIVRD")
	c.with(labels{unsafe.String(&buf[0], len(buf))}).Inc()
	copy(buf, "UNDELIV")
	c.with(labels{"DELIVRD"}).Inc()
	if got := testutil.ToFloat64(vec.WithLabelValues("DELIVRD")); got != 2 {
		t.Errorf("DELIVRD counted %v, want 2 (the child kept under the caller's reused memory)", got)
	}
}
