package queue_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/queue/queuetest"
)

// pebbleHarness opens queues on a DB of their own, on disk (fs nil) or in
// memory, with opts.
func pebbleHarness(onDisk bool, opts queue.PebbleOptions) queuetest.Harness {
	return queuetest.Harness{
		Open: func(t *testing.T, cfg queuetest.Config) (queue.Queue, func() queue.Queue) {
			o := opts
			o.Lease, o.MaxLen = cfg.Lease, cfg.MaxLen
			return suitekit.OnPebble(t, onDisk, func(db *pebble.DB) (queue.Queue, error) { return queue.OpenPebble(db, o) })
		},
		StrictLeases: true,
		Bubble:       !onDisk,
	}
}

func TestPebbleConformance(t *testing.T) {
	for _, v := range []struct {
		name   string
		onDisk bool
		opts   queue.PebbleOptions
	}{
		{"Disk", true, queue.PebbleOptions{}},
		// Memory holds four waiting tickets: the rest is read back from disk.
		{"Spill", false, queue.PebbleOptions{MaxHeld: 4}},
		{"NoSyncPrefix", false, queue.PebbleOptions{NoSync: true, Prefix: []byte("queue/")}},
	} {
		t.Run(v.name, func(t *testing.T) {
			// The variants in memory run in synctest bubbles, which fail
			// on a goroutine left behind; the one on disk is checked here.
			if v.onDisk {
				checkLeaks(t)
			}
			queuetest.Run(t, pebbleHarness(v.onDisk, v.opts))
		})
	}
}

// checkLeaks fails the test if it leaves more goroutines than it found.
func checkLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				stacks := string(buf[:runtime.Stack(buf, true)])
				var ours []string
				for _, g := range strings.Split(stacks, "\n\n") {
					if strings.Contains(g, "gateway/queue") || strings.Contains(g, "pebble") {
						ours = append(ours, g)
					}
				}
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, runtime.NumGoroutine(), strings.Join(ours, "\n\n"))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
