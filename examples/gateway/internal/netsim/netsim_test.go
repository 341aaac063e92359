package netsim_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/internal/netsim"
)

// echo serves an echo server on loopback.
func echo(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return l.Addr().String()
}

// A round trip through the proxy takes at least twice its delay, in order,
// and a cut closes the connection and refuses the next until lifted.
func TestDelayAndCut(t *testing.T) {
	p, err := netsim.New(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetDelay(30 * time.Millisecond)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < 3; i++ {
		if _, err := c.Write([]byte{byte('a' + i)}); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, 3)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 60*time.Millisecond {
		t.Fatalf("round trip %v through a proxy of 30 ms each way", rtt)
	}
	if string(got) != "abc" {
		t.Fatalf("got %q, want abc in order", got)
	}
	p.Cut(true)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(got); err == nil {
		t.Fatal("a connection through a cut proxy still reads")
	}
	c.Close()
	if c2, err := net.Dial("tcp", p.Addr()); err == nil {
		c2.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c2.Read(got); err == nil {
			t.Fatal("a new connection through a cut proxy was served")
		}
		c2.Close()
	}
	p.Cut(false)
	p.SetDelay(0)
	c3, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if _, err := c3.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c3, got[:1]); err != nil || got[0] != 'x' {
		t.Fatalf("after the cut was lifted: %q %v", got[:1], err)
	}
}
