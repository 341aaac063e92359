package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

const crashText = "crash " // + the message number

// reListenerOpen finds when the gateway opened its plaintext listener.
var reListenerOpen = regexp.MustCompile(`time=(\S+) level=WARN msg="plaintext SMPP listener open`)

func runCrashCell(t *testing.T, c crashCell) crashFigures {
	n, rate := *crashN, *crashRate
	dir := t.TempDir()
	journal := filepath.Join(dir, "journal.jsonl")
	var simArgs []string
	if !c.dedupe {
		simArgs = []string{"-dedupe-tlv", "0"}
	}
	sim := startSim(t, "127.0.0.1:0", journal, simArgs...)
	cf := filepath.Join(dir, "gateway.yaml")
	conf := gwConf{
		DataDir: filepath.Join(dir, "data"), Listen: freePort(t), Plain: freePort(t), HTTP: freePort(t),
		Accounts: "  - {system_id: load, password: loadpw, unlimited: true}\n", MOAccount: "load",
		Upstream: sim.Addr, NoDedupe: !c.dedupe,
	}.yaml(t)
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, "-config", cf, "-log-level", "warn")

	load := time.Duration(n) * time.Second / time.Duration(rate)
	// How long bench waits for the receipts once it has sent everything:
	// without a dedupe key the gateway syncs each message's in-flight mark
	// before it leaves, sends upstream slower than the load comes and
	// catches up later.
	receiptBound := 30*time.Second + 4*load
	rec := filepath.Join(dir, "record.jsonl")
	bench := startProc(t, "smppcli bench", bin(t, "smppcli"), "bench", "-addr", g.PlainAddr,
		"-system-id", "load", "-password", "loadpw", "-binds", "2", "-window", "500",
		"-n", strconv.Itoa(n), "-rate", strconv.Itoa(rate), "-text", crashText+"{n}",
		"-dlr", "-dlr-timeout", receiptBound.String(), "-dlr-linger", "1500ms",
		"-record", rec, "-json", "-no-progress")
	start := time.Now()

	var f crashFigures
	f.stopAt = 500 * time.Millisecond
	if c.peak {
		f.stopAt = load / 2
	}
	time.Sleep(time.Until(start.Add(f.stopAt)))
	stopped := time.Now()
	if c.sigterm {
		g.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-g.done:
		case <-time.After(30 * time.Second):
			t.Errorf("the gateway took more than 30 s to stop on SIGTERM")
			g.kill9()
		}
		if g.err != nil {
			t.Errorf("the gateway's graceful stop: %v", g.err)
		}
	} else {
		g.kill9()
	}
	launched := time.Now()
	g2 := startGateway(t, "-config", cf, "-log-level", "warn")
	f.down = time.Since(stopped)
	if g2.PlainAddr != g.PlainAddr {
		t.Fatalf("restarted on %s, want %s", g2.PlainAddr, g.PlainAddr)
	}
	// Nothing reaches the ESME from the restarted gateway before its
	// listener is open, and the ESME may still be reading what the stopped
	// one sent after the new one was launched: the moment it logs the
	// listener open divides the receipts of the two processes.
	// The line is on stderr, read apart from the banner on stdout: it may
	// be a moment behind.
	var m []string
	waitFor(t, 10*time.Second, "the restarted gateway's listener line on stderr", func() bool {
		m = reListenerOpen.FindStringSubmatch(g2.stderr.String())
		return m != nil
	})
	restarted := launched
	if at, err := time.Parse(time.RFC3339Nano, m[1]); err == nil && at.After(launched) {
		restarted = at
	} else {
		t.Logf("the restarted gateway's listener line has no time after its launch (%q): its receipts are those after its launch", m[0])
	}

	select {
	case <-bench.done:
	case <-time.After(load + receiptBound + time.Minute):
		t.Fatalf("smppcli bench still running %v after the start\n%s", time.Since(start), tail(bench.stderr.String(), 2000))
	}
	var res struct {
		Sent, Answered, OK uint64
		Errors             map[string]int
	}
	out := strings.TrimSpace(bench.stdout.String())
	if err := json.Unmarshal([]byte(out[strings.LastIndex(out, "\n")+1:]), &res); err != nil {
		t.Fatalf("smppcli bench printed %q (%v): %v\n%s", out, bench.err, err, tail(bench.stderr.String(), 2000))
	}
	f.sent, f.errors = int(res.Sent), res.Errors

	// The ESME's side: what was acknowledged, and the receipts.
	idOf := map[int]string{} // message number -> acknowledged id
	numOf := map[string]int{}
	type rcpt struct {
		t    time.Time
		stat string
	}
	receipts := map[string][]rcpt{}
	var lastAck, lastReceipt time.Time
	for _, l := range readRecord(t, rec) {
		switch l.Ev {
		case "resp":
			if l.Status == "ESME_ROK" {
				idOf[l.N], numOf[l.ID] = l.ID, l.N
				if l.T.Before(stopped) {
					f.ackedAtStop++
				}
				if l.T.After(lastAck) {
					lastAck = l.T
				}
			}
		case "receipt":
			receipts[l.ID] = append(receipts[l.ID], rcpt{l.T, l.Stat})
			if l.T.After(lastReceipt) {
				lastReceipt = l.T
			}
		}
	}
	f.receiptsTail = max(0, lastReceipt.Sub(lastAck))
	f.acked = len(idOf)
	if f.acked != int(res.OK) || res.Answered != uint64(n) || res.Sent != uint64(n) {
		t.Errorf("bench: sent %d, answered %d, ok %d (record: %d acknowledged); want %d sent and answered", res.Sent, res.Answered, res.OK, f.acked, n)
	}
	if f.acked < n/2 {
		t.Fatalf("only %d of %d submits acknowledged: %v", f.acked, n, res.Errors)
	}

	// The upstream's side: what was stored, by message number.
	stored := map[int][]journalEntry{}
	upReceipts := map[string][]journalEntry{} // upstream id -> receipts the gateway acknowledged
	noKey := 0
	for _, e := range readJournal(t, journal) {
		switch e.Ev {
		case "submit":
			if e.Dup {
				f.dupHits++
				continue
			}
			k, err := strconv.Atoi(strings.TrimPrefix(e.Text, crashText))
			if err != nil || !strings.HasPrefix(e.Text, crashText) {
				t.Errorf("upstream stored a message the bench did not send: %+v", e)
				continue
			}
			stored[k] = append(stored[k], e)
			if c.dedupe && e.Key == "" {
				noKey++
			} else if id, ok := idOf[k]; c.dedupe && ok && e.Key != id {
				t.Errorf("message %d (id %s) stored upstream with the key %q", k, id, e.Key)
			}
		case "receipt":
			upReceipts[e.ID] = append(upReceipts[e.ID], e)
		}
	}
	if noKey > 0 {
		t.Errorf("%d messages stored upstream without the dedupe key", noKey)
	}
	var twice []string
	for k, es := range stored {
		f.stored++
		if len(es) > 1 {
			f.twice++
			twice = append(twice, fmt.Sprintf("%d (id %s): %d times", k, idOf[k], len(es)))
		}
	}

	// Each acknowledged message: upstream, UNKNOWN, its receipts.
	var missing, unexplained, suspects []string
	for k, id := range idOf {
		rs := receipts[id]
		unknown := false
		for _, r := range rs {
			unknown = unknown || r.stat == "UNKNOWN"
		}
		switch {
		case unknown:
			f.unknown++
			if len(stored[k]) > 0 {
				f.unknownUpstream++
			}
		case len(stored[k]) == 0:
			suspects = append(suspects, id)
		}
		if len(rs) == 0 {
			f.missing++
			missing = append(missing, id)
		}
		if len(rs) > 1 {
			f.dupReceipts += len(rs) - 1
			// The one duplicate a kill may cause: a receipt the killed
			// process delivered in its last moments (its removal not on
			// disk yet; a second is plenty), delivered again by the
			// restarted one. The ESME may read the first copy after the
			// kill, from its socket's buffer.
			if !c.sigterm && len(rs) == 2 && rs[0].stat == rs[1].stat && rs[0].t.After(stopped.Add(-time.Second)) &&
				rs[0].t.Before(restarted) && !rs[1].t.Before(restarted) {
				f.oldestRedone = max(f.oldestRedone, stopped.Sub(rs[0].t))
			} else {
				f.unexplained++
				var at []string
				for _, r := range rs {
					at = append(at, fmt.Sprintf("%s %+.3f s", r.stat, r.t.Sub(restarted).Seconds()))
				}
				unexplained = append(unexplained, fmt.Sprintf("%s: %s", id, strings.Join(at, ", ")))
			}
		}
	}
	for id := range receipts {
		if _, ok := numOf[id]; !ok {
			f.strayReceipts += len(receipts[id])
		}
	}

	// Acknowledged, never upstream, no UNKNOWN receipt: ask the gateway.
	// UNKNOWN accounts for a message; ENROUTE means it is still queued, not
	// sent within the bound (its receipt is missing too); anything else
	// (the gateway does not know the id, or a final state without the
	// upstream) means lost.
	states := map[string]string{}
	if len(suspects) > 0 {
		states = queryStates(t, g2.PlainAddr, suspects)
	}
	var lost, queued []string
	for _, id := range suspects {
		switch states[id] {
		case pdu.StateUnknown.String():
			f.unknown++
		case pdu.StateEnroute.String():
			f.queued++
			queued = append(queued, id)
		default:
			f.lost++
			lost = append(lost, id)
		}
	}

	t.Logf("%s: sent %d, acknowledged %d (%d before the stop at %.2f s), not acknowledged %v; upstream: %d stored, %d resends answered from the key; lost %d, still queued in the gateway %d, UNKNOWN %d (%d of them stored upstream), sent twice %d; receipts missing %d, duplicated %d (%d otherwise than delivered in the killed gateway's last second and again after the restart; the others at most %.2f s before the kill), for ids never acknowledged %d; %.2f s from the stop to the restarted gateway's banner, the last receipt %.1f s after the last acknowledgement",
		c.name(), f.sent, f.acked, f.ackedAtStop, f.stopAt.Seconds(), f.errors, f.stored, f.dupHits, f.lost, f.queued, f.unknown, f.unknownUpstream, f.twice,
		f.missing, f.dupReceipts, f.unexplained, f.oldestRedone.Seconds(), f.strayReceipts, f.down.Seconds(), f.receiptsTail.Seconds())
	t.Logf("row: %s", f.row(c))

	// What the gateway logs and the journal say about the first few ids at fault.
	explain := func(what string, ids []string) {
		sort.Strings(ids)
		for _, id := range ids[:min(5, len(ids))] {
			k := numOf[id]
			var up []string
			for _, e := range stored[k] {
				up = append(up, fmt.Sprintf("stored as %s at %s, receipts acknowledged by the gateway %d", e.ID, e.T.Format("15:04:05.000"), len(upReceipts[e.ID])))
			}
			if len(up) == 0 {
				up = []string{"not stored upstream"}
			}
			st := states[id]
			if st == "" {
				st = "not queried"
			}
			t.Logf("%s: id %s (message %d): %s; ESME receipts %v; query_sm %s; gateway logs: %s", what, id, k, strings.Join(up, "; "), receipts[id], st,
				strings.Join(logLines(id, g, g2), " | "))
		}
	}
	if f.lost > 0 {
		t.Errorf("%d acknowledged messages lost: never stored upstream, not UNKNOWN, not queued in the gateway", f.lost)
		explain("lost", lost)
	}
	if f.queued > 0 {
		t.Errorf("%d acknowledged messages still queued in the gateway %v after the load, never sent upstream", f.queued, receiptBound)
		explain("still queued", queued)
	}
	if f.twice > 0 {
		sort.Strings(twice)
		t.Errorf("%d messages stored upstream more than once, e.g. %v", f.twice, twice[:min(5, len(twice))])
	}
	if f.missing > 0 {
		t.Errorf("%d acknowledged messages without a receipt %v after the load", f.missing, receiptBound)
		explain("receipt missing", missing)
	}
	if f.unexplained > 0 {
		// The restarted gateway's own count, against the ESME's.
		after := 0
		for _, rs := range receipts {
			for _, r := range rs {
				if !r.t.Before(restarted) {
					after++
				}
			}
		}
		t.Logf("after the restart the ESME got %d receipts; the restarted gateway counts %s", after, gatewayCounts(g2.HTTPAddr))
		sort.Strings(unexplained)
		t.Errorf("%d receipts duplicated otherwise than delivered by a killed gateway in its last second and again after the restart (times from the restarted gateway's listener opening), e.g. %s", f.unexplained, strings.Join(unexplained[:min(5, len(unexplained))], "; "))
	}
	if (c.sigterm || c.dedupe) && f.unknown > 0 {
		t.Errorf("%d messages UNKNOWN: a graceful stop, or an upstream with a dedupe key, leaves nothing in doubt", f.unknown)
	}
	return f
}
