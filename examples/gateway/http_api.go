package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
	"github.com/esmsafrica/smpp/examples/gateway/smppapi"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

// httpBackend is the gateway behind the HTTP API (package httpapi): a
// message sent over HTTP becomes one store.Message per segment and
// destination, built as the ESME side (package smppapi) builds one from a
// submit_sm, with its checks, expiry and accept step (the stored body is a
// submit_sm body, forwarded verbatim), so that it is routed, throttled,
// stored, queried (query_sm, GET) and receipted like one sent over SMPP.
type httpBackend struct {
	gw    *Gateway
	refs  httpapi.References // client references by message id; nil: none kept
	basic basicCache
}

// maxAcceptsInFlight bounds the messages of one request being stored at
// once.
const maxAcceptsInFlight = 32

// httpMessage is one message of a submission, built and checked before
// anything is stored.
type httpMessage struct {
	m  *store.Message
	to int // index of its destination
}

// Send implements httpapi.Backend. Every message of the request is built
// and checked (route, source, every field within SMPP's limits), then the
// account's rate is asked for all of them, and only then are they stored:
// a request refused stores nothing. The rate is the account's limits.Limits
// budget, shared with its SMPP binds, without shaping: past it the answer
// is 429 at once, with Retry-After. The submissions a refused request took
// from the budget stay spent (the budget cannot give them back).
func (b *httpBackend) Send(ctx context.Context, s *httpapi.Submission) ([]httpapi.SentTo, error) {
	gw := b.gw
	a := gw.accounts.Load().byID[s.Account]
	if a == nil {
		return nil, errUnauthenticated // removed by a reload meanwhile
	}
	now := time.Now()
	exp := gw.smppAPI.Expiry(time.Time{}, now)
	var validity string
	if s.Validity > 0 {
		exp = now.Add(s.Validity)
		validity = pdu.FormatAbsolute(exp)
	}
	var reg uint8
	if s.Receipt {
		reg = 1
	}
	srcTON, srcNPI, src := client.ParseAddress(s.From)
	msgs := make([]httpMessage, 0, len(s.To)*len(s.Segments))
	for i, to := range s.To {
		field := fmt.Sprintf("to[%d]", i)
		dstTON, dstNPI, dst := client.ParseAddress(to)
		if st := gw.smppAPI.Check(a.cfg.SystemID, src, dst); st != 0 {
			return nil, httpapi.Errorf(422, "no_route", field, st.String(),
				"no route for %q from %q on this account: the destination is not served, or the account may not send from this source", to, s.From)
		}
		for _, seg := range s.Segments {
			sm := &pdu.SubmitSM{
				SourceAddrTON: srcTON, SourceAddrNPI: srcNPI, SourceAddr: src,
				DestAddrTON: dstTON, DestAddrNPI: dstNPI, DestinationAddr: dst,
				ValidityPeriod: validity, RegisteredDelivery: reg,
				DataCoding: seg.DataCoding, ShortMessage: seg.ShortMessage,
			}
			if seg.UDHI {
				sm.ESMClass = 0x40
			}
			if st := smppapi.Refused(sm); st != 0 {
				return nil, httpapi.Errorf(422, "invalid_message", field, st.String(), "the message cannot be sent as SMPP: %s", st)
			}
			body, err := sm.AppendBinary(nil)
			if err != nil {
				return nil, httpapi.Errorf(422, "invalid_message", field, pdu.StatusOf(err).String(), "the message cannot be encoded: %v", err)
			}
			msgs = append(msgs, httpMessage{to: i, m: &store.Message{
				Account: a.cfg.SystemID, Command: uint32(pdu.SubmitSMID), Body: body,
				Source: src, Dest: dst, Registered: reg,
				State: store.Queued, Created: now, Expires: exp,
			}})
		}
	}
	if e := b.takeRate(a, len(msgs)); e != nil {
		return nil, e
	}
	out := make([]httpapi.SentTo, len(s.To))
	for i, to := range s.To {
		out[i] = httpapi.SentTo{To: to, IDs: make([]string, 0, len(s.Segments))}
	}
	// Stored concurrently, so that the messages of one request share the
	// store's group commits instead of waiting for one sync each.
	for _, x := range msgs {
		x.m.ID = gw.newID()
	}
	sts := make([]pdu.Status, len(msgs))
	if len(msgs) == 1 {
		sts[0] = gw.smppAPI.Accept(msgs[0].m)
	} else {
		var wg sync.WaitGroup
		sem := make(chan struct{}, maxAcceptsInFlight)
		for i := range msgs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				sts[i] = gw.smppAPI.Accept(msgs[i].m)
			}()
		}
		wg.Wait()
	}
	var stored []string
	var failed pdu.Status
	for i, x := range msgs {
		gw.metrics.submits.WithLabelValues(a.cfg.SystemID, "http", sts[i].String()).Inc()
		if sts[i] != 0 {
			failed = sts[i]
			continue
		}
		stored = append(stored, x.m.ID)
		out[x.to].IDs = append(out[x.to].IDs, x.m.ID)
	}
	if failed != 0 {
		b.keepReference(ctx, stored, s.Reference, exp)
		return nil, &httpapi.Error{Status: http.StatusServiceUnavailable, Code: "store_failed", SMPPStatus: failed.String(), Stored: stored,
			RetryAfter: time.Second, Message: fmt.Sprintf("the gateway could not store every message (%s); the ids in stored were stored "+
				"and will be sent: do not send those again", failed)}
	}
	b.keepReference(ctx, stored, s.Reference, exp)
	gw.metrics.latency.Observe(time.Since(now).Seconds())
	return out, nil
}

