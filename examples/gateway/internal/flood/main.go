// Command flood measures what connections that never bind cost a running
// gateway (examples/gateway/flood.sh runs it). It opens -n connections on
// loopback, each either announcing a PDU of -announce octets and sending
// nothing more (-mode large) or completing a TLS handshake and saying
// nothing (-mode tls), holds them, and prints the gateway's memory (VmRSS and
// VmHWM from /proc/PID/status, go_memstats_heap_inuse_bytes and go_goroutines
// from its metrics) before and while they are held, the heap again after a
// collection (forced through /debug/pprof/heap?gc=1: what is live), and what
// became of the connections: held open, answered generic_nack, or closed.
//
//	go run ./examples/gateway/internal/flood -mode large -addr 127.0.0.1:2776 \
//	    -pid $(pgrep -n gateway) -metrics http://127.0.0.1:8080/metrics -n 10000
package main

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	var (
		mode     = flag.String("mode", "large", "large: announce a PDU of -announce octets and send nothing more; tls: finish a TLS handshake and say nothing")
		addr     = flag.String("addr", "127.0.0.1:2776", "the gateway's listener (plaintext for -mode large, TLS for -mode tls); loopback only")
		n        = flag.Int("n", 10000, "connections to open (at most 20,000)")
		announce = flag.Uint("announce", 70000, "command_length announced by -mode large")
		parallel = flag.Int("parallel", 100, "connections being opened at once")
		pid      = flag.Int("pid", 0, "the gateway's process id, for /proc/PID/status")
		metrics  = flag.String("metrics", "", "the gateway's metrics URL, for go_memstats_heap_inuse_bytes")
		settle   = flag.Duration("settle", 2*time.Second, "wait after the last connection before measuring")
		timeout  = flag.Duration("timeout", 60*time.Second, "give up opening connections after this")
	)
	flag.Parse()
	if err := run(*mode, *addr, *n, uint32(*announce), *parallel, *pid, *metrics, *settle, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "flood:", err)
		os.Exit(1)
	}
}

func run(mode, addr string, n int, announce uint32, parallel, pid int, metricsURL string, settle, timeout time.Duration) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", addr)
	}
	if n < 1 || n > 20000 {
		return errors.New("-n must be 1 to 20,000")
	}
	if mode != "large" && mode != "tls" {
		return fmt.Errorf("unknown -mode %q", mode)
	}
	before := sample(pid, metricsURL, "gc")

	deadline := time.Now().Add(timeout)
	conns := make([]net.Conn, n)
	var failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	start := time.Now()
	for i := range conns {
		if time.Now().After(deadline) {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := open(mode, addr, announce, uint32(i+1))
			if err != nil {
				failed.Add(1)
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	opened := time.Since(start)
	time.Sleep(settle)
	during := sample(pid, metricsURL)
	live := sample(0, metricsURL, "gc")

	// What became of them: a read that times out is a connection held open
	// (5 s: the gateway may still be accepting what the kernel queued).
	var held, nacked, closed atomic.Int64
	check := time.Now().Add(5 * time.Second)
	for _, c := range conns {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetReadDeadline(check)
			var h [16]byte
			_, err := io.ReadFull(c, h[:])
			switch {
			case err == nil && binary.BigEndian.Uint32(h[4:]) == 0x80000000:
				nacked.Add(1)
			case errors.Is(err, os.ErrDeadlineExceeded):
				held.Add(1)
			default:
				closed.Add(1)
			}
		}()
	}
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}

	what := fmt.Sprintf("%d connections announcing %d octets", n, announce)
	if mode == "tls" {
		what = fmt.Sprintf("%d idle TLS connections", n)
	}
	fmt.Printf("%s, opened in %s: %d held open, %d answered generic_nack, %d closed, %d failed to open (TCP or TLS)\n",
		what, opened.Round(time.Millisecond), held.Load(), nacked.Load(), closed.Load(), failed.Load())
	fmt.Printf("  %-8s %10s %10s %12s %15s %11s\n", "", "VmRSS", "VmHWM", "heap_inuse", "after a GC", "goroutines")
	for _, s := range []struct {
		name       string
		m, aftergc map[string]float64
	}{{"before", before, before}, {"held", during, live}} {
		fmt.Printf("  %-8s %7.0f MB %7.0f MB %9.0f MB %12.0f MB %11.0f\n", s.name, s.m["VmRSS"]/1e6, s.m["VmHWM"]/1e6, s.m["heap_inuse"]/1e6,
			s.aftergc["heap_inuse"]/1e6, s.m["goroutines"])
	}
	if h := float64(held.Load()); h > 0 {
		fmt.Printf("  per connection held: %.1f KiB RSS, %.1f KiB heap, %.1f KiB after a GC, %.2f goroutines\n",
			(during["VmRSS"]-before["VmRSS"])/h/1024, (during["heap_inuse"]-before["heap_inuse"])/h/1024,
			(live["heap_inuse"]-before["heap_inuse"])/h/1024, (during["goroutines"]-before["goroutines"])/h)
	}
	return nil
}

// open opens one connection of the flood.
func open(mode, addr string, announce, seq uint32) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	if mode == "tls" {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
		tc.SetDeadline(time.Now().Add(20 * time.Second))
		if err := tc.Handshake(); err != nil {
			c.Close()
			return nil, err
		}
		tc.SetDeadline(time.Time{})
		return tc, nil
	}
	var h [16]byte
	binary.BigEndian.PutUint32(h[0:], announce)
	binary.BigEndian.PutUint32(h[4:], 0x00000009) // bind_transceiver
	binary.BigEndian.PutUint32(h[12:], seq)
	// A refused connection may be closed already: that shows when the
	// connections are checked, so the write's error says nothing more.
	c.Write(h[:])
	return c, nil
}

// sample reads the gateway's memory: VmRSS and VmHWM in bytes from
// /proc/PID/status, heap_inuse and goroutines from its metrics; with "gc",
// after a collection.
func sample(pid int, metricsURL string, gc ...string) map[string]float64 {
	m := map[string]float64{}
	cl := http.Client{Timeout: 30 * time.Second}
	if len(gc) > 0 && metricsURL != "" {
		if resp, err := cl.Get(strings.TrimSuffix(metricsURL, "/metrics") + "/debug/pprof/heap?gc=1"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	if pid > 0 {
		if f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				k, v, ok := strings.Cut(sc.Text(), ":")
				if ok && (k == "VmRSS" || k == "VmHWM") {
					kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
					m[k] = kb * 1024
				}
			}
			f.Close()
		}
	}
	if metricsURL != "" {
		if resp, err := cl.Get(metricsURL); err == nil {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				name, v, ok := strings.Cut(sc.Text(), " ")
				if !ok {
					continue
				}
				switch name {
				case "go_memstats_heap_inuse_bytes":
					m["heap_inuse"], _ = strconv.ParseFloat(v, 64)
				case "go_goroutines":
					m["goroutines"], _ = strconv.ParseFloat(v, 64)
				}
			}
			resp.Body.Close()
		}
	}
	return m
}
