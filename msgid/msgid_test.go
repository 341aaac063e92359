package msgid_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/msgid"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func mustNew(t *testing.T, o msgid.Options) *msgid.Generator {
	t.Helper()
	g, err := msgid.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func value(t *testing.T, id string, decimal bool) uint64 {
	t.Helper()
	base := 16
	if decimal {
		base = 10
	}
	v, err := strconv.ParseUint(id, base, 64)
	if err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	return v
}

func TestLayout(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    msgid.Options
		want uint64 // the first id at t0 + 1.5 ms
	}{
		{"one node", msgid.Options{}, uint64(t0.Sub(msgid.DefaultEpoch()).Milliseconds()+1) << 22},
		{"node 5 of 16", msgid.Options{Node: 5, NodeBits: 4}, uint64(t0.Sub(msgid.DefaultEpoch()).Milliseconds()+1)<<22 | 5},
		{"node 65535 of 65536", msgid.Options{Node: 65535, NodeBits: 16}, uint64(t0.Sub(msgid.DefaultEpoch()).Milliseconds()+1)<<22 | 65535},
		{"own epoch", msgid.Options{Epoch: t0}, 1 << 22},
		{"decimal", msgid.Options{Decimal: true, Node: 1, NodeBits: 1}, uint64(t0.Sub(msgid.DefaultEpoch()).Milliseconds()+1)<<22 | 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: t0.Add(1500 * time.Microsecond)}
			tc.o.Now = c.Now
			g := mustNew(t, tc.o)
			id := g.Next()
			if tc.o.Decimal {
				if id != strconv.FormatUint(tc.want, 10) {
					t.Fatalf("got %s, want %d", id, tc.want)
				}
			} else if id != fmt.Sprintf("%016x", tc.want) {
				t.Fatalf("got %s, want %016x", id, tc.want)
			}
			if v := value(t, id, tc.o.Decimal); v>>63 != 0 {
				t.Fatalf("bit 63 set: %x", v)
			}
			issued, node, err := g.Parse(id)
			if err != nil || !issued.Equal(t0.Add(time.Millisecond)) || node != tc.o.Node {
				t.Fatalf("Parse: %v node %d %v", issued, node, err)
			}
			// The second id of the millisecond: the sequence counts, the
			// node stays.
			v1, v2 := value(t, id, tc.o.Decimal), value(t, g.Next(), tc.o.Decimal)
			if step := uint64(1) << tc.o.NodeBits; v2 != v1+step {
				t.Fatalf("second id %x, want %x", v2, v1+step)
			}
		})
	}
}

// Ids increase, as numbers and (hex) as strings, whatever the clock does.
func TestNeverBackwards(t *testing.T) {
	for _, decimal := range []bool{false, true} {
		c := &clock{t: t0}
		g := mustNew(t, msgid.Options{Now: c.Now, Decimal: decimal, NodeBits: 16, Node: 3})
		var last uint64
		var lastID string
		steps := []time.Duration{0, time.Millisecond, -time.Hour, 0, 0, 2 * time.Hour, -time.Minute, time.Microsecond}
		for i := range 5000 {
			c.Set(c.Now().Add(steps[i%len(steps)]))
			id := g.Next()
			v := value(t, id, decimal)
			if v <= last {
				t.Fatalf("id %d: %x after %x (clock %v)", i, v, last, c.Now())
			}
			if !decimal && id <= lastID {
				t.Fatalf("id %q sorts before %q", id, lastID)
			}
			if _, node, _ := g.Parse(id); node != 3 {
				t.Fatalf("node %d", node)
			}
			last, lastID = v, id
		}
	}
}

// More ids in a millisecond than the sequence holds: they borrow the next
// milliseconds and stay unique.
func TestBurstRunsAhead(t *testing.T) {
	c := &clock{t: t0}
	g := mustNew(t, msgid.Options{Now: c.Now, NodeBits: 16}) // 64 ids per millisecond
	seen := map[string]bool{}
	var id string
	for range 640 {
		id = g.Next()
		if seen[id] {
			t.Fatalf("repeated id %s", id)
		}
		seen[id] = true
	}
	issued, _, _ := g.Parse(id)
	if ahead := issued.Sub(t0); ahead != 9*time.Millisecond {
		t.Fatalf("640 ids at 64 per ms: the last is %v ahead, want 9ms", ahead)
	}
	// Once the clock passes the ids, they follow the clock again.
	c.Set(t0.Add(time.Second))
	if issued, _, _ := g.Parse(g.Next()); !issued.Equal(t0.Add(time.Second)) {
		t.Fatalf("after the burst: %v", issued)
	}
}

