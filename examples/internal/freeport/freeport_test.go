package freeport

import (
	"net"
	"strconv"
	"testing"
)

// TestAddr: the ports are outside the ephemeral range, distinct, and free
// (a listen on each succeeds); a port in use is passed over.
func TestAddr(t *testing.T) {
	// The port tried first, held (or held by another process already).
	busy := "127.0.0.1:" + strconv.Itoa(peek())
	if l, err := net.Listen("tcp", busy); err == nil {
		defer l.Close()
	}
	seen := map[string]bool{}
	for range 200 {
		a := Addr(t)
		if seen[a] {
			t.Fatalf("%s handed out twice", a)
		}
		seen[a] = true
		if a == busy {
			t.Fatalf("%s handed out while in use", a)
		}
		_, p, _ := net.SplitHostPort(a)
		if n, _ := strconv.Atoi(p); n < low || n > high {
			t.Fatalf("%s outside %d-%d", a, low, high)
		}
		l, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatalf("%s is not free: %v", a, err)
		}
		l.Close()
	}
}

// peek returns the port the next take tries first.
func peek() int {
	mu.Lock()
	defer mu.Unlock()
	return next
}
