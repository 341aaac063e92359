package main

// A cluster node cut off from the majority of the NATS servers (its site's
// routes to the others lost while its processes live) has no quorum: its
// server answers every JetStream request "temporarily unavailable" or not
// at all, for as long as the cut lasts. The connection of the gateway to
// its server is healthy, so the NATS client does not move anywhere; and in
// the topology this gateway is built for (a NATS server per site, next to
// its gateway node) the servers of the other sites are behind the same cut.
// So the node fences itself: it refuses binds (ESME_RBINDFAIL) and every
// request that needs the state (ESME_RSYSERR, at once rather than after a
// request's timeout), unbinds its ESMEs so that they go to a node of the
// majority, and says why on /readyz. What it accepted before the cut is
// the majority's to forward: its tickets' leases end there (it cannot
// renew them), its upstream bind slots expire there after it gave them up
// (package slots), and the receipts it held go to binds on other nodes
// when their leases end. When the cut heals the node is let in again.
//
// Two signals, either one fences:
//
//   - the embedded server's routes: a server that reaches (with itself) no
//     more than half of the cluster's servers is in the minority. Known as
//     soon as its routes close, and never true of a survivor of a node's
//     death (it reaches two of three).
//   - a probe of JetStream (account information, answered by the meta
//     leader) that has not succeeded for quorumLostAfter: the only signal
//     for a node on nats_urls, and a node whose JetStream does not answer
//     cannot accept anything. Longer than a meta leader election (up to
//     about ten seconds), during which the survivors of a node's death
//     refuse submits anyway but should not drop their ESMEs' binds.
//
// The node is let in again once its server reaches a majority and a probe
// succeeded after that.

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	smppserver "github.com/esmsafrica/smpp/server"

	"github.com/esmsafrica/smpp/pdu"
)

const (
	// quorumProbeEvery is how often the node checks its quorum.
	quorumProbeEvery = time.Second
	// quorumProbeTimeout bounds one probe of JetStream.
	quorumProbeTimeout = 2 * time.Second
	// quorumLostAfter is how long JetStream may not answer before the
	// node fences itself on that alone: twice the longest leader election
	// (nats-server's election timeout is 4 to 9 s), for a loaded machine.
	quorumLostAfter = 20 * time.Second
	// fenceUnbindTimeout bounds the unbind of an ESME bind at the fence.
	fenceUnbindTimeout = 5 * time.Second
)

// quorum watches whether the node is with the majority of the cluster.
type quorum struct {
	srv      *server.Server // the embedded server; nil on nats_urls
	js       jetstream.JetStream
	log      *slog.Logger
	routes   int                 // the servers named in the embedded server's routes
	onFence  func(reason string) // called when the node fences itself
	onRejoin func()              // called when it is let in again

	// reason is why the node is fenced, "" when it is not: read by every
	// request the SMPP server serves (lost), so without a lock; written
	// by check, under mu.
	reason atomic.Pointer[string]

	mu      sync.Mutex
	lastOK  time.Time // the last probe JetStream answered
	maxSeen int       // the most servers reached at once

	stop chan struct{}
	wg   sync.WaitGroup
}

// newQuorum returns the watch of a node, not running yet (run starts it);
// the node counts as with the quorum at start (openCluster has just opened
// the streams through it).
func newQuorum(srv *server.Server, js jetstream.JetStream, routes int, log *slog.Logger) *quorum {
	return &quorum{srv: srv, js: js, routes: routes, log: log, lastOK: time.Now(), stop: make(chan struct{})}
}

// run checks the quorum every quorumProbeEvery until close, calling
// onFence and onRejoin on a change.
func (q *quorum) run(onFence func(reason string), onRejoin func()) {
	q.onFence, q.onRejoin = onFence, onRejoin
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		t := time.NewTicker(quorumProbeEvery)
		defer t.Stop()
		for {
			select {
			case <-q.stop:
				return
			case <-t.C:
				q.check()
			}
		}
	}()
}

// close stops the watch.
func (q *quorum) close() {
	if q == nil {
		return
	}
	select {
	case <-q.stop:
	default:
		close(q.stop)
	}
	q.wg.Wait()
}

// lost returns why the node is fenced, or "" when it is with the quorum.
func (q *quorum) lost() string {
	if q == nil {
		return ""
	}
	if r := q.reason.Load(); r != nil {
		return *r
	}
	return ""
}

