package main

import (
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// HTTPAPIConfig is the HTTP API's listener (http_api:): the JSON send API
// of package httpapi, on a listener of its own (the status page and metrics
// stay on http_listen). Off unless listen is set; the demo (no -config)
// listens on demoHTTPAPIListen (set by main, so that tests starting the
// defaults in-process bind no fixed port), -http-api ADDR moves it.
type HTTPAPIConfig struct {
	// Listen is the address, e.g. "127.0.0.1:8081"; "" = off.
	Listen string `yaml:"listen"`
	// CertFile and KeyFile, when set, serve HTTPS with TLS 1.3 only; empty:
	// plain HTTP (loopback or behind a TLS proxy).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// MaxBody is the largest request body ("64KiB" default, 1KiB..16MiB):
	// 413 beyond.
	MaxBody string `yaml:"max_body"`
	// MaxSegments is the most segments a text may need (default 10, at
	// most 255): 422 beyond.
	MaxSegments int `yaml:"max_segments"`
	// IdempotencyTTL is how long the answer to an Idempotency-Key is kept
	// (default 24h).
	IdempotencyTTL Duration `yaml:"idempotency_ttl"`
}

// demoHTTPAPIListen is the demo's HTTP API address.
const demoHTTPAPIListen = "127.0.0.1:8081"

// WebhookConfig is an account's webhook (accounts[].webhook): where its
// receipts and MO messages are posted when deliver_to is webhook or both.
type WebhookConfig struct {
	URL        string   `yaml:"url"`         // http:// or https://
	Secret     string   `yaml:"secret"`      // HMAC-SHA256 key of the signature, 16 characters at least
	Timeout    Duration `yaml:"timeout"`     // one attempt; default 10s
	MinBackoff Duration `yaml:"min_backoff"` // after the first failure, doubling; default 1s
	MaxBackoff Duration `yaml:"max_backoff"` // the cap; default 10m
	// Concurrency is how many posts of the account may be in flight
	// (default 4; read at start).
	Concurrency int `yaml:"concurrency"`
}

// The values of accounts[].deliver_to.
const (
	deliverSMPP    = "smpp"    // receipts and MO to the account's SMPP receiver binds (the default)
	deliverWebhook = "webhook" // to its webhook only
	deliverBoth    = "both"    // to both, each at least once
)

// maxBody returns http_api.max_body in bytes.
func (h HTTPAPIConfig) maxBody() (int64, error) {
	return checkSize("http_api.max_body", h.MaxBody, 64<<10, 1<<10, 16<<20)
}

// idempotencyTTL returns http_api.idempotency_ttl or its default.
func (h HTTPAPIConfig) idempotencyTTL() time.Duration {
	if d := h.IdempotencyTTL.D(); d > 0 {
		return d
	}
	return 24 * time.Hour
}

// validateHTTP checks http_api: and the accounts' HTTP keys (deliver_to,
// webhook, api_keys), naming the key and its line.
func (c *Config) validateHTTP() error {
	h := c.HTTPAPI
	if h.Listen != "" {
		if _, _, err := net.SplitHostPort(h.Listen); err != nil {
			return c.errorf("http_api.listen", "%q: want host:port, e.g. 127.0.0.1:8081 (%v)", h.Listen, err)
		}
		if !loopbackAddr(h.Listen) && h.CertFile == "" {
			return c.errorf("http_api.listen", "%q is open to the network without TLS: set http_api.cert_file and key_file "+
				"(credentials travel in every request), or listen on 127.0.0.1 behind a TLS proxy", h.Listen)
		}
		for i, a := range c.Accounts {
			if a.Password == demoPassword && !loopbackAddr(h.Listen) {
				return c.errorf(fmt.Sprintf("accounts[%d].password", i), "account %s has the built-in demo password, which the README publishes, "+
					"and http_api.listen %q is open to the network: give it a password_hash of its own, or listen on 127.0.0.1 only", a.SystemID, h.Listen)
			}
		}
	}
	if (h.CertFile == "") != (h.KeyFile == "") {
		return c.errorf("http_api.cert_file", "give http_api.cert_file and key_file together, or neither for plain HTTP")
	}
	if h.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(h.CertFile, h.KeyFile); err != nil {
			return c.errorf("http_api.cert_file", "%v", err)
		}
	}
	if _, err := h.maxBody(); err != nil {
		return fmt.Errorf("%w%s", err, c.lines.at("http_api.max_body"))
	}
	if h.MaxSegments < 0 || h.MaxSegments > 255 {
		return c.errorf("http_api.max_segments", "%d: want 1 to 255 (0: 10)", h.MaxSegments)
	}
	if h.IdempotencyTTL.D() < 0 {
		return c.errorf("http_api.idempotency_ttl", "%s: want a positive duration (0: 24h)", h.IdempotencyTTL.D())
	}
	for i := range c.Accounts {
		if err := c.validateAccountHTTP(i); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateAccountHTTP(i int) error {
	a, p := &c.Accounts[i], fmt.Sprintf("accounts[%d]", i)
	switch a.DeliverTo {
	case "":
		a.DeliverTo = deliverSMPP
	case deliverSMPP, deliverWebhook, deliverBoth:
	default:
		return c.errorf(p+".deliver_to", "%q: want smpp, webhook or both", a.DeliverTo)
	}
	if w := a.Webhook; w != nil {
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c.errorf(p+".webhook.url", "%q: want an http:// or https:// URL", w.URL)
		}
		if len(w.Secret) < 16 {
			return c.errorf(p+".webhook.secret", "account %s: the webhook secret needs 16 characters at least (e.g. openssl rand -hex 32)", a.SystemID)
		}
		for _, d := range []struct {
			key string
			v   Duration
		}{{"timeout", w.Timeout}, {"min_backoff", w.MinBackoff}, {"max_backoff", w.MaxBackoff}} {
			if d.v.D() < 0 {
				return c.errorf(p+".webhook."+d.key, "%s: want a positive duration (0: the default)", d.v.D())
			}
		}
		if w.Concurrency < 0 || w.Concurrency > 64 {
			return c.errorf(p+".webhook.concurrency", "%d: want 1 to 64 (0: 4)", w.Concurrency)
		}
	} else if a.DeliverTo != deliverSMPP {
		return c.errorf(p+".deliver_to", "account %s: deliver_to %s needs a webhook: section with url and secret", a.SystemID, a.DeliverTo)
	}
	for j, k := range a.APIKeys {
		if _, err := apiKeyHash(k); err != nil {
			return c.errorf(fmt.Sprintf("%s.api_keys[%d]", p, j), "%v", err)
		}
	}
	return nil
}

// apiKeyHash parses an api_keys entry, "sha256:" and 64 hex digits.
func apiKeyHash(s string) ([32]byte, error) {
	var h [32]byte
	hx, ok := strings.CutPrefix(s, "sha256:")
	b, err := hex.DecodeString(hx)
	if !ok || err != nil || len(b) != 32 {
		return h, fmt.Errorf("want \"sha256:\" and the 64 hex digits of the key's SHA-256 " +
			"(printf %%s \"$KEY\" | sha256sum; make keys with openssl rand -hex 32), not the key itself")
	}
	copy(h[:], b)
	return h, nil
}
