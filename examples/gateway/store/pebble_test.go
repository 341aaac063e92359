package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

func openPebble(t testing.TB, dir string) *Pebble {
	t.Helper()
	return openPebbleWith(t, dir, PebbleOptions{})
}

// openPebbleWith opens the store in dir with opts, its cache and memtable
// sized for tests unless opts sets them.
func openPebbleWith(t testing.TB, dir string, opts PebbleOptions) *Pebble {
	t.Helper()
	if opts.CacheSize == 0 {
		opts.CacheSize = 8 << 20
	}
	if opts.MemTableSize == 0 {
		opts.MemTableSize = 4 << 20
	}
	s, err := OpenPebble(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPebbleReopen checks that everything survives Close and reopen, and
// that delivery Seqs keep increasing across restarts even when every
// delivery was removed.
func TestPebbleReopen(t *testing.T) {
	dir := t.TempDir()
	s := openPebble(t, dir)
	m := fullMessage("r1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m2 := fullMessage("r2")
	if err := s.Accept(m2); err != nil {
		t.Fatal(err)
	}
	m2.State, m2.Route, m2.UpstreamID = Enroute, "up", "X1"
	if err := s.MapUpstream(m2, "x1"); err != nil {
		t.Fatal(err)
	}
	d1 := &Delivery{Account: "a", Body: []byte("kept")}
	d2 := &Delivery{Account: "b", Body: []byte("removed")}
	for _, d := range []*Delivery{d1, d2} {
		if err := s.DeliveryQueue().Add(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if err := dropDelivery(s, "b", d2.Seq); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openPebble(t, dir)
	if got := mustGet(t, s, "r1"); !equalMessage(got, m) {
		t.Fatalf("r1 after reopen: %+v", got)
	}
	if got := mustGet(t, s, "r2"); !equalMessage(got, m2) {
		t.Fatalf("r2 after reopen: %+v", got)
	}
	if id, err := s.LookupUpstream("up", "x1"); err != nil || id != "r2" {
		t.Fatalf("LookupUpstream after reopen = %q, %v", id, err)
	}
	// Neither ticket was acked: both are handed out again.
	if got := ticketsOf(claimAll(t, s.Queue(), 2)); !sameTickets(got, []queue.Ticket{{ID: "r1", Rev: 1, Due: m.NextTry}, {ID: "r2", Rev: 1, Due: m2.NextTry}}) {
		t.Fatalf("tickets after reopen = %v", got)
	}
	if accs, err := s.DeliveryQueue().Accounts(); err != nil || len(accs) != 1 || accs[0] != "a" {
		t.Fatalf("Accounts after reopen = %v, %v", accs, err)
	}
	if err := dropDelivery(s, "a", d1.Seq); err != nil {
		t.Fatal(err)
	}
	d3 := &Delivery{Account: "a", Body: []byte("new")}
	if err := s.DeliveryQueue().Add(context.Background(), d3); err != nil {
		t.Fatal(err)
	}
	if d3.Seq <= d2.Seq {
		t.Fatalf("Seq after reopen %d, not above %d", d3.Seq, d2.Seq)
	}
	s.Close()

	// Once more, without anything queued between.
	s = openPebble(t, dir)
	defer s.Close()
	if err := dropDelivery(s, "a", d3.Seq); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openPebble(t, dir)
	defer s.Close()
	d4 := &Delivery{Account: "a"}
	if err := s.DeliveryQueue().Add(context.Background(), d4); err != nil {
		t.Fatal(err)
	}
	if d4.Seq <= d3.Seq {
		t.Fatalf("Seq after second reopen %d, not above %d", d4.Seq, d3.Seq)
	}
}

const crashEnv = "GATEWAY_STORE_CRASH_DIR"

// TestPebbleCrashChild is the child process of TestPebbleCrash: it accepts
// messages from several goroutines until killed, printing each id once
// Accept (synced) returned.
func TestPebbleCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("only run as the child of TestPebbleCrash")
	}
	s, err := OpenPebble(dir, PebbleOptions{CacheSize: 8 << 20, MemTableSize: 1 << 20})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var n atomic.Int64
	for w := 0; w < 8; w++ {
		go func() {
			for {
				id := fmt.Sprintf("c%d-%d-%d", os.Getpid(), w, n.Add(1))
				m := fullMessage(id)
				if err := s.Accept(m); err != nil {
					fmt.Println("ERR", err)
					os.Exit(2)
				}
				// Some non-synced traffic in between, as in the gateway.
				m.State = Inflight
				s.Mark(m)
				mu.Lock()
				os.Stdout.WriteString("OK " + id + "\n")
				mu.Unlock()
			}
		}()
	}
	select {}
}

// TestPebbleCrash kills a process that is writing synced Accepts with
// SIGKILL and checks that every Accept it acknowledged is in the store.
// (SIGKILL leaves the page cache intact, so this tests WAL recovery, not
// the fsync itself.)
func TestPebbleCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	for round := 0; round < 2; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPebbleCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after 1000 acknowledged ids, or 2s after the first one on a
		// slow machine.
		var once sync.Once
		var killed atomic.Bool
		kill := func() {
			once.Do(func() {
				killed.Store(true)
				cmd.Process.Signal(syscall.SIGKILL)
			})
		}
		deadline := time.AfterFunc(30*time.Second, kill)
		var acked []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if id, ok := strings.CutPrefix(line, "OK "); ok {
				acked = append(acked, id)
				if len(acked) == 1 {
					time.AfterFunc(2*time.Second, kill)
				}
				if len(acked) == 1000 {
					kill()
				}
				// Keep reading after the kill: lines already in the pipe
				// were acknowledged too.
			} else if strings.HasPrefix(line, "ERR") {
				kill()
				t.Fatalf("child: %s", line)
			}
		}
		deadline.Stop()
		err = cmd.Wait()
		if !killed.Load() || len(acked) == 0 {
			t.Fatalf("child ended before being killed: %v (acked %d)", err, len(acked))
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("child exit: %v", err)
		}

		s := openPebble(t, dir)
		for _, id := range acked {
			m, err := s.Get(id)
			if err != nil {
				t.Fatalf("round %d: acknowledged %s missing after crash: %v", round, id, err)
			}
			if m.ID != id || m.State != Queued && m.State != Inflight {
				t.Fatalf("round %d: %s: bad record %+v", round, id, m)
			}
		}
		t.Logf("round %d: %d acknowledged ids all present", round, len(acked))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPebbleCloseConcurrent closes the store while goroutines use it: they
// must get ErrClosed, never a panic.
func TestPebbleCloseConcurrent(t *testing.T) {
	s := openPebble(t, t.TempDir())
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				err := lifecycle(s, fmt.Sprintf("%d-%d", w, i), "a")
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}

// TestPebblePurgeEarlierLayout checks that Purge leaves nothing of a message
// written before state records existed (the whole message in its m record
// and every upstream index entry of it under x), nor of one mapped twice.
func TestPebblePurgeEarlierLayout(t *testing.T) {
	s := openPebble(t, t.TempDir())
	defer s.Close()
	m := fullMessage("old")
	m.State, m.Route, m.UpstreamID, m.Done = Delivered, "r", "UP1", time.Now().Add(-time.Hour)
	b := s.db.NewBatch()
	// A record of then: without the Rev at its end, it reads as Rev 1.
	// (nor a Bind, after the Rev).
	m.Bind = ""
	rec := appendMessage(nil, m)
	rec = rec[:len(rec)-bindLen(m.Bind)]
	b.Set(appendMsgKey(nil, kindMessage, m.ID), rec[:len(rec)-revLen(m.Rev)], nil)
	m.Rev = 1
	b.Set(appendFinalKey(nil, m.Done, m.ID), nil, nil)
	for _, k := range []string{"up1", "1"} {
		b.Set(appendUpKey(nil, "r", k), []byte(m.ID), nil)
		x := appendString(appendUpOfIDPrefix(nil, m.ID), "r")
		b.Set(append(x, k...), nil, nil)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "old"); !equalMessage(got, m) {
		t.Fatalf("Get of an earlier record: %+v, want %+v", got, m)
	}
	// And one of today's, mapped to two upstream ids (sent twice).
	m2 := fullMessage("new")
	if err := s.Accept(m2); err != nil {
		t.Fatal(err)
	}
	m2.State, m2.Route, m2.UpstreamID = Enroute, "r", "A"
	if err := s.MapUpstream(m2, "a"); err != nil {
		t.Fatal(err)
	}
	m2.Route, m2.UpstreamID = "r2", "B"
	if err := s.MapUpstream(m2, "b"); err != nil {
		t.Fatal(err)
	}
	m2.State = Delivered
	if err := s.UpdateWithDelivery(m2, &Delivery{Account: "acct"}); err != nil {
		t.Fatal(err)
	}
	if err := dropDelivery(s, "acct", 1); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(time.Now().Add(time.Second)); err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2", n, err)
	}
	it, err := s.db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		// The queue's keys stay: a claimer acks the ticket of a message
		// it finds gone.
		if k := it.Key(); k[0] != kindSeq && k[0] != kindQueue {
			t.Errorf("left after Purge: %q", k)
		}
	}
}
