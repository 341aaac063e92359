package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/limits"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// The accounts' rate and bind count are enforced by the gateway through the
// limits part (package limits) rather than by the server, so that an
// implementation shared by the nodes of a cluster can count them across
// nodes: the server's Account carries no Rate, Burst or MaxBinds.
//
//   - Rate: each submission (submit_sm, data_sm, submit_multi) goes through
//     throttled first. With the account's shaping on (the default) it asks
//     Reserve with the account's shaping_max_wait (default 3s) and waits
//     what Reserve says, on one of the connection's handler goroutines (the
//     server runs the handlers on the read loop, and smppapi hands a
//     submission whose account is shaped, throttleWaits, off it with
//     server.OffLoop: at most the inbound window per connection wait),
//     answering ESME_RTHROTTLED only when the rate would not allow it within
//     the bound or the account already holds as many as the bound gives
//     (rate × shaping_max_wait, + the burst). A connection closed while it
//     waits ends the wait (its request's context) with no answer. With
//     shaping off it asks Allow and is answered ESME_RTHROTTLED at once, as
//     the server did.
//   - Binds: authenticate takes one of the account's binds (takeBind) once
//     the bind is accepted, ESME_RALYBND beyond max_binds, as the server
//     answered. The release is kept on the connection (its session's values)
//     and called, at most once for the bind whatever calls it, when the bind
//     is refused after the hook (Observer.Bind), when the session leaves the
//     bound state (an unbind, the connection lost: the session observer) and
//     when the connection ends (Observer.ConnClosed: a bind accepted by the
//     hook whose session never became bound), and by a new bind on the same
//     connection.

// accountLimits is the gateway's limits and which registry of accounts they
// hold. A reload stores a new registry (app.reload); the first bind or
// submission after it applies it (Gateway.limitsNow).
type accountLimits struct {
	lim     limits.Limits
	mu      sync.Mutex               // serializes apply
	applied atomic.Pointer[accounts] // the registry whose limits lim holds
	held    sync.Map                 // system_id → *atomic.Int64: submissions waiting for the rate
}

// defaultShapingMaxWait is how long a submission over the rate is held at
// most when the account does not say: long enough for a client with a
// window of 200 at 100 msg/s, which keeps about 200 waiting (2 s), well
// within the response timeouts of clients (Kannel's 60 s, 30 s here).
const defaultShapingMaxWait = 3 * time.Second

// shapingOf is the account's shaping: on (the default) or not, and the
// longest a submission is held.
func shapingOf(c AccountConfig) (on bool, maxWait time.Duration) {
	if c.Shaping != nil && !*c.Shaping {
		return false, 0
	}
	if maxWait = c.ShapingMaxWait.D(); maxWait <= 0 {
		maxWait = defaultShapingMaxWait
	}
	return true, maxWait
}

// shapes reports whether the account's submissions over its rate wait
// (shaping on, and a rate set), and for how long at most.
func shapes(c AccountConfig) (maxWait time.Duration, ok bool) {
	on, maxWait := shapingOf(c)
	return maxWait, on && c.Rate > 0
}

// heldOf is the count of the account's submissions waiting for the rate.
func (l *accountLimits) heldOf(systemID string) *atomic.Int64 {
	return loadOrNew[atomic.Int64](&l.held, systemID)
}

// loadOrNew returns the *T kept under key in m, storing a new one at the
// first call; callers racing on the first call all get the one stored
// first.
func loadOrNew[T any](m *sync.Map, key string) *T {
	if v, ok := m.Load(key); ok {
		return v.(*T)
	}
	fresh := new(T)
	if v, loaded := m.LoadOrStore(key, fresh); loaded {
		return v.(*T) // another caller stored its own first
	}
	return fresh
}

// newAccountLimits returns the single-node limits with no account set.
func newAccountLimits() *accountLimits {
	return &accountLimits{lim: limits.NewLocal(limits.LocalOptions{})}
}

// limitOf is an account's configured limits. The configuration's defaults
// (rate 100, burst max(10, rate/10)) are applied by Config.validate; an
// unlimited account's rate 0 is no rate.
func limitOf(c AccountConfig) limits.Limit {
	return limits.Limit{Rate: c.Rate, Burst: c.Burst, MaxBinds: c.MaxBinds}
}

// limitsNow returns the gateway's limits, those of the registry in force
// applied first if a reload replaced it: one atomic comparison when not.
func (gw *Gateway) limitsNow() limits.Limits {
	l := gw.limits
	if l.applied.Load() != gw.accounts.Load() {
		l.apply(&gw.accounts)
	}
	return l.lim
}

