package natstest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// A stream of three replicas on a three-server cluster keeps what was
// published when one server, the one the client was connected to, stops.
func TestClusterR3SurvivesOneServer(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	nc := natstest.Connect(t, nodes...)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// Generous: under -race on a loaded machine a new leader can take long.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// Each request gets a short timeout and is tried again: just after the
	// cluster starts, a create may find the peers not yet placeable, and a
	// request to a leader that goes away is never answered.
	attempt := func(f func(context.Context) error) error {
		for {
			actx, acancel := context.WithTimeout(ctx, 2*time.Second)
			err := f(actx)
			acancel()
			if err == nil || ctx.Err() != nil {
				return err
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	var s jetstream.Stream
	if err := attempt(func(ctx context.Context) (err error) {
		s, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Replicas: 3})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The stream may have no leader yet just after its creation ("no
	// response from stream"): each publish is tried again, with a message
	// id so that a try that was stored is not stored twice.
	for i := 0; i < 10; i++ {
		if err := attempt(func(ctx context.Context) error {
			_, err := js.Publish(ctx, "t.x", []byte("m"), jetstream.WithMsgID(fmt.Sprint(i)))
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	nodes[0].Shutdown()
	stopped := time.Now()
	var info *jetstream.StreamInfo
	if err := attempt(func(ctx context.Context) (err error) {
		info, err = s.Info(ctx)
		return err
	}); err != nil {
		t.Fatalf("stream info after a server stopped: %v", err)
	}
	if info.State.Msgs != 10 {
		t.Fatalf("stream holds %d messages after a server stopped, want 10", info.State.Msgs)
	}
	t.Logf("the stream answered %v after a server stopped", time.Since(stopped).Round(time.Millisecond))
	nodes[0].Restart()
	natstest.WaitJetStream(t, nodes...)
}

// A single server keeps a stream across a restart.
func TestServerRestartKeepsStream(t *testing.T) {
	n := natstest.Server(t)
	nc := natstest.Connect(t, n)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "t.x", []byte("m")); err != nil {
		t.Fatal(err)
	}
	n.Shutdown()
	n.Restart()
	s, err := js.Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages after a restart, want 1", info.State.Msgs)
	}
}
