package main

// The crash matrix: the gateway stopped under load, by SIGKILL or SIGTERM,
// with an upstream that honours its dedupe key or one that does not, early in
// the load or at its peak, and restarted on the same data folder and ports.
// The load is smppcli bench (a separate process, -record), the upstream an
// smsc-sim process with a journal; each cell counts what was acknowledged,
// lost, marked UNKNOWN, sent twice upstream, and the receipts missing or
// duplicated. crashmatrix.sh runs it with more messages and prints the table.

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	crashN    = flag.Int("crashmatrix.n", 12_000, "TestCrashMatrix: messages per cell")
	crashRate = flag.Int("crashmatrix.rate", 6_000, "TestCrashMatrix: messages per second of the load (smppcli bench -rate)")
)

// crashCell is one cell of the matrix.
type crashCell struct {
	sigterm bool // a graceful stop; false: kill -9
	dedupe  bool // the upstream honours the gateway's dedupe_tlv
	peak    bool // stopped halfway through the load; false: 0.5 s into it
}

func (c crashCell) name() string {
	return strings.Join([]string{map[bool]string{false: "kill9", true: "sigterm"}[c.sigterm],
		map[bool]string{false: "nodedupe", true: "dedupe"}[c.dedupe],
		map[bool]string{false: "early", true: "peak"}[c.peak]}, "/")
}

// crashFigures are a cell's counts.
type crashFigures struct {
	sent, acked     int
	ackedAtStop     int // acknowledged before the signal
	errors          map[string]int
	stored, dupHits int           // new submissions upstream; resends answered from the dedupe key
	lost            int           // acknowledged, not upstream, not UNKNOWN, not queued in the gateway
	queued          int           // acknowledged, not upstream by the end: still queued in the gateway (late)
	unknown         int           // acknowledged and marked UNKNOWN (receipt or query_sm)
	unknownUpstream int           // of which the upstream did get the message (sent once, in doubt)
	twice           int           // messages stored upstream more than once
	missing         int           // acknowledged messages without a receipt
	dupReceipts     int           // receipts beyond the first, for acknowledged messages
	unexplained     int           // of which not "delivered by the killed gateway in its last second, again after the restart"
	oldestRedone    time.Duration // of the others: the longest from the first copy to the kill
	strayReceipts   int           // receipts for ids the ESME was never given
	stopAt, down    time.Duration
	receiptsTail    time.Duration // from the last acknowledgement to the last receipt
}

// row is the cell's line of the table in README.
func (f crashFigures) row(c crashCell) string {
	stop := map[bool]string{false: "kill -9", true: "SIGTERM"}[c.sigterm]
	up := map[bool]string{false: "no dedupe", true: "dedupe"}[c.dedupe]
	when := fmt.Sprintf("early (%.1f s)", f.stopAt.Seconds())
	if c.peak {
		when = fmt.Sprintf("peak (%.1f s)", f.stopAt.Seconds())
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %d | %d | %d | %d | %d | %d | %.1f s | %.1f s |", stop, up, when,
		thousands(f.sent), thousands(f.acked), f.lost, f.queued, f.unknown, f.twice, f.missing, f.dupReceipts, f.down.Seconds(), f.receiptsTail.Seconds())
}

const crashTableHeader = "| stop | upstream | stopped at | sent | acknowledged | lost | still queued | UNKNOWN | sent twice | receipts missing | receipts duplicated | stop to restarted | last receipt after last ack |\n" +
	"|---|---|---|---|---|---|---|---|---|---|---|---|---|"

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestCrashMatrix runs every cell of {kill -9, SIGTERM} x {dedupe, no dedupe}
// x {early, peak}, one after the other (each loads the machine on its own).
// Goals in every cell: nothing acknowledged lost (an UNKNOWN receipt or
// query_sm state accounts for a message in doubt), nothing stored upstream
// twice, every acknowledged message with a receipt. A kill -9 may deliver
// again a receipt the killed process delivered in its last moments; a
// SIGTERM leaves nothing in doubt: no UNKNOWN, no receipt twice.
func TestCrashMatrix(t *testing.T) {
	t.Parallel()
	var rows []string
	for _, sigterm := range []bool{false, true} {
		for _, dedupe := range []bool{true, false} {
			for _, peak := range []bool{false, true} {
				c := crashCell{sigterm: sigterm, dedupe: dedupe, peak: peak}
				t.Run(c.name(), func(t *testing.T) {
					f := runCrashCell(t, c)
					rows = append(rows, f.row(c))
				})
			}
		}
	}
	t.Logf("%s messages per cell at %s msg/s (-crashmatrix.n, -crashmatrix.rate):\n%s\n%s",
		thousands(*crashN), thousands(*crashRate), crashTableHeader, strings.Join(rows, "\n"))
}
