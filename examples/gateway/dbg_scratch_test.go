package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

func TestScratchThrottle(t *testing.T) {
	g := startGatewayConfig(t, gwConf{Accounts: "  - {system_id: slow, password: slowpw, rate: 50, burst: 10}\n", MOAccount: "slow"}.yaml(t))
	e := newESME(t, esmeOpts{addr: g.PlainAddr, systemID: "slow", password: "slowpw", window: 200})
	var wg sync.WaitGroup
	wg.Add(200)
	for i := 0; i < 200; i++ {
		e.submit(context.Background(), fmt.Sprint("x", i), wg.Done)
	}
	wg.Wait()
	missing := e.waitReceipts(10 * time.Second)
	t.Logf("statuses %v missing %v", e.statuses, missing)
	for id, rs := range e.receipts {
		acked := false
		for _, a := range e.acked { if a == id { acked = true } }
		t.Logf("receipt id %s n=%d acked=%v textid=%s", id, len(rs), acked, rs[0].TextID)
	}
	for _, id := range missing {
		r, err := e.c.QuerySM(context.Background(), &pdu.QuerySM{MessageID: id, SourceAddr: "1000"})
		t.Logf("query %s: %+v %v", id, r, err)
	}
	resp, _ := http.Get("http://" + g.HTTPAddr + "/metrics")
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "gateway_") || strings.HasPrefix(l, "smpp") {
			t.Log(l)
		}
	}
	resp, _ = http.Get("http://" + g.HTTPAddr + "/")
	b, _ = io.ReadAll(resp.Body)
	t.Log(string(b))
}
