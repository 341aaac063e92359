package bench

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

// BenchmarkServerSubmit measures one bind on loopback: a raw pipelined
// stdlib client keeps `window` submit_sm outstanding against
//
//	limit:  a minimal stdlib SMSC that only answers (read frames, write
//	        submit_sm_resp, batched) — the physical limit of this machine;
//	server: a server.Server with a trivial submit handler, answering
//	        inline and reusing each request's memory (RecycleRequests);
//	server-copy: the same with the default of one allocation per request,
//	        for handlers that keep what they are given.
//
// It reports msgs/s and the p50/p99 latency of submit_sm_resp.
func BenchmarkServerSubmit(b *testing.B) {
	for _, secure := range []bool{false, true} {
		for _, window := range []int{100, 1000} {
			for _, kind := range []string{"limit", "server", "server-copy"} {
				name := fmt.Sprintf("%s/%s/w%d", map[bool]string{false: "plain", true: "tls13"}[secure], kind, window)
				b.Run(name, func(b *testing.B) {
					addr, clientTLS, stop := startSMSC(b, kind, secure)
					defer stop()
					runPipelined(b, addr, clientTLS, window)
				})
			}
		}
	}
}

var benchCert = sync.OnceValues(func() (tls.Certificate, error) {
	c, _, err := smpptest.Certificate()
	return c, err
})

func startSMSC(b *testing.B, kind string, secure bool) (addr string, clientTLS *tls.Config, stop func()) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var srvTLS *tls.Config
	if secure {
		cert, err := benchCert()
		if err != nil {
			b.Fatal(err)
		}
		srvTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
		clientTLS = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}
	}
	switch kind {
	case "limit":
		if secure {
			l = tls.NewListener(l, srvTLS)
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				wg.Add(1)
				go func() { defer wg.Done(); minimalSMSC(c) }()
			}
		}()
		return l.Addr().String(), clientTLS, func() { l.Close(); wg.Wait() }
	default:
		srv := &server.Server{
			Logger:  slog.New(slog.DiscardHandler),
			Handler: submitHandler,
			Session: session.Config{
				Window: 1000,
				// The handler answers at once and keeps nothing: run it on
				// the read loop and reuse each request's memory.
				InlineHandler:   true,
				RecycleRequests: kind == "server",
				// Let the client's window, not the inbound window, be the
				// limit.
				InboundWindow: 2000,
			},
			TLSConfig: srvTLS,
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if secure {
				srv.ServeTLS(l, "", "")
			} else {
				srv.Serve(l)
			}
		}()
		return l.Addr().String(), clientTLS, func() { srv.Close(); <-done }
	}
}

var submitResp = &pdu.SubmitSMResp{MessageID: "0123456789abcdef"}

var submitHandler = server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
	w.Respond(submitResp, pdu.ESME_ROK)
})

// minimalSMSC answers bind and submit_sm as fast as it can: it reads frames
// from a bufio.Reader and writes the responses in one write per read batch.
func minimalSMSC(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 64*1024)
	out := make([]byte, 0, 64*1024)
	hdr := make([]byte, 16)
	body := make([]byte, 0, 4096)
	for {
		if _, err := io.ReadFull(br, hdr); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr)
		id := pdu.CommandID(binary.BigEndian.Uint32(hdr[4:]))
		seq := binary.BigEndian.Uint32(hdr[12:])
		if n < 16 || n > 70000 {
			return
		}
		body = body[:n-16]
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		switch id {
		case pdu.SubmitSMID:
			out, _ = pdu.AppendPDU(out, seq, 0, submitResp)
		case pdu.BindTransmitterID, pdu.BindTransceiverID, pdu.BindReceiverID:
			out, _ = pdu.AppendPDU(out, seq, 0, &pdu.BindResp{ID: id.Response(), SystemID: "LIMIT"})
		case pdu.UnbindID:
			out, _ = pdu.AppendPDU(out, seq, 0, &pdu.UnbindResp{})
		default:
			out = pdu.Header{Length: 16, ID: id.Response(), Sequence: seq}.AppendBinary(out)
		}
		if br.Buffered() == 0 || len(out) > 32*1024 {
			if _, err := c.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}

// runPipelined binds as transmitter and sends b.N submit_sm, keeping window
// outstanding, from pre-encoded bytes.
func runPipelined(b *testing.B, addr string, clientTLS *tls.Config, window int) {
	var c net.Conn
	var err error
	if clientTLS != nil {
		c, err = tls.Dial("tcp", addr, clientTLS)
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReaderSize(c, 64*1024)
	bind, _ := pdu.AppendPDU(nil, 1, 0, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "bench", Password: "pw", InterfaceVersion: 0x34})
	if _, err := c.Write(bind); err != nil {
		b.Fatal(err)
	}
	if h, err := readFrame(br); err != nil || h.Status != 0 {
		b.Fatalf("bind: %v %v", h, err)
	}
	// One pre-encoded submit_sm; the sequence number is patched per send.
	sm, _ := pdu.AppendPDU(nil, 1, 0, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "27820001234", ShortMessage: []byte("hello from the benchmark")})
	size := len(sm)

	n := b.N
	sent := make([]int64, n+2) // send time by sequence number
	lat := make([]time.Duration, 0, n)
	tokens := make(chan struct{}, window)
	start := time.Now()
	cpu0 := processCPU()
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() {
		buf := make([]byte, 0, size*window)
		seq := 2
		for seq < n+2 {
			tokens <- struct{}{}
			k := 1
		grab:
			for k < window && seq+k < n+2 {
				select {
				case tokens <- struct{}{}:
					k++
				default:
					break grab
				}
			}
			buf = buf[:0]
			now := time.Since(start).Nanoseconds()
			for range k {
				buf = append(buf, sm...)
				binary.BigEndian.PutUint32(buf[len(buf)-size+12:], uint32(seq))
				sent[seq] = now
				seq++
			}
			if _, err := c.Write(buf); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for range n {
		h, err := readFrame(br)
		if err != nil {
			b.Fatalf("read: %v", err)
		}
		if h.ID != pdu.SubmitSMRespID || h.Status != 0 {
			b.Fatalf("response %s %s", h.ID, h.Status)
		}
		lat = append(lat, time.Since(start)-time.Duration(sent[h.Sequence]))
		<-tokens
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(n), "cpu-ns/msg")
	slices.Sort(lat)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	unbind := pdu.Header{Length: 16, ID: pdu.UnbindID, Sequence: uint32(n + 3)}.AppendBinary(nil)
	c.Write(unbind)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		h, err := readFrame(br)
		if err != nil || h.ID == pdu.UnbindRespID {
			break
		}
	}
}

func readFrame(br *bufio.Reader) (pdu.Header, error) {
	hb, err := br.Peek(16)
	if err != nil {
		return pdu.Header{}, err
	}
	h, err := pdu.ParseHeader(hb)
	if err != nil {
		return h, err
	}
	if h.Length < 16 {
		return h, errors.New("bad length")
	}
	_, err = br.Discard(int(h.Length))
	return h, err
}
