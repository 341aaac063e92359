package client_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/smpptest"
)

// upSet returns the indexes of the client's binds that are up.
func upSet(c *client.Client) string {
	var up []int
	for i, st := range c.Stats() {
		if st.Up {
			up = append(up, i)
		}
	}
	return fmt.Sprint(up)
}

func waitUp(t *testing.T, c *client.Client, want string) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for upSet(c) != want {
		if time.Now().After(deadline) {
			t.Fatalf("binds up %s, want %s", upSet(c), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// A client started inactive binds only the binds SetActive names; a bind
// that leaves the set is down when SetActive returns, and requests sent
// meanwhile all complete on the binds that stay.
func TestSetActive(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{Credentials: map[string]string{"esme": "secret"}})
	var mu sync.Mutex
	var events []string
	c, err := client.New(ts.Addr, client.Config{
		SystemID: "esme", Password: "secret",
		MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		Endpoints:     []client.Endpoint{{Addr: ts.Addr}, {Addr: ts.Addr}},
		StartInactive: true,
		OnStateChange: func(e client.StateEvent) {
			mu.Lock()
			events = append(events, fmt.Sprintf("%d %s", e.Slot, e.State))
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if got := upSet(c); got != "[]" {
		t.Fatalf("binds up at start, inactive: %s", got)
	}
	ctx := testCtx(t)
	if err := c.SetActive(ctx, []int{1}); err != nil {
		t.Fatal(err)
	}
	waitUp(t, c, "[1]")

	// Move from bind 1 to binds 0 and 2 while submits flow.
	done := make(chan []error)
	go func() {
		_, errs := submitAll(t, c, 200, "m")
		done <- errs
	}()
	if err := c.SetActive(ctx, []int{0, 2}); err != nil {
		t.Fatal(err)
	}
	if c.Stats()[1].Up {
		t.Fatal("bind 1 still up when SetActive returned")
	}
	for i, err := range <-done {
		if err != nil {
			t.Fatalf("submit %d during the move: %v", i, err)
		}
	}
	waitUp(t, c, "[0 2]")
	if err := c.SetActive(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := upSet(c); got != "[]" {
		t.Fatalf("binds up after SetActive(nil): %s", got)
	}
	mu.Lock()
	for _, e := range events {
		if e == "0 Connecting" {
			break
		}
		if e == "2 Connecting" || e == "0 Bound" {
			t.Fatalf("bind 0 or 2 before SetActive named it: %v", events)
		}
	}
	mu.Unlock()
	if err := c.SetActive(ctx, []int{3}); err == nil {
		t.Fatal("SetActive accepted bind 3 of 3 (0 to 2)")
	}
}
