package server_test

// What a connection that has not bound may cost the server: the unbound
// limits, the TLS handshake timeout, the small PDU limit before the bind,
// and the goroutines and memory of an idle unbound connection.

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
	"github.com/esmsafrica/smpp/tlv"
)

// dialFrom dials addr from the loopback address ip (127.0.0.2...), or skips
// the test where only 127.0.0.1 exists.
func dialFrom(t testing.TB, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		if ip != "127.0.0.1" {
			var oe *net.OpError
			if errors.As(err, &oe) && oe.Op == "dial" && !oe.Timeout() {
				t.Skipf("cannot dial from %s here: %v", ip, err)
			}
		}
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func rawFrom(t testing.TB, ip, addr string) *rawConn {
	c := dialFrom(t, ip, addr)
	return &rawConn{t: t, c: c, rd: codec.NewReader(c, 0)}
}

// header returns a PDU header alone.
func header(length uint32, id pdu.CommandID, seq uint32) []byte {
	return pdu.Header{Length: length, ID: id, Sequence: seq}.AppendBinary(nil)
}

// submitOfLen returns a submit_sm of exactly n octets (n >= 64), padded
// with vendor TLVs (kept verbatim by the decoder).
func submitOfLen(t testing.TB, seq uint32, n int) []byte {
	t.Helper()
	sm := &pdu.SubmitSM{DestinationAddr: "1"}
	b, err := pdu.AppendPDU(nil, seq, pdu.ESME_ROK, sm)
	if err != nil {
		t.Fatal(err)
	}
	for rest := n - len(b); rest > 0; {
		v := min(rest-4, 60000)
		if r := rest - 4 - v; r > 0 && r < 4 {
			v -= 4 // leave room for one more TLV's header
		}
		sm.TLVs.Add(tlv.Tag(0x1400+len(sm.TLVs)), make([]byte, v))
		rest -= 4 + v
	}
	b, err = pdu.AppendPDU(nil, seq, pdu.ESME_ROK, sm)
	if err != nil || len(b) != n {
		t.Fatalf("submit_sm of %d octets: got %d, %v", n, len(b), err)
	}
	return b
}

// A peer that has not bound and announces a large PDU (here 70,000 octets,
// under the server's MaxPDULen) gets generic_nack ESME_RINVCMDLEN with its
// sequence number at once, and is disconnected; the server allocates nothing
// near the announced length for it. Before the fix the server allocated the
// whole announced frame (and a 16 KiB read buffer) and waited for the body
// until the bind timeout.
func TestUnboundLargePDU(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler, Logger: quiet}
	addr := start(t, srv)
	const n = 50 // within the default MaxUnboundPerAddr
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = dialFrom(t, "127.0.0.1", addr)
	}
	waitFor(t, "every connection", func() bool { return srv.Stats().Open == n })
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i, c := range conns {
		if _, err := c.Write(header(70000, pdu.BindTransceiverID, uint32(1000+i))); err != nil {
			t.Fatal(err)
		}
	}
	// Read with a fixed buffer: the client side allocates nothing per peer.
	var buf [pdu.HeaderLen]byte
	var wrong []string
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, buf[:]); err != nil {
			wrong = append(wrong, err.Error())
			continue
		}
		h, _ := pdu.ParseHeader(buf[:])
		if h.ID != pdu.GenericNackID || h.Status != pdu.ESME_RINVCMDLEN || h.Sequence != uint32(1000+i) {
			wrong = append(wrong, h.ID.String()+" "+h.Status.String())
			continue
		}
		if _, err := c.Read(buf[:1]); err != io.EOF && !isReset(err) {
			wrong = append(wrong, "not closed: "+err.Error())
		}
	}
	runtime.ReadMemStats(&after)
	perPeer := (after.TotalAlloc - before.TotalAlloc) / n
	t.Logf("%d B allocated per peer", perPeer)
	if len(wrong) > 0 {
		t.Errorf("%d of %d peers not answered generic_nack ESME_RINVCMDLEN and closed; first: %s", len(wrong), n, wrong[0])
	}
	// Far below the announced 70,000 octets.
	if perPeer > 4<<10 {
		t.Errorf("%d B allocated per peer that announced 70,000 octets before binding", perPeer)
	}
	waitFor(t, "the connections to be released", func() bool { return srv.Stats().Open == 0 })
}

