package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/schollz/progressbar/v3"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
)

type bench struct {
	sent, answered, ok, receipts atomic.Uint64
	matched                      atomic.Uint64 // receipts matched to an accepted message, once each
	lastResp, lastReceipt        atomic.Int64

	mu         sync.Mutex
	submitLat  *hdrhistogram.Histogram
	receiptLat *hdrhistogram.Histogram
	errs       map[string]int
	stats      map[string]int
	ids        pendingIDs
	dlr        bool
	rec        *recorder // -record, or nil
	allDone    chan struct{}
	total      atomic.Int64 // messages to wait for (set when sending ends)
}

func errKey(err error) string {
	var st pdu.Status
	switch {
	case errors.As(err, &st):
		return st.String()
	case errors.Is(err, client.ErrTimeout):
		return "timeout"
	case client.NotSent(err):
		return "not_sent"
	}
	var le *client.LostError
	if errors.As(err, &le) {
		return "lost"
	}
	return "error"
}

func (b *bench) check() {
	t := b.total.Load()
	if t < 0 {
		return
	}
	if b.answered.Load() >= uint64(t) && (!b.dlr || b.matched.Load() >= b.ok.Load()) {
		select {
		case <-b.allDone:
		default:
			b.mu.Lock()
			select {
			case <-b.allDone:
			default:
				close(b.allDone)
			}
			b.mu.Unlock()
		}
	}
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	var c common
	c.register(fs, "trx")
	fs.Lookup("rate").Usage = "messages per second in total, across all -binds (0: as fast as the windows allow); paced by the bench itself"
	n := fs.Int("n", 100_000, "messages to send (ignored with -duration)")
	duration := fs.Duration("duration", 0, "send for this long instead of -n messages")
	binds := fs.Int("binds", 1, "binds (connections) to spread the load over")
	dlr := fs.Bool("dlr", false, "request receipts and wait for them (needs -bind trx)")
	dlrTimeout := fs.Duration("dlr-timeout", 60*time.Second, "how long to wait for the last responses and receipts")
	from := fs.String("from", "1000", "source address")
	to := fs.String("to", "254700000001", "destination address")
	text := fs.String("text", "SMPP bench message", "message text (GSM 7-bit, one segment); {n} becomes the message's number (from 1)")
	record := fs.String("record", "", "write every submit_sm's answer {\"ev\":\"resp\",t,n,status,id} and every receipt {\"ev\":\"receipt\",t,id,stat} to `file`, one JSON line each")
	linger := fs.Duration("dlr-linger", 0, "with -dlr: once every accepted message has its receipt, stay bound this long to count (and record) late duplicates")
	noProgress := fs.Bool("no-progress", false, "no progress bar (there is none anyway when stderr is not a terminal)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *binds < 1 {
		return usageErrorf("bench: -binds must be at least 1")
	}
	if *dlr && c.bind != "trx" {
		return usageErrorf("bench: -dlr needs -bind trx (receipts come back on the same binds)")
	}
	cfg, err := c.config(stderr)
	if err != nil {
		return err
	}
	if cfg.Mode == client.Receiver {
		return usageErrorf("bench: -bind rx cannot submit")
	}
	total := float64(c.rate)
	// -rate is the total across binds. The bench paces its own sends rather
	// than use the client's rate limiter: a request's latency starts when it
	// is handed to the client, not while it waits for its turn.
	var interval time.Duration
	cfg.Rate = 0
	if c.rate > 0 {
		interval = time.Duration(float64(*binds) * float64(time.Second) / c.rate)
	}
	cfg.Session.EnquireLinkInterval = -1
	b := &bench{submitLat: newHist(), receiptLat: newHist(), errs: map[string]int{}, stats: map[string]int{}, dlr: *dlr, allDone: make(chan struct{})}
	b.ids.init()
	if *record != "" {
		if b.rec, err = newRecorder(*record); err != nil {
			return fmt.Errorf("bench: -record: %w", err)
		}
		defer b.rec.close() // on an early return; a no-op after the close below
	}
	b.total.Store(-1)
	if *dlr {
		cfg.Handler = b
		cfg.Session.InboundWindow = max(c.window, 1000)
	}

	clients := make([]*client.Client, *binds)
	for i := range clients {
		cl, err := c.dial(ctx, cfg)
		if err != nil {
			for _, x := range clients[:i] {
				x.Close(context.Background())
			}
			return err
		}
		clients[i] = cl
	}
	closed := false
	closeClients := func() {
		if closed {
			return
		}
		closed = true
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, cl := range clients {
			cl.Close(cctx)
		}
	}
	defer closeClients()

	sm := &pdu.SubmitSM{ShortMessage: []byte(*text)}
	numbered := strings.Contains(*text, "{n}")
	sm.SourceAddrTON, sm.SourceAddrNPI, sm.SourceAddr = client.ParseAddress(*from)
	sm.DestAddrTON, sm.DestAddrNPI, sm.DestinationAddr = client.ParseAddress(*to)
	if *dlr {
		sm.RegisteredDelivery = 1
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}

	var bar *progressbar.ProgressBar
	max64 := int64(*n)
	if *duration > 0 {
		max64 = -1
	}
	if !*noProgress && isTerminal(stderr) {
		bar = progressbar.NewOptions64(max64,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("bench"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
		)
	}
	stopBar := make(chan struct{})
	barDone := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(barDone)
		if bar == nil {
			return
		}
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		var lastAns uint64
		last := start
		for {
			select {
			case <-stopBar:
				bar.Finish()
				return
			case now := <-t.C:
				ans := b.answered.Load()
				r := float64(ans-lastAns) / now.Sub(last).Seconds()
				lastAns, last = ans, now
				bar.Describe(fmt.Sprintf("sent %d answered %d receipts %d  %.0f msg/s", b.sent.Load(), ans, b.receipts.Load(), r))
				bar.Set64(int64(ans))
			}
		}
	}()

	var next atomic.Int64
	deadline := time.Time{}
	if *duration > 0 {
		deadline = start.Add(*duration)
	}
	bg := context.Background() // no per-request context bookkeeping
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			due := time.Now()
			for k := 0; ; k++ {
				if ctx.Err() != nil {
					return
				}
				if interval > 0 {
					// Open loop: send k at start+k*interval; when late, send
					// at once (the window still bounds what is in flight).
					if d := time.Until(due); d > 0 {
						time.Sleep(d)
					}
					due = due.Add(interval)
				}
				if !deadline.IsZero() && k&63 == 0 && time.Now().After(deadline) {
					return
				}
				num := next.Add(1)
				if deadline.IsZero() && num > int64(*n) {
					return
				}
				m := sm
				if numbered {
					// A submit_sm must not change until it is answered.
					m = new(pdu.SubmitSM)
					*m = *sm
					m.ShortMessage = []byte(strings.ReplaceAll(*text, "{n}", strconv.FormatInt(num, 10)))
				}
				t0 := time.Now().UnixNano()
				b.sent.Add(1)
				cl.SubmitAsync(bg, m).OnDone(func(r *pdu.SubmitSMResp, err error) {
					now := time.Now().UnixNano()
					if b.rec != nil {
						if err == nil {
							b.rec.resp(num, time.Unix(0, now), "ESME_ROK", r.MessageID)
						} else {
							b.rec.resp(num, time.Unix(0, now), errKey(err), "")
						}
					}
					lat := max((now-t0)/1000, 1)
					var rlat int64
					var rok bool
					if err == nil && b.dlr {
						if rlat, rok = b.ids.answered(r.MessageID, t0); rok {
							b.matched.Add(1)
						}
					}
					b.mu.Lock()
					b.submitLat.RecordValue(lat)
					if rok {
						b.receiptLat.RecordValue(max(rlat/1000, 1))
					}
					if err != nil {
						b.errs[errKey(err)]++
					}
					b.mu.Unlock()
					if err == nil {
						b.ok.Add(1)
					}
					b.lastResp.Store(now)
					b.answered.Add(1)
					b.check()
				})
			}
		}()
	}
	wg.Wait()
	b.total.Store(int64(b.sent.Load()))
	b.check()
	wait := time.NewTimer(*dlrTimeout)
	defer wait.Stop()
	select {
	case <-b.allDone:
		if *linger > 0 && *dlr {
			select {
			case <-time.After(*linger):
			case <-ctx.Done():
			}
		}
	case <-wait.C:
	case <-ctx.Done():
	}
	close(stopBar)
	<-barDone
	// No receipt or response after the binds are closed: the counts below
	// (and the -record file) are final.
	closeClients()
	if b.rec != nil {
		if err := b.rec.close(); err != nil {
			return fmt.Errorf("bench: -record: %w", err)
		}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	res := benchResult{
		Addr: c.addr, TLS: c.useTLS, Binds: *binds, Window: c.window, TargetRate: total, Receipts: *dlr,
		Sent: b.sent.Load(), Answered: b.answered.Load(), OK: b.ok.Load(), Errors: b.errs, ReceiptsGot: b.receipts.Load(),
		SubmitLat: latencyOf(b.submitLat),
	}
	if last := b.lastResp.Load(); last > 0 {
		res.Elapsed = time.Duration(last - start.UnixNano()).Seconds()
		res.Throughput = float64(res.Answered) / res.Elapsed
	}
	res.Complete = res.Answered == res.Sent
	if *dlr {
		l := latencyOf(b.receiptLat)
		res.ReceiptLat = &l
		res.ReceiptStats = b.stats
		if last := b.lastReceipt.Load(); last > 0 {
			res.ReceiptsTime = time.Duration(last - start.UnixNano()).Seconds()
			res.ReceiptsRate = float64(res.ReceiptsGot) / res.ReceiptsTime
		}
		matched := b.matched.Load()
		res.Unmatched = res.ReceiptsGot - min(matched, res.ReceiptsGot)
		res.Complete = res.Complete && matched >= res.OK
	}
	res.Record = *record
	if c.json {
		printJSON(stdout, res)
	} else {
		printBench(stdout, res)
	}
	if !res.Complete {
		return fmt.Errorf("bench incomplete: %d of %d answered, receipts for %d of %d accepted", res.Answered, res.Sent, b.matched.Load(), res.OK)
	}
	return nil
}
