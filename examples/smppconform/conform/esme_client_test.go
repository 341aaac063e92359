package conform

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/session"
)

// clientDriver makes a client.Client send what a case asks for, without
// waiting for the answers (the case may hold them).
func clientDriver(c *client.Client, wg *sync.WaitGroup) func(ctx context.Context, kind string) error {
	send := func(text string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c.SendText(ctx, "1000", "254700000001", text)
		}()
	}
	return func(ctx context.Context, kind string) error {
		switch kind {
		case DriveSubmit:
			send("Hello from the conformance test")
		case DriveUnicode:
			send("Привет, мир")
		case DriveLong:
			send(strings.Repeat("A long text that no single message can hold. ", 9))
		case DriveBurst:
			for range 20 {
				send("burst message")
			}
		}
		return nil
	}
}

// esmeRun runs the selected ESME cases with the ESME options o on ln.
func esmeRun(t *testing.T, o *ESMEOptions, profile Profile, patterns ...string) []Result {
	t.Helper()
	cfg := &Config{Addr: o.Listener.Addr().String(), SystemID: "conform", Password: "secret",
		Profile: profile, Timeout: 2 * time.Second, CaseTimeout: 40 * time.Second}
	cfg.ESME = o
	t.Cleanup(func() { o.Close() })
	return Run(context.Background(), cfg, Select(Cases(ESME), patterns))
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestESMEOwnClient plays every ESME case against this module's client:
// each must pass, or be skipped with its reason (outbind: the client does
// not listen for one).
func TestESMEOwnClient(t *testing.T) {
	// In parallel with the third-party ESME runs (interop tag): each has its
	// own listener, and the cases mostly wait.
	t.Parallel()
	if n := len(Cases(ESME)); n < 25 {
		t.Fatalf("%d ESME cases, want at least 25", n)
	}
	ln := listen(t)
	c, err := client.New(ln.Addr().String(), client.Config{
		SystemID: "conform", Password: "secret",
		Session:    session.Config{Window: 5},
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 500 * time.Millisecond,
		RetryThrottled: true,
		Logger:         slog.New(slog.DiscardHandler),
		Handler:        client.HandlerFunc(func(context.Context, *client.Delivery) error { return nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer c.Close(context.Background())
	o := &ESMEOptions{Listener: ln, Window: 5, ConnectTimeout: 10 * time.Second, Driver: clientDriver(c, &wg)}
	rs := esmeRun(t, o, Profile{"data_sm": true})
	pass := 0
	for _, r := range rs {
		switch {
		case r.Status == Pass:
			pass++
		case r.Status == Skip && r.Reason != "" && r.Case.Group == "outbind":
		default:
			t.Errorf("%s (%s): %v %s\n%s", r.Case.ID, r.Case.Section, r.Status, r.Reason, strings.Join(r.Log, "\n"))
		}
	}
	if pass < len(rs)-1 {
		t.Errorf("%d of %d cases passed", pass, len(rs))
	}
}