// Before the bind, a PDU of MaxUnboundPDULen octets is read (a submit_sm
// gets ESME_RINVBNDSTS, the session lives on), one octet more is refused
// with generic_nack ESME_RINVCMDLEN and the connection closed. After the
// bind, PDUs up to MaxPDULen are read, and one octet more is refused.
func TestUnboundPDULimit(t *testing.T) {
	checkLeaks(t)
	for _, tc := range []struct {
		name             string
		maxUnbound, max  int
		wantUnb, wantMax int
	}{
		{"defaults", 0, 0, session.DefaultMaxUnboundPDULen, codec.DefaultMaxLen},
		{"configured", 300, 100_000, 300, 100_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &server.Server{Handler: okHandler, Logger: quiet, Session: session.Config{MaxUnboundPDULen: tc.maxUnbound, MaxPDULen: tc.max}}
			addr := start(t, srv)

			c := dialRaw(t, addr)
			c.write(submitOfLen(t, 7, tc.wantUnb))
			c.expect(pdu.SubmitSMRespID, pdu.ESME_RINVBNDSTS, 7)
			c.write(submitOfLen(t, 8, tc.wantUnb+1))
			c.expect(pdu.GenericNackID, pdu.ESME_RINVCMDLEN, 8)
			c.expectClosed()

			c = dialRaw(t, addr)
			c.bind(pdu.BindTransceiverID, "a")
			c.write(submitOfLen(t, 9, tc.wantMax))
			c.expect(pdu.SubmitSMRespID, pdu.ESME_ROK, 9)
			c.write(header(uint32(tc.wantMax+1), pdu.SubmitSMID, 10))
			c.expect(pdu.GenericNackID, pdu.ESME_RINVCMDLEN, 10)
			c.expectClosed()
		})
	}
}

// A bind pipelined with a large submit_sm right behind it: the limit rises
// with the bind, before the next PDU is read.
func TestUnboundLimitRisesWithBind(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler, Logger: quiet}
	addr := start(t, srv)
	c := dialRaw(t, addr)
	b, err := pdu.AppendPDU(nil, 1, pdu.ESME_ROK, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "a", InterfaceVersion: 0x34})
	if err != nil {
		t.Fatal(err)
	}
	c.write(append(b, submitOfLen(t, 2, 60000)...))
	c.expect(pdu.BindTransceiverRespID, pdu.ESME_ROK, 1)
	c.expect(pdu.SubmitSMRespID, pdu.ESME_ROK, 2)
}

// The per-address limit refuses one address's connections beyond it while
// another address still binds; the total limit refuses every address; a
// bind frees its connection's slot, and so does a close.
func TestUnboundLimits(t *testing.T) {
	checkLeaks(t)
	var mu sync.Mutex
	refused := map[error]int{}
	srv := &server.Server{Handler: okHandler, Logger: quiet, MaxUnboundConns: 5, MaxUnboundPerAddr: 3,
		Observer: server.Observer{ConnRejected: func(_ net.Addr, err error) {
			mu.Lock()
			refused[err]++
			mu.Unlock()
		}}}
	addr := start(t, srv)
	unbound := func(n int64) {
		t.Helper()
		waitFor(t, "the unbound count", func() bool { return srv.Stats().Unbound == n })
	}

	// The flood from 127.0.0.1: three held, the fourth closed at once.
	var flood []*rawConn
	for range 3 {
		flood = append(flood, rawFrom(t, "127.0.0.1", addr))
	}
	unbound(3)
	rawFrom(t, "127.0.0.1", addr).expectClosed()
	// Another address binds meanwhile.
	rawFrom(t, "127.0.0.2", addr).bind(pdu.BindTransceiverID, "b")
	unbound(3)

	// 127.0.0.2 takes the last two slots; then the total refuses 127.0.0.3.
	idle := rawFrom(t, "127.0.0.2", addr)
	rawFrom(t, "127.0.0.2", addr)
	unbound(5)
	rawFrom(t, "127.0.0.3", addr).expectClosed()

	// A bind frees a slot: 127.0.0.3 binds.
	flood[0].bind(pdu.BindTransceiverID, "a")
	unbound(4)
	rawFrom(t, "127.0.0.3", addr).bind(pdu.BindTransceiverID, "c")
	// A close frees a slot.
	idle.c.Close()
	unbound(3)
	rawFrom(t, "127.0.0.3", addr)
	unbound(4)

	st := srv.Stats()
	mu.Lock()
	defer mu.Unlock()
	if refused[server.ErrMaxUnboundPerAddr] != 1 || refused[server.ErrMaxUnboundConns] != 1 || st.RejectedUnbound != 2 || st.Rejected != 2 {
		t.Fatalf("refused %v; stats %+v", refused, st)
	}
	if st.Bound != 3 || st.Open != 7 {
		t.Fatalf("stats %+v", st)
	}
}

