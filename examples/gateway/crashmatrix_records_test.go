package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
)

// benchLine is one line of smppcli bench -record.
type benchLine struct {
	Ev     string    `json:"ev"`
	T      time.Time `json:"t"`
	N      int       `json:"n"`
	Status string    `json:"status"`
	ID     string    `json:"id"`
	Stat   string    `json:"stat"`
}

func readRecord(t *testing.T, path string) []benchLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []benchLine
	for _, s := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if s == "" {
			continue
		}
		var l benchLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("bench record line %q: %v", s, err)
		}
		out = append(out, l)
	}
	return out
}

// queryStates asks the gateway for the state of ids (query_sm, from a
// transmitter bind of the same account: it takes no receipts away from the
// bench's binds); an id the gateway does not answer for maps to the error.
func queryStates(t *testing.T, addr string, ids []string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, client.Config{SystemID: "load", Password: "loadpw", Mode: client.Transmitter, Logger: quietLogger()})
	if err != nil {
		t.Errorf("query_sm bind: %v", err)
		return nil
	}
	defer c.Close(context.Background())
	fs := make([]*client.Future[*pdu.QuerySMResp], len(ids))
	for i, id := range ids {
		fs[i] = c.QuerySMAsync(ctx, &pdu.QuerySM{MessageID: id, SourceAddr: "1000"})
	}
	out := map[string]string{}
	for i, f := range fs {
		r, err := f.Wait(ctx)
		var st pdu.Status
		switch {
		case err == nil:
			out[ids[i]] = r.MessageState.String()
		case errors.As(err, &st):
			out[ids[i]] = st.String()
		default:
			out[ids[i]] = err.Error()
		}
	}
	return out
}

// gatewayCounts returns the gateway's counters of receipts from the upstream
// and of deliveries the ESMEs acknowledged.
func gatewayCounts(httpAddr string) string {
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	sums := map[string]float64{}
	names := []string{"smpp_gateway_receipts_total", "smpp_gateway_deliveries_acked_total", "smpp_gateway_final_by_gateway_total"}
	for _, l := range strings.Split(string(b), "\n") {
		for _, n := range names {
			if rest, ok := strings.CutPrefix(l, n); ok && (rest[0] == '{' || rest[0] == ' ') {
				v, _ := strconv.ParseFloat(rest[strings.LastIndexByte(rest, ' ')+1:], 64)
				sums[n] += v
			}
		}
	}
	return fmt.Sprintf("%.0f receipts from the upstream, %.0f deliveries acknowledged by ESMEs, %.0f messages finalised by the gateway itself",
		sums[names[0]], sums[names[1]], sums[names[2]])
}

// logLines returns the gateways' log lines that mention id.
func logLines(id string, gs ...*gateway) []string {
	var out []string
	for i, g := range gs {
		for _, l := range strings.Split(g.stderr.String(), "\n") {
			if strings.Contains(l, id) {
				out = append(out, fmt.Sprintf("[gateway %d] %s", i+1, l))
			}
		}
	}
	if len(out) == 0 {
		out = []string{"none"}
	}
	return out
}
