package deliveriestest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
)

// testConcurrentClaimers: adders and claimers of three accounts at once,
// two claimers per account (two binds, or two nodes), some naking: every
// delivery is acked once, by a claimer of its account, and none is held by
// two claimers at a time.
func testConcurrentClaimers(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	const accounts, perAccount = 3, 200
	var mu sync.Mutex
	holding := map[string]bool{} // account/seq leased now
	acked := map[string]int{}
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	for a := range accounts {
		acct := fmt.Sprintf("acct%d", a)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perAccount {
				d := &deliveries.Delivery{Account: acct, Body: fmt.Appendf(nil, "%s-%d", acct, i)}
				if err := (*q).Add(ctx, d); err != nil {
					t.Errorf("Add: %v", err)
					return
				}
			}
		}()
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := 0
				for {
					mu.Lock()
					done := len(acked) == accounts*perAccount
					mu.Unlock()
					if done {
						return
					}
					cctx, ccancel := context.WithTimeout(ctx, tick)
					cs, err := (*q).Claim(cctx, acct, nil, 7)
					ccancel()
					if err != nil && !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("Claim: %v", err)
						return
					}
					for _, c := range cs {
						d := c.Delivery()
						k := fmt.Sprintf("%s/%d", d.Account, d.Seq)
						mu.Lock()
						if d.Account != acct {
							t.Errorf("claimer of %s got %s", acct, k)
						}
						if holding[k] {
							t.Errorf("%s held by two claimers", k)
						}
						holding[k] = true
						mu.Unlock()
						n++
						mu.Lock()
						delete(holding, k)
						if n%5 == w {
							mu.Unlock()
							if err := c.Nak(0); err != nil {
								t.Errorf("Nak: %v", err)
							}
							continue
						}
						acked[string(d.Body)]++
						mu.Unlock()
						if err := c.Ack(); err != nil {
							t.Errorf("Ack: %v", err)
						}
					}
					if ctx.Err() != nil {
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	if len(acked) != accounts*perAccount {
		t.Fatalf("%d deliveries acked, want %d", len(acked), accounts*perAccount)
	}
	for b, n := range acked {
		if n != 1 {
			t.Errorf("%s acked %d times", b, n)
		}
	}
	for a := range accounts {
		mustPending(t, *q, fmt.Sprintf("acct%d", a), 0)
	}
}

// testMany: more deliveries than an implementation would hold in memory
// come out in order, once each.
func testMany(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	const n = 3000
	add(t, *q, "many", numbered("", n)...)
	add(t, *q, "few", "f")
	var got []string
	for len(got) < n {
		cs := mustClaim(t, *q, "many", 500)
		got = append(got, bodies(cs)...)
		ack(t, cs...)
		if len(got) == 1000 {
			// Added while the rest is read back: after it.
			add(t, *q, "many", "late")
		}
	}
	if want := numbered("", n); !slices.Equal(got, want) {
		t.Fatalf("claimed %d deliveries out of order or not once each", len(got))
	}
	if got := bodies(claim(t, *q, "many", 5, patience)); !slices.Equal(got, []string{"late"}) {
		t.Fatalf("then claimed %v, want [late]", got)
	}
	mustPending(t, *q, "few", 1)
}

func testRestart(t *testing.T, h Harness) {
	q, restart := open(t, h, Config{Lease: time.Hour})
	if restart == nil {
		t.Skip("the implementation keeps nothing across a restart")
	}
	ds := add(t, *q, "acct", "a", "b", "c", "d")
	add(t, *q, "other", "o")
	cs := mustClaim(t, *q, "acct", 3) // a, b, c
	ack(t, cs[0])                     // a is done; b stays leased
	nak(t, 0, cs[2])                  // c is given back
	*q = restart()
	// Every delivery not acked is there, leased, naked or not.
	mustPending(t, *q, "acct", 3)
	mustPending(t, *q, "other", 1)
	if accs, err := (*q).Accounts(); err != nil || !slices.Equal(accs, []string{"acct", "other"}) {
		t.Fatalf("Accounts after a restart: %v, %v", accs, err)
	}
	cs = mustClaim(t, *q, "acct", 3)
	got := bodies(cs)
	slices.Sort(got)
	if !slices.Equal(got, []string{"b", "c", "d"}) {
		t.Fatalf("after a restart claimed %v, want b, c, d", got)
	}
	checkBinds(t, ds, cs)
	// Seqs keep growing across a restart.
	if late := add(t, *q, "acct", "e")[0]; late.Seq <= ds[len(ds)-1].Seq {
		t.Fatalf("Seq %d after a restart, not above %d", late.Seq, ds[len(ds)-1].Seq)
	}
	ack(t, cs...)
	*q = restart()
	mustPending(t, *q, "acct", 1)
	if got := bodies(claim(t, *q, "acct", 5, patience)); !slices.Equal(got, []string{"e"}) {
		t.Fatalf("after a second restart claimed %v, want [e]", got)
	}
}

func testContextEnds(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (*q).Add(ctx, &deliveries.Delivery{Account: "acct", Body: []byte("x")}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Add with an ended context: %v", err)
	}
	add(t, *q, "acct", "y")
	if cs, err := (*q).Claim(ctx, "acct", nil, 1); !errors.Is(err, context.Canceled) || len(cs) != 0 {
		t.Fatalf("Claim with an ended context: %v, %v", bodies(cs), err)
	}
	ack(t, mustClaim(t, *q, "acct", 1)...)
	// A waiting Claim returns when its context ends.
	ctx, cancel = context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := (*q).Claim(ctx, "acct", nil, 1)
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting Claim: %v, want context.Canceled", err)
	}
	mustPending(t, *q, "acct", 0)
}

func testClosed(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	add(t, *q, "acct", "held")
	c := mustClaim(t, *q, "acct", 1)[0]
	errc := make(chan error, 1)
	go func() {
		_, err := (*q).Claim(context.Background(), "acct", nil, 1)
		errc <- err
	}()
	if err := (*q).Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, deliveries.ErrClosed) {
		t.Fatalf("Claim waiting at Close: %v, want ErrClosed", err)
	}
	if err := (*q).Add(context.Background(), &deliveries.Delivery{Account: "acct"}); !errors.Is(err, deliveries.ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
	if _, err := (*q).Claim(context.Background(), "acct", nil, 1); !errors.Is(err, deliveries.ErrClosed) {
		t.Errorf("Claim after Close: %v", err)
	}
	if _, err := (*q).Pending("acct"); !errors.Is(err, deliveries.ErrClosed) {
		t.Errorf("Pending after Close: %v", err)
	}
	if _, err := (*q).Accounts(); !errors.Is(err, deliveries.ErrClosed) {
		t.Errorf("Accounts after Close: %v", err)
	}
	if err := c.Ack(); !errors.Is(err, deliveries.ErrClosed) {
		t.Errorf("Ack after Close: %v", err)
	}
	if err := c.Nak(0); !errors.Is(err, deliveries.ErrClosed) {
		t.Errorf("Nak after Close: %v", err)
	}
	if err := (*q).Close(); !errors.Is(err, deliveries.ErrClosed) {
		t.Errorf("a second Close: %v, want ErrClosed", err)
	}
}
