// Package freeport hands tests loopback TCP ports for processes they start,
// which must be told a port before they listen (a NATS server's routes, a
// gateway's listeners, Kannel's boxes).
//
// The usual way, listening on port 0 and closing, returns a port from the
// kernel's ephemeral range, where the kernel also picks the source port of
// every outgoing connection: between the close and the process's listen,
// a connection of another test can take it ("address already in use"). The
// ports here come from below that range (20000-32767 on Linux by default,
// which starts at 32768), where the kernel never picks, in turn from a
// random start, each checked free when handed out.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
)

// The range handed out: below Linux's default ephemeral range.
const (
	low  = 20000
	high = 32767
)

var (
	mu   sync.Mutex
	next = low + rand.IntN(high-low+1)
)

// Addr returns "127.0.0.1:port" for a port that nothing listened on a
// moment ago and that no other call of this process has returned since the
// range last wrapped (every high-low+1 calls).
func Addr(t testing.TB) string {
	t.Helper()
	addr, err := take()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// Port is Addr's port alone.
func Port(t testing.TB) string {
	t.Helper()
	_, p, err := net.SplitHostPort(Addr(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func take() (string, error) {
	mu.Lock()
	defer mu.Unlock()
	for range high - low + 1 {
		p := next
		if next++; next > high {
			next = low
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue // in use by another process
		}
		if err := l.Close(); err != nil {
			return "", err
		}
		return addr, nil
	}
	return "", fmt.Errorf("freeport: no free port in 127.0.0.1:%d-%d", low, high)
}
