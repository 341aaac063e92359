package slots_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/slots"
	"github.com/nats-io/nats.go/jetstream"
)

const ttl = 900 * time.Millisecond

// ledger records what each node says it holds, and fails the test the
// moment two nodes hold one slot or the nodes hold more than the total.
type ledger struct {
	t     *testing.T
	total int
	mu    sync.Mutex
	held  map[string][]int
	max   int
}

func (l *ledger) setter(node string) func([]int) {
	return func(held []int) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.held[node] = slices.Clone(held)
		owner := map[int]string{}
		n := 0
		for nd, hs := range l.held {
			for _, s := range hs {
				if o, ok := owner[s]; ok {
					l.t.Errorf("slot %d held by %s and %s at once", s, o, nd)
				}
				owner[s] = nd
				n++
			}
		}
		if n > l.total {
			l.t.Errorf("the nodes hold %d slots of %d", n, l.total)
		}
		l.max = max(l.max, n)
	}
}

func (l *ledger) count(node string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held[node])
}

// checkLeaks fails the test if it leaves more goroutines than it found,
// once its servers and connections are gone (its cleanups run first).
func checkLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// eventually polls cond until it holds, or fails after patience.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type node struct {
	name   string
	cancel context.CancelFunc
	done   chan error
}

func startNode(t *testing.T, js jetstream.JetStream, name string, l *ledger, replicas int) *node {
	t.Helper()
	s, err := slots.NewJetStream(context.Background(), js, slots.JetStreamOptions{Node: name, TTL: ttl, Replicas: replicas})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{name: name, cancel: cancel, done: make(chan error, 1)}
	go func() { n.done <- s.Hold(ctx, "op1", l.total, l.setter(name)) }()
	t.Cleanup(func() { n.stop(t) })
	return n
}

func (n *node) stop(t *testing.T) {
	if n.cancel == nil {
		return
	}
	n.cancel()
	n.cancel = nil
	if err := <-n.done; err != nil {
		t.Errorf("Hold of %s: %v", n.name, err)
	}
}

func jsOn(t *testing.T, nodes ...*natstest.Node) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(natstest.Connect(t, nodes...))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// Two nodes share five slots 3 and 2; when one stops, the other takes all
// five; when it comes back, the shares even out again. No slot is ever held
// twice and never more than five in all.
func TestSharedFairlyAndMovedOnStop(t *testing.T) {
	checkLeaks(t)
	srv := natstest.Server(t)
	l := &ledger{t: t, total: 5, held: map[string][]int{}}
	a := startNode(t, jsOn(t, srv), "a", l, 1)
	eventually(t, "a holds all 5 alone", func() bool { return l.count("a") == 5 })
	b := startNode(t, jsOn(t, srv), "b", l, 1)
	eventually(t, "a and b share 5 as 3 and 2", func() bool {
		ca, cb := l.count("a"), l.count("b")
		return ca+cb == 5 && ca >= 2 && cb >= 2
	})
	a.stop(t)
	eventually(t, "b holds all 5 after a stopped", func() bool { return l.count("b") == 5 })
	a = startNode(t, jsOn(t, srv), "a", l, 1)
	eventually(t, "a gets its share back", func() bool { return l.count("a") >= 2 && l.count("a")+l.count("b") == 5 })
	a.stop(t)
	b.stop(t)
}

// A node that loses NATS holds nothing within the TTL (it gives
// its slots up before they expire), and the other node takes them once the
// keys expire: never both at once.
func TestDeadNodeFencedAndTakenOver(t *testing.T) {
	checkLeaks(t)
	nodes := natstest.Cluster(t, 3)
	l := &ledger{t: t, total: 4, held: map[string][]int{}}
	// a's connection is closed under it, as when its process loses the
	// network: a cannot renew, while NATS keeps its keys until they expire.
	nc := natstest.Connect(t, nodes[0])
	jsA, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	startNode(t, jsA, "a", l, 3)
	eventually(t, "a holds all 4", func() bool { return l.count("a") == 4 })
	startNode(t, jsOn(t, nodes[1], nodes[2]), "b", l, 3)
	eventually(t, "a and b share 4 as 2 and 2", func() bool { return l.count("a") == 2 && l.count("b") == 2 })
	nc.Close()
	eventually(t, "a fenced itself", func() bool { return l.count("a") == 0 })
	eventually(t, "b took a's slots after their keys expired", func() bool { return l.count("b") == 4 })
	t.Logf("most slots held at once: %d of %d", l.max, l.total)
}

// Local holds every slot until its context ends.
func TestLocal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var got [][]int
	done := make(chan error)
	go func() {
		done <- slots.Local{}.Hold(ctx, "op1", 3, func(h []int) { got = append(got, h) })
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[[0 1 2] []]" {
		t.Fatalf("Local's sets: %v, want [[0 1 2] []]", got)
	}
}
