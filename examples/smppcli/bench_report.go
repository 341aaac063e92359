package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// benchResult is what bench prints at the end (-json: this object).
type benchResult struct {
	Addr         string         `json:"addr"`
	TLS          bool           `json:"tls"`
	Binds        int            `json:"binds"`
	Window       int            `json:"window"`
	TargetRate   float64        `json:"target_rate,omitempty"`
	Receipts     bool           `json:"receipts_requested"`
	Sent         uint64         `json:"sent"`
	Answered     uint64         `json:"answered"`
	OK           uint64         `json:"ok"`
	Errors       map[string]int `json:"errors"`
	ReceiptsGot  uint64         `json:"receipts"`
	Unmatched    uint64         `json:"receipts_unmatched,omitempty"` // receipts for no accepted message, or for one that had its receipt already
	ReceiptStats map[string]int `json:"receipt_stats,omitempty"`
	Elapsed      float64        `json:"elapsed_s"`       // first submit to last response
	Throughput   float64        `json:"throughput"`      // responses per second
	ReceiptsRate float64        `json:"receipt_rate"`    // receipts per second, first submit to last receipt
	ReceiptsTime float64        `json:"receipts_time_s"` // first submit to last receipt
	SubmitLat    latency        `json:"submit_sm_resp_latency_ms"`
	ReceiptLat   *latency       `json:"receipt_latency_ms,omitempty"`
	Complete     bool           `json:"complete"` // every message answered (and every accepted one has a receipt)
	Record       string         `json:"record,omitempty"`
}

type latency struct {
	Count int64   `json:"count"`
	Min   float64 `json:"min"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

func latencyOf(h *hdrhistogram.Histogram) latency {
	ms := func(v int64) float64 { return float64(v) / 1000 } // recorded in µs
	return latency{
		Count: h.TotalCount(), Min: ms(h.Min()), Max: ms(h.Max()), Mean: h.Mean() / 1000,
		P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)),
		P99: ms(h.ValueAtQuantile(99)), P999: ms(h.ValueAtQuantile(99.9)),
	}
}

func (l latency) String() string {
	return fmt.Sprintf("p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms  (n=%d)", l.P50, l.P90, l.P99, l.P999, l.Max, l.Count)
}

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, 60_000_000, 3) } // 1 µs .. 60 s

func printBench(w io.Writer, r benchResult) {
	scheme := "plaintext"
	if r.TLS {
		scheme = "TLS"
	}
	fmt.Fprintf(w, "bench %s (%s), %d bind(s), window %d", r.Addr, scheme, r.Binds, r.Window)
	if r.TargetRate > 0 {
		fmt.Fprintf(w, ", target %.0f msg/s", r.TargetRate)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  sent %d, answered %d (ok %d) in %.3f s: %.0f msg/s\n", r.Sent, r.Answered, r.OK, r.Elapsed, r.Throughput)
	fmt.Fprintf(w, "  submit_sm_resp latency: %s\n", r.SubmitLat)
	if r.Receipts {
		fmt.Fprintf(w, "  receipts %d in %.3f s: %.0f receipts/s\n", r.ReceiptsGot, r.ReceiptsTime, r.ReceiptsRate)
		if r.Unmatched > 0 {
			fmt.Fprintf(w, "  receipts unmatched: %d (duplicates, or for messages not accepted)\n", r.Unmatched)
		}
		if r.ReceiptLat != nil {
			fmt.Fprintf(w, "  receipt latency:        %s\n", *r.ReceiptLat)
		}
		fmt.Fprintf(w, "  receipt stats: %s\n", mapString(r.ReceiptStats))
	}
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "  errors: none")
	} else {
		fmt.Fprintf(w, "  errors by command_status: %s\n", mapString(r.Errors))
	}
	if r.Record != "" {
		fmt.Fprintf(w, "  recorded to %s\n", r.Record)
	}
}

func mapString(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for i, k := range keys {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s=%d", k, m[k])
	}
	return sb.String()
}
