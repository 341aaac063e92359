// Command httpload is a load generator for the gateway's HTTP API: it
// sends POST /v1/messages at a steady rate (open loop: a latency counts
// from when the request was due, so a slow gateway cannot hide its queue)
// or as fast as -c workers go, and, with -hook, receives the receipt
// webhooks itself and reports when they all came back.
//
//	go run ./examples/gateway -config examples/gateway/bench-http.yaml
//	go run ./examples/gateway/httpload -rate 1000 -duration 20s
//	go run ./examples/gateway/httpload -c 64 -n 20000 -hook 127.0.0.1:9100
//	go run ./examples/gateway/httpload -c 64 -n 3000 -to 10 -hook 127.0.0.1:9100
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/webhook"
)

type options struct {
	url, key, user, password string
	rate                     float64
	conc, n, to              int
	duration, wait           time.Duration
	text, hook, secret       string
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8081", "the HTTP API's base URL")
	flag.StringVar(&o.key, "key", "load-key-0123456789abcdef", "API key (Authorization: Bearer); empty: -user and -password")
	flag.StringVar(&o.user, "user", "load", "system_id for HTTP Basic, with -key \"\"")
	flag.StringVar(&o.password, "password", "load", "password for HTTP Basic, with -key \"\"")
	flag.Float64Var(&o.rate, "rate", 0, "requests per second, open loop; 0: as fast as -c workers go")
	flag.IntVar(&o.conc, "c", 64, "requests in flight at most")
	flag.IntVar(&o.n, "n", 0, "requests to send (0: for -duration)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send, without -n")
	flag.StringVar(&o.text, "text", "Hello from httpload", "the message text")
	flag.IntVar(&o.to, "to", 1, "destinations per request")
	flag.StringVar(&o.hook, "hook", "", "listen on this address for the receipt webhooks and count them (e.g. 127.0.0.1:9100)")
	flag.StringVar(&o.secret, "secret", "bench-webhook-secret-0123456789", "the webhook secret, to verify the receipts")
	flag.DurationVar(&o.wait, "wait", 60*time.Second, "with -hook, how long to wait for the last receipts")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "httpload:", err)
		os.Exit(1)
	}
}

// result is what the senders collected.
type result struct {
	mu       sync.Mutex
	lat      []time.Duration
	statuses map[string]int
	ids      int
}

func (r *result) add(d time.Duration, status string, ids int) {
	r.mu.Lock()
	r.lat = append(r.lat, d)
	r.statuses[status]++
	r.ids += ids
	r.mu.Unlock()
}

