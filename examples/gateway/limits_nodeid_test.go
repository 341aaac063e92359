package main

import (
	"encoding/hex"
	"strings"
	"testing"
	"testing/quick"

	"gopkg.in/yaml.v3"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/msgid"
)

// checkID fails unless id is 16 hexadecimal digits of a 63-bit number issued
// by node.
func checkID(t *testing.T, id string, node int) {
	t.Helper()
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != 8 || b[0]&0x80 != 0 || strings.ToLower(id) != id {
		t.Fatalf("id %q: want 16 lower-case hex digits of a 63-bit number", id)
	}
	p, _ := msgid.New(msgid.Options{NodeBits: idNodeBits})
	if _, n, err := p.Parse(id); err != nil || n != node {
		t.Fatalf("id %s: node %d (%v), want %d", id, n, err, node)
	}
}

// TestNodeIDsNeverCollide: the generators of two gateways with different
// node_ids, issuing ids in the same milliseconds, never issue the same id;
// each one's ids grow.
func TestNodeIDsNeverCollide(t *testing.T) {
	f := func(a, b uint8, count uint16) bool {
		if a == b {
			return true
		}
		ga, err := newNodeIDs(int(a))
		if err != nil {
			t.Fatal(err)
		}
		gb, err := newNodeIDs(int(b))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		var lastA, lastB string
		for range int(count)%3000 + 1 {
			ia, ib := ga.Next(), gb.Next()
			if ia <= lastA || ib <= lastB {
				t.Errorf("ids not growing: %s after %s, %s after %s", ia, lastA, ib, lastB)
				return false
			}
			lastA, lastB = ia, ib
			seen[ia]++
			seen[ib]++
			if seen[ia] > 1 || seen[ib] > 1 {
				t.Errorf("nodes %d and %d both issued %s or %s", a, b, ia, ib)
				return false
			}
		}
		checkID(t, lastA, int(a))
		checkID(t, lastB, int(b))
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 200}); err != nil {
		t.Fatal(err)
	}
}

// TestNodeIDResumesAfterLastID: a gateway with a node_id issues ids greater
// than the greatest id in its store, whichever node and layout issued it.
func TestNodeIDResumesAfterLastID(t *testing.T) {
	for _, last := range []string{
		"7000000000000000", // an id far ahead, of the layout without node bits
		"70000000000000c8", // node 200's, far ahead
	} {
		st := store.NewMemory()
		if err := st.Accept(&store.Message{ID: last, Account: "a"}); err != nil {
			t.Fatal(err)
		}
		cfg := defaultConfig()
		cfg.NodeID = 7
		if err := cfg.validate(); err != nil {
			t.Fatal(err)
		}
		gw, err := newGateway(cfg, st, quietLogger(), newMetrics())
		if err != nil {
			t.Fatal(err)
		}
		gw.cancel()
		prev := last
		for range 1000 {
			id := gw.newID()
			if id <= prev {
				t.Fatalf("after %s: id %s", last, id)
			}
			prev = id
		}
		checkID(t, prev, 7)
	}
}

// TestNodeIDConfig: node_id is read from the file and checked, 0 to 255.
func TestNodeIDConfig(t *testing.T) {
	cfg := defaultConfig()
	if err := yaml.Unmarshal([]byte("node_id: 255\n"), cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.NodeID != 255 {
		t.Fatalf("node_id: 255 read as %d", cfg.NodeID)
	}
	if err := cfg.validate(); err != nil {
		t.Fatalf("node_id 255: %v", err)
	}
	for _, n := range []int{-1, 256} {
		cfg := defaultConfig()
		cfg.NodeID = n
		if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "node_id") {
			t.Errorf("node_id %d: %v, want refused", n, err)
		}
		if _, err := newNodeIDs(n); err == nil {
			t.Errorf("newNodeIDs(%d) accepted", n)
		}
	}
}