// Refused connections are logged at a bounded rate: one line for a burst,
// with how many were refused since the line before.
func TestUnboundRefusalsLogged(t *testing.T) {
	checkLeaks(t)
	var logs logRecorder
	srv := &server.Server{Handler: okHandler, Logger: slog.New(&logs), MaxUnboundPerAddr: 1}
	addr := start(t, srv)
	dialRaw(t, addr)
	waitFor(t, "the first connection", func() bool { return srv.Stats().Unbound == 1 })
	for range 20 {
		dialRaw(t, addr).expectClosed()
	}
	if st := srv.Stats(); st.RejectedUnbound != 20 {
		t.Fatalf("stats %+v", st)
	}
	if got := logs.count("smpp: refusing connections that have not bound"); got != 1 {
		t.Fatalf("%d log lines for 20 refused connections, want 1", got)
	}
}

// logRecorder is a slog.Handler that keeps the messages of warnings and errors.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// A negative limit means none.
func TestUnboundLimitsOff(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler, Logger: quiet, MaxUnboundConns: -1, MaxUnboundPerAddr: -1}
	addr := start(t, srv)
	for range server.DefaultMaxUnboundPerAddr + 1 {
		dialRaw(t, addr)
	}
	waitFor(t, "every connection", func() bool { return srv.Stats().Unbound == server.DefaultMaxUnboundPerAddr+1 })
	dialRaw(t, addr).bind(pdu.BindTransceiverID, "a")
}

// A TLS peer that starts its handshake and never finishes it is disconnected
// after HandshakeTimeout, and holds an unbound slot until then.
func TestHandshakeTimeout(t *testing.T) {
	cert, _, err := smpptest.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		srv := &server.Server{
			HandshakeTimeout:  5 * time.Second,
			MaxUnboundPerAddr: 1,
			Logger:            quiet,
			TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
			Session:           session.Config{BindTimeout: time.Hour},
		}
		l := newPipeListener()
		done := make(chan error, 1)
		go func() { done <- srv.ServeTLS(l, "", "") }()
		defer func() {
			srv.Close()
			if err := <-done; !errors.Is(err, server.ErrServerClosed) {
				t.Errorf("Serve: %v", err)
			}
		}()
		c := l.dial()
		defer c.Close()
		start := time.Now()
		// The first octets of a ClientHello record, and no more.
		go c.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00})
		time.Sleep(time.Second)
		synctest.Wait()
		if st := srv.Stats(); st.Unbound != 1 || st.Open != 1 {
			t.Fatalf("during the handshake: %+v", st)
		}
		// The slot is taken: a second connection (the same address, a pipe) is refused.
		c2 := l.dial()
		if _, err := c2.Read(make([]byte, 1)); err == nil {
			t.Fatal("second connection not refused")
		}
		c2.Close()
		if _, err := io.Copy(io.Discard, c); err != nil && !isReset(err) {
			t.Fatalf("read: %v", err)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Fatalf("closed after %s, want 5s", d)
		}
		synctest.Wait()
		if st := srv.Stats(); st.Unbound != 0 || st.Open != 0 || st.RejectedUnbound != 1 || st.Rejected != 2 {
			t.Fatalf("after the timeout: %+v", st)
		}
	})
}

// What an idle connection that has not bound costs the server: one
// goroutine (its read loop) and a few KiB. Before, it was four goroutines
// (read, write and timer loops, and the server's own) and a 16 KiB read
// buffer. The memory bound is loose (the race detector adds to it).
func TestUnboundCost(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler, Logger: quiet, MaxUnboundConns: -1, MaxUnboundPerAddr: -1}
	addr := start(t, srv)
	// One connection first, so that what is made once is not counted.
	dialRaw(t, addr).bind(pdu.BindTransceiverID, "warm")
	const n = 200
	runtime.GC()
	g0 := runtime.NumGoroutine()
	m0 := inUse()
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = dialFrom(t, "127.0.0.1", addr)
	}
	waitFor(t, "every connection", func() bool { return srv.Stats().Unbound == n })
	// Let the accept loop's short-lived goroutines end.
	for end := time.Now().Add(2 * time.Second); runtime.NumGoroutine()-g0 > n && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	g := float64(runtime.NumGoroutine()-g0) / n
	mem := float64(inUse()-m0) / n
	t.Logf("per idle unbound connection: %.2f goroutines, %.1f KiB (heap and stacks, client side included)", g, mem/1024)
	if g > 1 {
		t.Errorf("%.2f goroutines per idle unbound connection, want 1", g)
	}
	if mem > 24<<10 {
		t.Errorf("%.1f KiB per idle unbound connection", mem/1024)
	}
}

func inUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}