// A restart with the clock set back issues no id twice when Resume is given
// the last id.
func TestResume(t *testing.T) {
	for _, decimal := range []bool{false, true} {
		c := &clock{t: t0}
		before := mustNew(t, msgid.Options{Now: c.Now, Decimal: decimal})
		var issued []string
		for range 100 {
			issued = append(issued, before.Next())
		}
		c.Set(t0.Add(-time.Hour)) // the clock went back across the restart
		after := mustNew(t, msgid.Options{Now: c.Now, Decimal: decimal})
		if err := after.Resume(issued[len(issued)-1]); err != nil {
			t.Fatal(err)
		}
		if err := after.Resume(issued[0]); err != nil { // an older id changes nothing
			t.Fatal(err)
		}
		next := after.Next()
		if value(t, next, decimal) <= value(t, issued[len(issued)-1], decimal) || slices.Contains(issued, next) {
			t.Fatalf("after Resume: %s, last before %s", next, issued[len(issued)-1])
		}
	}
}

func TestResumeAndParseRefuse(t *testing.T) {
	hex := mustNew(t, msgid.Options{})
	dec := mustNew(t, msgid.Options{Decimal: true})
	for _, tc := range []struct {
		g  *msgid.Generator
		id string
	}{
		{hex, ""}, {hex, "123"}, {hex, "0123456789ABCDEF"}, {hex, "0123456789abcdeg"}, {hex, "0123456789abcdef0"},
		{dec, ""}, {dec, "12a"}, {dec, "+12"}, {dec, "-1"}, {dec, "1_000"}, {dec, "18446744073709551616"},
	} {
		if err := tc.g.Resume(tc.id); !errors.Is(err, msgid.ErrNotID) {
			t.Errorf("Resume(%q): %v", tc.id, err)
		}
		if _, _, err := tc.g.Parse(tc.id); !errors.Is(err, msgid.ErrNotID) {
			t.Errorf("Parse(%q): %v", tc.id, err)
		}
	}
}

func TestOptionsRefused(t *testing.T) {
	for _, o := range []msgid.Options{
		{Node: 1},               // no node bits
		{Node: 16, NodeBits: 4}, // 4 bits hold 0–15
		{Node: -1, NodeBits: 4}, // negative
		{NodeBits: 17},          // above MaxNodeBits
		{NodeBits: -1},          // negative
	} {
		if _, err := msgid.New(o); !errors.Is(err, msgid.ErrOptions) {
			t.Errorf("New(%+v): %v", o, err)
		}
	}
}

// Nodes of one cluster never issue the same id, even with the same clock.
func TestNodesDisjoint(t *testing.T) {
	c := &clock{t: t0}
	seen := map[string]int{}
	for node := range 8 {
		g := mustNew(t, msgid.Options{Now: c.Now, Node: node, NodeBits: 3})
		for range 2000 {
			id := g.Next()
			if n, ok := seen[id]; ok {
				t.Fatalf("node %d issued %s, as node %d did", node, id, n)
			}
			seen[id] = node
		}
	}
}

func TestConcurrent(t *testing.T) {
	g := mustNew(t, msgid.Options{NodeBits: 12, Node: 7})
	const workers, each = 8, 5000
	out := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				out[w] = append(out[w], g.Next())
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, ids := range out {
		if !slices.IsSorted(ids) {
			t.Fatal("one goroutine's ids are not increasing")
		}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("repeated id %s", id)
			}
			seen[id] = true
		}
	}
}

func TestAppendNextAllocs(t *testing.T) {
	g := mustNew(t, msgid.Options{})
	buf := make([]byte, 0, 20)
	if n := testing.AllocsPerRun(100, func() { buf = g.AppendNext(buf[:0]) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
	if len(buf) != 16 {
		t.Fatalf("%q", buf)
	}
}

func BenchmarkNext(b *testing.B) {
	g := mustNew(&testing.T{}, msgid.Options{})
	buf := make([]byte, 0, 20)
	b.ReportAllocs()
	for b.Loop() {
		buf = g.AppendNext(buf[:0])
	}
}
