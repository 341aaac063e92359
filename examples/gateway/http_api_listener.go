package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
	"github.com/esmsafrica/smpp/examples/gateway/httpapi/jskeeper"
	"github.com/esmsafrica/smpp/examples/gateway/webhook"
)

// httpSide is the running HTTP side: the API's listener (http_api:), its
// idempotency and reference store (on one node a Pebble database of its
// own in data_dir/http-api; on a cluster the JetStream bucket the nodes
// share, httpapi/jskeeper), and one webhook sender per account with a
// webhook.
type httpSide struct {
	gw     *Gateway
	srv    *http.Server
	ln     net.Listener
	pebble *httpapi.Pebble    // the single node's store, purged hourly; nil on a cluster or without the API
	keeper httpapi.Keeper     // nil: no Idempotency-Key answers kept (no API)
	refs   httpapi.References // nil: no references kept
	Addr   string             // the listener's address, "" when off
	TLS    bool

	mu      sync.Mutex
	senders map[string]*webhook.Sender // by system_id

	done chan struct{} // closed at stop: ends the purge loop
	wg   sync.WaitGroup
}

// startHTTPSide opens the idempotency store, starts the webhook senders and
// the API's listener (when http_api.listen is set). shared is a cluster's
// store, the nodes' own (nil on a single node): the answers and references
// go there, whether this node's API is on or not (its webhooks read the
// references of messages sent through another's), and nothing is purged
// (its entries expire with their TTL).
func startHTTPSide(gw *Gateway, cfg *Config, shared *jskeeper.Keeper) (*httpSide, error) {
	h := &httpSide{gw: gw, senders: map[string]*webhook.Sender{}, done: make(chan struct{})}
	switch {
	case shared != nil:
		h.keeper, h.refs = shared, shared
	case cfg.HTTPAPI.Listen != "":
		k, err := httpapi.OpenPebble(filepath.Join(cfg.DataDir, "http-api"))
		if err != nil {
			return nil, err
		}
		h.pebble, h.keeper, h.refs = k, k, k
	}
	h.syncWebhooks(cfg, h.refs)
	if cfg.HTTPAPI.Listen == "" {
		return h, nil
	}
	maxBody, err := cfg.HTTPAPI.maxBody()
	if err != nil {
		h.stop(context.Background())
		return nil, err
	}
	api := httpapi.New(httpapi.Options{
		Backend: &httpBackend{gw: gw, refs: h.refs}, Keeper: h.keeper,
		MaxBody: maxBody, MaxSegments: cfg.HTTPAPI.MaxSegments, IdempotencyTTL: cfg.HTTPAPI.idempotencyTTL(),
		Log: gw.log.With("part", "http api"), Unavailable: gw.httpUnavailable,
	})
	ln, err := net.Listen("tcp", cfg.HTTPAPI.Listen)
	if err != nil {
		h.stop(context.Background())
		return nil, fmt.Errorf("http_api.listen %s: %w", cfg.HTTPAPI.Listen, err)
	}
	h.ln, h.Addr = ln, ln.Addr().String()
	h.srv = &http.Server{Handler: api, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10}
	if cfg.HTTPAPI.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.HTTPAPI.CertFile, cfg.HTTPAPI.KeyFile)
		if err != nil {
			h.stop(context.Background())
			return nil, fmt.Errorf("http_api.cert_file: %w", err)
		}
		h.srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
		h.ln, h.TLS = tls.NewListener(ln, h.srv.TLSConfig), true
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		if err := h.srv.Serve(h.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			gw.log.Error("http api: the listener failed", "err", err)
		}
	}()
	if h.pebble != nil {
		h.wg.Add(1)
		go h.purgeLoop()
	}
	return h, nil
}

// purgeLoop removes the single node's expired idempotency answers and
// references hourly.
func (h *httpSide) purgeLoop() {
	defer h.wg.Done()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case now := <-t.C:
			if n, err := h.pebble.Purge(now); err != nil {
				h.gw.log.Error("http api: purging expired idempotency answers failed; tried again in an hour", "err", err)
			} else if n > 0 {
				h.gw.log.Info("http api: purged expired idempotency answers and references", "count", n)
			}
		}
	}
}

// syncWebhooks starts a sender for each account with a webhook and
// deliver_to webhook or both, updates those running, and stops those of
// accounts that no longer have one (at start and at each reload).
func (h *httpSide) syncWebhooks(cfg *Config, refs httpapi.References) {
	h.mu.Lock()
	defer h.mu.Unlock()
	want := map[string]bool{}
	for _, a := range cfg.Accounts {
		if a.Webhook == nil || (a.DeliverTo != deliverWebhook && a.DeliverTo != deliverBoth) {
			continue
		}
		want[a.SystemID] = true
		wc := webhook.Config{URL: a.Webhook.URL, Secret: a.Webhook.Secret, Timeout: a.Webhook.Timeout.D(),
			MinBackoff: a.Webhook.MinBackoff.D(), MaxBackoff: a.Webhook.MaxBackoff.D(), Concurrency: a.Webhook.Concurrency}
		if s := h.senders[a.SystemID]; s != nil {
			s.Update(wc)
			continue
		}
		h.senders[a.SystemID] = webhook.Start(h.gw.store.DeliveryQueue(), webhookKey(a.SystemID), wc,
			h.gw.hookEncoder(refs), h.gw.log.With("part", "webhook", "system_id", a.SystemID))
	}
	for id, s := range h.senders {
		if !want[id] {
			// Its deliveries stay under its webhook key for a later one.
			s.Stop()
			delete(h.senders, id)
		}
	}
}

// reload applies a reloaded configuration's webhooks (the listener's
// settings are read at start).
func (h *httpSide) reload(cfg *Config) {
	h.syncWebhooks(cfg, h.refs)
}

// stop closes the listener (letting requests in flight end within ctx),
// stops the webhook senders and closes the single node's idempotency store
// (a cluster's is the cluster's).
func (h *httpSide) stop(ctx context.Context) {
	if h.srv != nil {
		if err := h.srv.Shutdown(ctx); err != nil {
			h.gw.log.Warn("http api: requests still in flight at shutdown", "err", err)
		}
	}
	close(h.done)
	h.wg.Wait()
	h.mu.Lock()
	for id, s := range h.senders {
		s.Stop()
		delete(h.senders, id)
	}
	h.mu.Unlock()
	if h.pebble != nil {
		if err := h.pebble.Close(); err != nil {
			h.gw.log.Error("http api: closing the idempotency store", "err", err)
		}
	}
}
