package jswork

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// CreateStream creates the stream, or finds it as cfg says, or updates it
// to cfg, waiting while ctx lasts for servers to place its replicas on. The
// create comes first: the servers answer a create of a stream that exists
// with the same configuration as a success, also when two processes create
// it at once, where an update racing a create was seen to hang
// (nats-server 2.15.3, R3). Its error is the servers' last, unwrapped.
func CreateStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	for {
		s, err := js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = js.UpdateStream(ctx, cfg) // another configuration: ours now
		}
		if err == nil || !peersMissing(err) || !Sleep(ctx, 100*time.Millisecond) {
			return s, err
		}
	}
}

// errCodeNoPeers is the servers' error code for "no suitable peers for
// placement".
const errCodeNoPeers = 10005

// peersMissing reports whether the servers refused a stream for want of
// servers to place its replicas on: one starting, or down.
func peersMissing(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeNoPeers
}

// Sleep waits d and reports true, or false if ctx ends first.
func Sleep(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
