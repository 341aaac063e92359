//go:build interop

package main

// The live status page in headless Chromium (scripts/install-test-deps.sh
// installs it) while a bounded load runs: the page's script polls
// /status.json and renders non-zero rates and charts; a screenshot is
// taken into the test's temporary folder, and copied to
// $STATUS_SCREENSHOT when that is set.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
)

// chromiumRun runs headless Chromium with a fresh profile on url, with
// the page's scripts given budget of virtual time, and the extra flags.
func chromiumRun(t *testing.T, chromium, url string, budget time.Duration, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--hide-scrollbars", "--user-data-dir=" + t.TempDir(),
		"--virtual-time-budget=" + strconv.Itoa(int(budget/time.Millisecond))}
	cmd := exec.CommandContext(ctx, chromium, append(append(args, extra...), url)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\nstderr:\n%s", extra, err, tail(stderr.String(), 3000))
	}
	return out
}

// TestStatusPageLiveChromium: under load the page, run by Chromium, shows
// non-zero rates in its tiles and in the account's and upstream's rows,
// draws its charts, and says it is live.
func TestStatusPageLiveChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed: run scripts/install-test-deps.sh (%v)", err)
	}
	a, base := inprocHTTP(t, func(c *Config) {
		c.Accounts = []AccountConfig{{SystemID: "demo", Password: "demo1234", Rate: 1000},
			{SystemID: "idle", Password: "idle1234", Rate: 50, MaxBinds: 2}}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var receipts atomic.Int64
	c, err := client.Dial(ctx, a.PlainAddr, client.Config{SystemID: "demo", Password: "demo1234", Rate: 700, Logger: quietLogger(),
		Handler: client.HandlerFunc(func(context.Context, *client.Delivery) error { receipts.Add(1); return nil })})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())

	// The load: 700 msg/s with receipts, until Chromium is done or 20,000
	// messages (about 30 s) have gone.
	const most = 20000
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 40; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if _, err := c.Submit(context.Background(), &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: fmt.Sprintf("2547%08d", i),
					RegisteredDelivery: 1, ShortMessage: []byte("status page under load")}); err != nil {
					failed.Add(1)
					continue
				}
				sent.Add(1)
			}
		}()
	}
	start := time.Now()
	go func() {
		defer close(next)
		for i := 0; i < most; i++ {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() {
		cancel()
		wg.Wait()
		t.Logf("load: %d accepted, %d failed in %v; %d receipts", sent.Load(), failed.Load(), time.Since(start).Round(time.Millisecond), receipts.Load())
	}()
	// A few samples of it first, for the charts.
	eventually(t, 20*time.Second, func() string {
		s := getStatusJSON(t, base+"/status.json")
		if len(s.History) < 3 || s.Latest.Total.Accepted == 0 || s.Latest.Total.Delivered == 0 {
			return fmt.Sprintf("%d samples, latest %+v", len(s.History), s.Latest)
		}
		return ""
	})

	dom := string(chromiumRun(t, chromium, base+"/", 3*time.Second, "--dump-dom"))
	if !strings.Contains(dom, `data-live="1"`) {
		t.Fatalf("the page's script did not apply /status.json (no data-live on body):\n%s", dom)
	}
	value := func(re string) float64 {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(dom)
		if m == nil {
			t.Errorf("no match for %s in the DOM", re)
			return 0
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		if err != nil {
			t.Errorf("%s: %q is not a number", re, m[1])
		}
		return v
	}
	figures := map[string]float64{
		"accepted tile":      value(`id="v-accepted">([0-9.,]+)<`),
		"delivered tile":     value(`id="v-delivered">([0-9.,]+)<`),
		"upstream sent tile": value(`id="v-sent">([0-9.,]+)<`),
		"submit p50 tile":    value(`id="v-p50">([0-9.,]+)<`),
		"submit p99 tile":    value(`id="v-p99">([0-9.,]+)<`),
		"demo accepted":      value(`data-id="demo">.*?<td class="num r-accepted">([0-9.,]+)<`),
		"demo p50":           value(`data-id="demo">.*?<td class="num p50">([0-9.,]+)<`),
		"demo p99":           value(`data-id="demo">.*?<td class="num p99">([0-9.,]+)<`),
		"sim sent":           value(`data-id="sim">.*?<td class="num r-sent">([0-9.,]+)<`),
	}
	for name, v := range figures {
		if v <= 0 {
			t.Errorf("%s shows %v under load, want above 0", name, v)
		}
	}
	t.Logf("the page under load: %v", figures)
	if n := strings.Count(dom, `<path d="M`); n < 6 {
		t.Errorf("%d chart lines drawn, want one per chart at least (6)", n)
	}
	if !strings.Contains(dom, `<td class="system-id">idle</td><td class="rate">50</td>`) {
		t.Errorf("the idle account is not listed")
	}
	if !regexp.MustCompile(`<div class="session">BOUND_TRX from 127\.0\.0\.1:`).MatchString(dom) {
		t.Errorf("the demo session is not listed")
	}

	shot := filepath.Join(t.TempDir(), "status.png")
	chromiumRun(t, chromium, base+"/", 3*time.Second, "--window-size=1400,1300", "--screenshot="+shot)
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 20000 {
		t.Errorf("the screenshot is not a PNG of a drawn page (%d bytes)", len(b))
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(b))
	if dst := os.Getenv("STATUS_SCREENSHOT"); dst != "" {
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Errorf("copying the screenshot to $STATUS_SCREENSHOT: %v", err)
		}
	}
}
