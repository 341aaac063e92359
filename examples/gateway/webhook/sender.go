package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
)

// Config is one account's webhook. The zero values of the durations and of
// Concurrency are the documented defaults.
type Config struct {
	// URL receives the POSTs.
	URL string
	// Secret signs them (see Sign).
	Secret string
	// Timeout bounds one attempt, connection to answer. Default 10s.
	Timeout time.Duration
	// MinBackoff is the delay after the first failure; it doubles with
	// each failure in a row, with jitter. Default 1s.
	MinBackoff time.Duration
	// MaxBackoff caps the delay. Default 10m.
	MaxBackoff time.Duration
	// Concurrency is how many requests may be in flight. Default 4.
	Concurrency int
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 10 * time.Minute
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	return c
}

// Encoder turns a delivery into the JSON body to post. An error drops the
// delivery (it is acked and logged): it could never be posted.
type Encoder func(d *deliveries.Delivery) ([]byte, error)

// Stats are a Sender's counts since it started.
type Stats struct {
	// Posted counts deliveries the receiver answered 2xx.
	Posted int64
	// Failed counts attempts that failed (each naked with a back-off).
	Failed int64
	// Dropped counts deliveries the Encoder refused.
	Dropped int64
}

// Sender posts the deliveries of one queue key to one URL.
type Sender struct {
	q      deliveries.Queue
	key    string
	enc    Encoder
	log    *slog.Logger
	client *http.Client
	cfg    atomic.Pointer[Config]
	now    func() time.Time

	mu       sync.Mutex
	failures map[uint64]int // deliveries failing now, by Seq: failures in a row
	streak   int            // failed attempts in a row, whatever the deliveries

	posted, failed, dropped atomic.Int64

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start starts a Sender claiming q's deliveries under key; it runs until
// Stop. log may be nil.
func Start(q deliveries.Queue, key string, cfg Config, enc Encoder, log *slog.Logger) *Sender {
	if log == nil {
		log = slog.Default()
	}
	cfg = cfg.withDefaults()
	// A transport of its own: the account's connections are its own (a slow
	// receiver holds none of another's), and as many stay open as it has
	// workers (the default keeps 2 per host: the others would be dialled
	// for every post).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = cfg.Concurrency, cfg.Concurrency
	s := &Sender{q: q, key: key, enc: enc, log: log, failures: map[uint64]int{}, now: time.Now,
		client: &http.Client{
			Transport: tr,
			// No redirects: a webhook URL is configured, not discovered.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
	s.cfg.Store(&cfg)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for range cfg.Concurrency {
		s.wg.Add(1)
		go s.loop(ctx)
	}
	return s
}

// Update replaces the URL, secret, timeout and back-off (a reload); the
// concurrency stays what it was at Start.
func (s *Sender) Update(cfg Config) {
	cfg = cfg.withDefaults()
	s.cfg.Store(&cfg)
}

// Stop stops claiming and waits for the requests in flight (their
// deliveries are acked or naked as they end).
func (s *Sender) Stop() {
	s.cancel()
	s.wg.Wait()
	s.client.CloseIdleConnections()
}

// Stats returns the counts.
func (s *Sender) Stats() Stats {
	return Stats{Posted: s.posted.Load(), Failed: s.failed.Load(), Dropped: s.dropped.Load()}
}

func (s *Sender) loop(ctx context.Context) {
	defer s.wg.Done()
	var claims []deliveries.Claim
	for {
		var err error
		claims, err = s.q.Claim(ctx, s.key, claims[:0], 1)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, deliveries.ErrClosed) {
				return
			}
			s.log.Error("webhook: claiming deliveries", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		for _, c := range claims {
			if pause := s.deliver(c); pause > 0 {
				// The receiver is failing: this worker waits too, so that a
				// backlog is not tried once each against a receiver down.
				select {
				case <-ctx.Done():
				case <-time.After(pause):
				}
			}
		}
		clear(claims)
	}
}

// deliver posts one claimed delivery and acks or naks it; after a failure
// it returns how long the worker pauses (the back-off of the failures in a
// row of the sender, whatever the deliveries).
func (s *Sender) deliver(c deliveries.Claim) time.Duration {
	d := c.Delivery()
	body, err := s.enc(d)
	if err != nil {
		s.dropped.Add(1)
		s.log.Error("webhook: a delivery cannot be encoded; dropping it", "seq", d.Seq, "err", err)
		if err := c.Ack(); err != nil {
			s.log.Warn("webhook: acking a dropped delivery", "seq", d.Seq, "err", err)
		}
		return 0
	}
	cfg := s.cfg.Load()
	// Not ctx: a request in flight at Stop ends (within the timeout), so
	// that a receiver that took it is not asked again for nothing.
	err = s.post(context.Background(), cfg, d, body)
	if err == nil {
		s.mu.Lock()
		delete(s.failures, d.Seq)
		s.streak = 0
		s.mu.Unlock()
		s.posted.Add(1)
		if err := c.Ack(); err != nil {
			// Posted again when it comes back: at least once.
			s.log.Warn("webhook: acking a posted delivery", "seq", d.Seq, "err", err)
		}
		return 0
	}
	s.failed.Add(1)
	s.mu.Lock()
	s.failures[d.Seq]++
	s.streak++
	n, streak := s.failures[d.Seq], s.streak
	s.mu.Unlock()
	delay := Backoff(cfg.MinBackoff, cfg.MaxBackoff, n, rand.Float64())
	s.log.Info("webhook: post failed; trying again later", "url", cfg.URL, "seq", d.Seq, "failures", n, "retry_in", delay.Round(time.Millisecond), "err", err)
	if err := c.Nak(delay); err != nil {
		s.log.Warn("webhook: giving back a delivery that failed", "seq", d.Seq, "err", err)
	}
	return Backoff(cfg.MinBackoff, cfg.MaxBackoff, streak, rand.Float64())
}

// Backoff is the delay after the n-th failure in a row (n >= 1): lo
// doubled n-1 times, capped at hi, then scaled by a jitter in [0.5, 1)
// (r is a random number in [0, 1)).
func Backoff(lo, hi time.Duration, n int, r float64) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	return time.Duration(float64(min(d, hi)) * (0.5 + r/2))
}

// post makes one attempt.
func (s *Sender) post(ctx context.Context, cfg *Config, d *deliveries.Delivery, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := s.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "smpp-gateway-webhook/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign([]byte(cfg.Secret), ts, body))
	// The queue key may carry a suffix after a NUL (the gateway's webhook
	// keys): the id names the account and the delivery.
	acct, _, _ := strings.Cut(d.Account, "\x00")
	req.Header.Set(HeaderID, acct+"-"+strconv.FormatUint(d.Seq, 10))
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	// Read a little of the answer so that the connection can be reused.
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)); err != nil {
		s.log.Debug("webhook: reading an answer", "err", err)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return nil
}
