// Package leakcheck finds goroutines left behind by a test that runs in a
// testing/synctest bubble. It is for this module's tests.
package leakcheck

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Bubble waits, in the caller's synctest bubble, up to timeout of the
// bubble's fake time for every goroutine of the bubble other than the caller
// to end, and reports those left as a test error, with their stacks.
func Bubble(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for left := bubbleGoroutines(); len(left) > 0; left = bubbleGoroutines() {
		if time.Now().After(deadline) {
			t.Errorf("goroutine leak: %d left\n%s", len(left), strings.Join(left, "\n\n"))
			return
		}
		time.Sleep(time.Second)
	}
}

// bubbleGoroutines returns the stacks of the goroutines of the caller's
// synctest bubble other than the caller and synctest's own.
// (runtime.NumGoroutine counts those of a fuzzing engine too, which come and
// go.)
func bubbleGoroutines() []string {
	buf := make([]byte, 1024)
	self := string(buf[:runtime.Stack(buf, false)])
	self, _, _ = strings.Cut(self, "\n")
	i := strings.Index(self, "synctest bubble ")
	if i < 0 {
		panic("leakcheck: not in a synctest bubble: " + self)
	}
	bubble := self[i:] // "synctest bubble N]:"
	for {
		buf = make([]byte, 2*len(buf))
		if n := runtime.Stack(buf, true); n < len(buf) {
			buf = buf[:n]
			break
		}
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		head, _, _ := strings.Cut(g, "\n")
		if strings.HasSuffix(head, bubble) && head != self &&
			!strings.Contains(g, "internal/synctest.Run(") && !strings.Contains(g, "synctest.testingSynctestTest(") {
			out = append(out, g)
		}
	}
	return out
}