// keepReference records the client reference of the ids stored (until the
// messages' retention ends); a failure is logged: the messages go on.
func (b *httpBackend) keepReference(ctx context.Context, ids []string, ref string, exp time.Time) {
	if ref == "" || b.refs == nil {
		return
	}
	if err := b.refs.PutReference(ctx, ids, ref, exp.Add(b.gw.cfg.Load().Retention.D())); err != nil {
		b.gw.log.Error("http api: recording a client reference failed; the messages are sent without it", "err", err, "ids", len(ids))
	}
}

// takeRate takes n submissions from the account's rate (the budget its
// SMPP binds use), or returns the 429 to answer.
func (b *httpBackend) takeRate(a *account, n int) *httpapi.Error {
	lim := b.gw.limitsNow()
	id := a.cfg.SystemID
	for k := 0; k < n; k++ {
		if lim.Allow(id) {
			continue
		}
		b.gw.metrics.throttled.WithLabelValues(id).Inc()
		// About when the budget has room for the whole request again.
		retry := time.Second
		if a.cfg.Rate > 0 {
			retry = max(retry, time.Duration(math.Ceil(float64(n)/a.cfg.Rate))*time.Second)
		}
		return &httpapi.Error{Status: http.StatusTooManyRequests, Code: "rate_limited", SMPPStatus: pdu.ESME_RTHROTTLED.String(), RetryAfter: retry,
			Message: fmt.Sprintf("over the account's rate of %.0f messages/s (shared with its SMPP binds): the request of %d messages was not sent; retry after Retry-After", a.cfg.Rate, n)}
	}
	return nil
}

// errNotFound is the answer for an id the account has no message with.
func errNotFound(id string) *httpapi.Error {
	return httpapi.Errorf(404, "not_found", "id", pdu.ESME_RINVMSGID.String(), "no message %q on this account (or past retention)", id)
}

// fencedRetry is the Retry-After of a request refused by a cluster node cut
// off from the quorum: about the time a healed node takes to come back.
const fencedRetry = 5 * time.Second

// httpUnavailable is the HTTP API's Options.Unavailable: while the node is
// a cluster node without the quorum (cluster_quorum.go) every request is
// refused at once, 503 cluster_unavailable (as SMPP refuses it
// ESME_RSYSERR): it could store and read nothing, and the client should
// send to another node. Nil otherwise.
func (gw *Gateway) httpUnavailable() *httpapi.Error {
	if !gw.fenced() {
		return nil
	}
	e := httpapi.Errorf(http.StatusServiceUnavailable, "cluster_unavailable", "", pdu.ESME_RSYSERR.String(),
		"this node is cut off from the cluster's quorum: send to another node, or again later")
	e.RetryAfter = fencedRetry
	return e
}

// Message implements httpapi.Backend: the state query_sm gives.
func (b *httpBackend) Message(ctx context.Context, account, id string) (*httpapi.Message, error) {
	m, err := b.gw.store.Get(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && m.Account != account) {
		return nil, errNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	out := &httpapi.Message{ID: m.ID, From: m.Source, To: m.Dest, State: m.State.MessageState().String(),
		Queued: m.State == store.Queued, ErrorCode: int(m.Error), Submitted: m.Created, Expires: m.Expires}
	if m.State.Final() && !m.Done.IsZero() {
		done := m.Done
		out.Done = &done
	}
	if b.refs != nil {
		if out.Reference, err = b.refs.Reference(ctx, id); err != nil {
			b.gw.log.Warn("http api: reading a client reference", "id", id, "err", err)
		}
	}
	return out, nil
}

// Cancel implements httpapi.Backend: cancel_sm's compare-and-set.
func (b *httpBackend) Cancel(_ context.Context, account, id string) error {
	gw := b.gw
	m, err := gw.store.Get(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && m.Account != account) {
		return errNotFound(id)
	}
	if err != nil {
		return err
	}
	m, err = gw.smppAPI.Cancel(m) // cancel_sm's compare-and-set
	if !errors.Is(err, smppapi.ErrNotQueued) {
		return err
	}
	return httpapi.Errorf(409, "not_queued", "id", pdu.ESME_RCANCELFAIL.String(),
		"message %s is no longer queued in the gateway (state %s): it cannot be cancelled", id, m.State.MessageState())
}