func run(o options) error {
	var rec *receiver
	if o.hook != "" {
		var err error
		if rec, err = startReceiver(o.hook, o.secret); err != nil {
			return err
		}
	}
	tr := &http.Transport{MaxIdleConns: o.conc, MaxIdleConnsPerHost: o.conc, MaxConnsPerHost: o.conc, IdleConnTimeout: time.Minute}
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	dests := make([]string, max(1, o.to))
	for i := range dests {
		dests[i] = fmt.Sprintf("2547%08d", i+1)
	}
	body, err := json.Marshal(map[string]any{"from": "1000", "to": dests, "text": o.text})
	if err != nil {
		return err
	}
	res := &result{statuses: map[string]int{}}
	send := func(due time.Time) {
		req, err := http.NewRequest("POST", o.url+"/v1/messages", bytes.NewReader(body))
		if err != nil {
			res.add(time.Since(due), "error", 0)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		if o.key != "" {
			req.Header.Set("Authorization", "Bearer "+o.key)
		} else {
			req.SetBasicAuth(o.user, o.password)
		}
		resp, err := c.Do(req)
		if err != nil {
			res.add(time.Since(due), "error", 0)
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(due)
		if err != nil || resp.StatusCode != 201 {
			res.add(d, resp.Status, 0)
			return
		}
		var sr struct {
			Messages []struct {
				IDs []string `json:"ids"`
			} `json:"messages"`
		}
		n := 0
		if json.Unmarshal(b, &sr) == nil {
			for _, m := range sr.Messages {
				n += len(m.IDs)
			}
		}
		res.add(d, resp.Status, n)
	}
	start := time.Now()
	end := start.Add(o.duration)
	var sent atomic.Int64
	more := func() bool {
		if o.n > 0 {
			return sent.Add(1) <= int64(o.n)
		}
		return time.Now().Before(end)
	}
	var wg sync.WaitGroup
	if o.rate > 0 {
		sem := make(chan struct{}, o.conc)
		interval := time.Duration(float64(time.Second) / o.rate)
		due := start
		for more() {
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
			sem <- struct{}{} // beyond -c in flight, the latency grows from due
			wg.Add(1)
			go func(due time.Time) {
				defer wg.Done()
				defer func() { <-sem }()
				send(due)
			}(due)
			due = due.Add(interval)
		}
	} else {
		for range o.conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for more() {
					send(time.Now())
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	report(os.Stdout, o, res, elapsed)
	if rec != nil {
		rec.wait(res.ids, o.wait)
		rec.report(os.Stdout, start, res.ids)
	}
	return nil
}

func report(w io.Writer, o options, r *result, elapsed time.Duration) {
	slices.Sort(r.lat)
	q := func(p float64) time.Duration {
		if len(r.lat) == 0 {
			return 0
		}
		return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]
	}
	var st []string
	for k, v := range r.statuses {
		st = append(st, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(st)
	mode := "closed loop, " + fmt.Sprint(o.conc) + " in flight"
	if o.rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f requests/s, at most %d in flight", o.rate, o.conc)
	}
	fmt.Fprintf(w, "%s: %d requests in %v (%s)\n", mode, len(r.lat), elapsed.Round(time.Millisecond), strings.Join(st, ", "))
	fmt.Fprintf(w, "throughput: %.0f requests/s, %.0f messages/s accepted\n", float64(len(r.lat))/elapsed.Seconds(), float64(r.ids)/elapsed.Seconds())
	fmt.Fprintf(w, "POST /v1/messages latency: p50 %v  p90 %v  p99 %v  p99.9 %v  max %v\n",
		q(0.5).Round(10*time.Microsecond), q(0.9).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond),
		q(0.999).Round(10*time.Microsecond), q(1).Round(10*time.Microsecond))
}

// receiver counts the receipt webhooks.
type receiver struct {
	secret   []byte
	mu       sync.Mutex
	ids      map[string]int
	bad      int
	last     time.Time
	changed  chan struct{}
	received int
}

func startReceiver(addr, secret string) (*receiver, error) {
	r := &receiver{secret: []byte(secret), ids: map[string]int{}, changed: make(chan struct{}, 1)}
	srv := &http.Server{Addr: addr, Handler: r, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return nil, fmt.Errorf("-hook %s: %w", addr, err)
	case <-time.After(100 * time.Millisecond):
	}
	return r, nil
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(400)
		return
	}
	if webhook.Verify(r.secret, req.Header.Get(webhook.HeaderTimestamp), req.Header.Get(webhook.HeaderSignature), body, time.Now(), 0) != nil {
		r.mu.Lock()
		r.bad++
		r.mu.Unlock()
		w.WriteHeader(401)
		return
	}
	var ev struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	if json.Unmarshal(body, &ev) == nil && ev.Type == "receipt" {
		r.mu.Lock()
		r.ids[ev.ID]++
		r.received++
		r.last = time.Now()
		r.mu.Unlock()
		select {
		case r.changed <- struct{}{}:
		default:
		}
	}
	w.WriteHeader(204)
}

// wait waits until n distinct receipts came, or timeout.
func (r *receiver) wait(n int, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		r.mu.Lock()
		got := len(r.ids)
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-r.changed:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return
		}
	}
}

func (r *receiver) report(w io.Writer, start time.Time, want int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	dups := r.received - len(r.ids)
	if len(r.ids) == 0 {
		fmt.Fprintf(w, "receipt webhooks: none of %d (%d bad signatures): is the account's webhook url this -hook address?\n", want, r.bad)
		return
	}
	took := r.last.Sub(start)
	fmt.Fprintf(w, "receipt webhooks: %d of %d messages (%d repeated, %d bad signatures), the last %v after the first request: %.0f receipts/s\n",
		len(r.ids), want, dups, r.bad, took.Round(time.Millisecond), float64(len(r.ids))/took.Seconds())
}