// apply sets the limits of every account of the registry in src, the newest
// whoever calls. An account a reload dropped keeps its last limits for the
// binds it still holds (a reload unbinds nobody), as the server kept them.
func (l *accountLimits) apply(src *atomic.Pointer[accounts]) {
	l.mu.Lock()
	defer l.mu.Unlock()
	as := src.Load()
	if as == nil || l.applied.Load() == as {
		return
	}
	for id, a := range as.byID {
		l.lim.Set(id, limitOf(a.cfg))
	}
	l.applied.Store(as)
}

// bindSlotKey is the key of a bind's release among its session's values.
type bindSlotKey struct{}

// valueHolder is what holds a bind's release: a *server.Conn or its
// *session.Session (the same values).
type valueHolder interface {
	Value(key any) any
	SetValue(key, value any)
}

// releaseBind gives back the bind the connection holds, if any. Calling it
// again, or from several hooks, releases nothing more.
func releaseBind(h valueHolder) {
	if release, ok := h.Value(bindSlotKey{}).(func()); ok {
		release()
	}
}

// takeBind takes one of the account's binds for the connection binding, or
// says why not: ESME_RALYBND at max_binds, ESME_RBINDFAIL if the count could
// not be taken. A request with no connection (the hook called directly, as
// tests do) has nothing to hold the bind: it is counted and given back.
func (gw *Gateway) takeBind(ctx context.Context, r *server.BindRequest, a *account) (pdu.Status, string) {
	if r.Conn != nil {
		// A bind is handled only on a connection not bound: what it still
		// holds is left from a bind the hook accepted and the session did
		// not complete.
		releaseBind(r.Conn)
	}
	release, err := gw.limitsNow().Bind(ctx, a.cfg.SystemID)
	switch {
	case errors.Is(err, limits.ErrTooManyBinds):
		return pdu.ESME_RALYBND, fmt.Sprintf("max_binds %d reached", a.cfg.MaxBinds)
	case err != nil:
		return pdu.ESME_RBINDFAIL, "taking a bind of the account: " + err.Error()
	}
	if r.Conn == nil {
		release()
		return pdu.ESME_ROK, ""
	}
	r.Conn.SetValue(bindSlotKey{}, release)
	return pdu.ESME_ROK, ""
}

// throttled lets a submission go on, at once or once the account's rate
// allows it (shaping, see the top of the file), or answers it
// ESME_RTHROTTLED, counted in smpp_gateway_throttled_total as the server's
// refusals were, and reports whether it answered it (or the connection
// ended while it waited: nothing is to be answered then). The submission
// handlers call it first (smppapi.Options.Throttle).
func (gw *Gateway) throttled(w server.ResponseWriter, r *server.Request) bool {
	a := accountOf(r)
	if a == nil {
		return false
	}
	id := a.cfg.SystemID
	lim := gw.limitsNow()
	maxWait, shaped := shapes(a.cfg)
	if !shaped {
		if lim.Allow(id) {
			return false
		}
		return gw.throttle(w, r, id)
	}
	// The held count is bounded here too, whatever the limits' backend:
	// rate × maxWait (+ the burst, + 1) is what Reserve's spacing allows at most.
	held := gw.limits.heldOf(id)
	if held.Add(1) > int64(a.cfg.Rate*maxWait.Seconds())+int64(a.cfg.Burst)+1 {
		held.Add(-1)
		return gw.throttle(w, r, id)
	}
	defer held.Add(-1)
	wait, ok := lim.Reserve(id, maxWait)
	if !ok {
		return gw.throttle(w, r, id)
	}
	if wait <= 0 {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return false
	case <-r.Context().Done():
		return true
	}
}

// throttleWaits reports whether throttled may wait for r: its account's rate
// is shaped (smppapi.Options.ThrottleWaits).
func throttleWaits(r *server.Request) bool {
	a := accountOf(r)
	if a == nil {
		return false
	}
	_, shaped := shapes(a.cfg)
	return shaped
}

// throttle answers a submission ESME_RTHROTTLED and counts it.
func (gw *Gateway) throttle(w server.ResponseWriter, r *server.Request, systemID string) bool {
	gw.metrics.throttled.WithLabelValues(systemID).Inc()
	if err := w.Respond(nil, pdu.ESME_RTHROTTLED); err != nil {
		gw.log.Debug("the answer to a throttled submission could not be sent", "system_id", systemID, "command", r.Header.ID.String(), "err", err)
	}
	return true
}