// check probes JetStream, counts the servers reached, and fences or lets
// the node in.
func (q *quorum) check() {
	// The routes first: a minority is known at once, without waiting for
	// a probe that cannot be answered.
	reached, size := q.servers()
	minority := size > 1 && 2*reached <= size
	var err error
	if !minority {
		ctx, cancel := context.WithTimeout(context.Background(), quorumProbeTimeout)
		_, err = q.js.AccountInfo(ctx)
		cancel()
	}
	now := time.Now()

	q.mu.Lock()
	if err == nil && !minority {
		q.lastOK = now
	}
	var reason string
	switch {
	case minority:
		reason = fmt.Sprintf("cut off from the cluster: this node's NATS server reaches %d of its %d servers (no quorum)", reached, size)
	case now.Sub(q.lastOK) >= quorumLostAfter:
		reason = fmt.Sprintf("JetStream has not answered for %v (%v)", now.Sub(q.lastOK).Round(time.Second), err)
	}
	was, now2 := q.lost(), q.lost()
	switch {
	case reason != "":
		now2 = reason
	case was != "" && err == nil:
		now2 = "" // a majority reached, and a probe answered now
	}
	q.reason.Store(&now2)
	q.mu.Unlock()

	switch {
	case was == "" && now2 != "":
		q.log.Warn("cluster: quorum lost: binds and submissions refused, ESME binds unbound, until it is back", "reason", now2)
		if q.onFence != nil {
			q.onFence(now2)
		}
	case was != "" && now2 == "":
		q.log.Warn("cluster: quorum back: binds and submissions accepted again", "was", was)
		if q.onRejoin != nil {
			q.onRejoin()
		}
	}
}

// servers returns how many NATS servers of the cluster the embedded server
// reaches, itself included, and how many the cluster has (0, 0 without an
// embedded server). The cluster's size is the JetStream meta group's, or
// at least the servers the routes name and the most seen at once.
func (q *quorum) servers() (reached, size int) {
	if q.srv == nil {
		return 0, 0
	}
	rz, err := q.srv.Routez(&server.RoutezOptions{})
	if err != nil {
		return 0, 0
	}
	names := map[string]bool{}
	for _, r := range rz.Routes {
		if r.RemoteName != "" {
			names[r.RemoteName] = true
		}
	}
	reached = 1 + len(names)
	size = q.routes + 1
	if jz, err := q.srv.Jsz(&server.JSzOptions{}); err == nil && jz.Meta != nil {
		size = max(size, jz.Meta.Size)
	}
	q.mu.Lock()
	q.maxSeen = max(q.maxSeen, reached)
	size = max(size, q.maxSeen)
	q.mu.Unlock()
	return reached, size
}

// fenceGateway makes gw refuse binds and the requests that need the state
// while q says the node has no quorum, unbinds its ESMEs when it loses it,
// and reports it on /readyz.
func fenceGateway(gw *Gateway, q *quorum) {
	gw.quorumLost = q.lost
	auth := gw.srv.Authenticate
	gw.srv.Authenticate = func(ctx context.Context, r *smppserver.BindRequest) (*smppserver.Account, pdu.Status) {
		if reason := q.lost(); reason != "" {
			gw.log.Info("bind refused", "system_id", r.Bind.SystemID, "remote", r.RemoteAddr.String(), "status", pdu.ESME_RBINDFAIL.String(), "reason", "cluster: "+reason)
			return nil, pdu.ESME_RBINDFAIL
		}
		if auth == nil {
			return nil, pdu.ESME_ROK
		}
		return auth(ctx, r)
	}
	h := gw.srv.Handler
	gw.srv.Handler = smppserver.HandlerFunc(func(w smppserver.ResponseWriter, r *smppserver.Request) {
		if q.lost() != "" {
			switch r.Header.ID {
			case pdu.SubmitSMID, pdu.DataSMID, pdu.SubmitMultiID, pdu.QuerySMID, pdu.CancelSMID, pdu.ReplaceSMID:
				w.Respond(nil, pdu.ESME_RSYSERR)
				return
			}
		}
		h.ServeSMPP(w, r)
	})
	q.run(func(string) { gw.unbindESMEs() }, nil)
}

// fenced reports whether the node is a cluster node without the quorum.
func (gw *Gateway) fenced() bool {
	return gw.quorumLost != nil && gw.quorumLost() != ""
}

// unbindESMEs unbinds every ESME bind of the gateway, in the background.
func (gw *Gateway) unbindESMEs() {
	as := gw.accounts.Load()
	if as == nil {
		return
	}
	n := 0
	for id := range as.byID {
		for _, c := range gw.srv.Conns(id) {
			n++
			gw.wg.Add(1)
			go func() {
				defer gw.wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), fenceUnbindTimeout)
				defer cancel()
				if err := c.Unbind(ctx); err != nil {
					c.Close()
				}
			}()
		}
	}
	if n > 0 {
		gw.log.Warn("cluster: unbinding the ESMEs: they bind again on a node with the quorum", "binds", n)
	}
}
