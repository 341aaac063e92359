package main

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/tlv"
)

const (
	dispatchers = 4
	// completionWorkers write upstream answers to the store; many at once
	// let the store commit them together.
	completionWorkers = 256
	maxBackoff        = 30 * time.Second
	parkTimeout       = 60 * time.Second
	pickTimeout       = 2 * time.Second
	retryBackoff      = 250 * time.Millisecond
)

// routeFor returns the upstreams for a destination, in failover order.
func (gw *Gateway) routeFor(acct, src, dst string) []string {
	d := strings.TrimPrefix(dst, "+")
	for _, r := range gw.cfg.Load().Routes {
		if r.Account != "" && r.Account != acct {
			continue
		}
		if r.Source != "" && !strings.HasPrefix(src, r.Source) {
			continue
		}
		if strings.HasPrefix(d, strings.TrimPrefix(r.Prefix, "+")) {
			return r.Upstreams
		}
	}
	return nil
}

func (gw *Gateway) enqueue(m *store.Message) {
	select {
	case gw.queue <- m:
		gw.metrics.queued.Inc()
	case <-gw.ctx.Done():
	}
}

// dispatchLoop sends queued messages to their upstreams.
func (gw *Gateway) dispatchLoop() {
	defer gw.dispatchWG.Done()
	for {
		select {
		case <-gw.dispatching.Done():
			return
		case m := <-gw.queue:
			gw.metrics.queued.Dec()
			gw.dispatch(m)
		}
	}
}

// dispatch sends one message upstream, or schedules it for later.
func (gw *Gateway) dispatch(m *store.Message) {
	// While no upstream can take it, it is looked at again later without
	// a claim: a cancel_sm or replace_sm that comes meanwhile finds it free.
	// (An expired one goes on, to be finished under the claim.)
	now := time.Now()
	u := gw.pickUpstream(m)
	if u == nil && (m.Expires.IsZero() || !now.After(m.Expires)) {
		gw.retryQ.add(m, now.Add(retryDelay(m)))
		return
	}
	if _, busy := gw.claims.LoadOrStore(m.ID, struct{}{}); busy {
		// A cancel or replace is deciding about it: look again shortly.
		gw.retryQ.add(m, now.Add(50*time.Millisecond))
		return
	}
	if _, gone := gw.cancelled.LoadAndDelete(m.ID); gone {
		gw.claims.Delete(m.ID)
		return
	}
	if v, ok := gw.replaced.LoadAndDelete(m.ID); ok {
		m = v.(*store.Message)
	}
	if !m.Expires.IsZero() && now.After(m.Expires) {
		gw.claims.Delete(m.ID)
		gw.finish(m, store.Expired, "EXPIRED", 0)
		return
	}
	var sm pdu.PDU
	switch pdu.CommandID(m.Command) {
	case pdu.DataSMID:
		d := &pdu.DataSM{}
		if err := d.UnmarshalBinary(m.Body); err != nil {
			gw.claims.Delete(m.ID)
			gw.finish(m, store.Rejected, "REJECTD", 0)
			return
		}
		sm = d
	default:
		s := &pdu.SubmitSM{}
		if err := s.UnmarshalBinary(m.Body); err != nil {
			gw.claims.Delete(m.ID)
			gw.finish(m, store.Rejected, "REJECTD", 0)
			return
		}
		sm = s
	}
	if u == nil { // expired as queued, but replace_sm gave it a new validity
		gw.claims.Delete(m.ID)
		gw.retry(m)
		return
	}
	m.State, m.Route, m.Attempts = store.Inflight, u.name, m.Attempts+1
	// Without an idempotency key the Inflight mark must be on disk before the
	// submit leaves: after a crash such a message is never sent again. With
	// one, a message still Queued on disk after a crash is simply sent again
	// with the same key, so the mark need not be written at all.
	if u.dedupe == 0 {
		if err := gw.store.Update(m, true); err != nil {
			gw.claims.Delete(m.ID)
			m.State = store.Queued
			gw.retry(m)
			return
		}
	}
	gw.claims.Delete(m.ID)
	if u.dedupe != 0 {
		key := append([]byte(m.ID), 0)
		switch p := sm.(type) {
		case *pdu.SubmitSM:
			p.TLVs.Set(u.dedupe, key)
		case *pdu.DataSM:
			p.TLVs.Set(u.dedupe, key)
		}
	}
	sent := time.Now()
	// No per-request context: stop closes the upstream clients, which
	// completes whatever is in flight, and a cancellable context would cost
	// every submit a registration with it.
	ctx := context.Background()
	switch p := sm.(type) {
	case *pdu.SubmitSM:
		u.c.SubmitAsync(ctx, p).OnDone(func(r *pdu.SubmitSMResp, err error) {
			id := ""
			if r != nil {
				id = r.MessageID
			}
			// This runs on the upstream's read loop: the store writes go to
			// the completion workers.
			gw.later(func() { gw.upstreamDone(u, m, id, err, sent) })
		})
	case *pdu.DataSM:
		u.c.DataSMAsync(ctx, p).OnDone(func(r *pdu.DataSMResp, err error) {
			id := ""
			if r != nil {
				id = r.MessageID
			}
			gw.later(func() { gw.upstreamDone(u, m, id, err, sent) })
		})
	}
}

// pickUpstream returns the first upstream of the message's route that has a
// bind up.
func (gw *Gateway) pickUpstream(m *store.Message) *upstream {
	names := gw.routeFor(m.Account, m.Source, m.Dest)
	gw.upMu.RLock()
	defer gw.upMu.RUnlock()
	for _, n := range names {
		u := gw.upstreams[n]
		if u != nil && u.up.Load() > 0 {
			return u
		}
	}
	return nil
}

// upstreamDone records the upstream's answer to a submit.
func (gw *Gateway) upstreamDone(u *upstream, m *store.Message, upstreamID string, err error, sent time.Time) {
	gw.metrics.upstreamLatency.WithLabelValues(u.name).Observe(time.Since(sent).Seconds())
	st := pdu.StatusOf(err)
	if err == nil {
		st = pdu.ESME_ROK
	}
	gw.metrics.upstreamSubmits.WithLabelValues(u.name, st.String()).Inc()
	switch {
	case err == nil:
		key := pdu.NormalizeMessageID(upstreamID)
		if gw.mayBeStale(m) && gw.storedFinal(m.ID) {
			// A resend answered after the receipt of an earlier send was
			// recorded: this version of the message is stale.
			for _, p := range gw.parked.take(u.name, key) {
				p.ack(nil)
			}
			return
		}
		m.State, m.UpstreamID = store.Enroute, upstreamID
		if err := gw.store.MapUpstream(m, key, false); err != nil {
			// Its receipt is still matched from memory below.
			gw.storeFailed("recording the upstream's message id", m.ID, err)
		}
		gw.cache(m)
		gw.upIDs.Store(u.name+"\x00"+key, m.ID)
		// A receipt may have arrived first: it is parked and matched now.
		if ps := gw.parked.take(u.name, key); len(ps) > 0 {
			gw.upIDs.Delete(u.name + "\x00" + key)
			for _, p := range ps {
				p.ack(gw.applyReceipt(m.ID, p.d))
			}
		}
	case client.NotSent(err), errors.Is(err, pdu.ESME_RTHROTTLED), errors.Is(err, pdu.ESME_RMSGQFUL), errors.Is(err, pdu.ESME_RSYSERR),
		errors.Is(err, pdu.ESME_RINVBNDSTS):
		// Refused or never written: safe to send again. ESME_RINVBNDSTS is
		// what an upstream answers while it unbinds (a graceful restart).
		m.State = store.Queued
		if u.dedupe == 0 {
			// The store says Inflight (see dispatch): left so, a restart
			// would take it for a message in doubt and never send it.
			if err := gw.store.Update(m, false); err != nil {
				gw.storeFailed("returning a message to the queue", m.ID, err)
			}
		}
		gw.retry(m)
	case isMaybeSent(err):
		if u.dedupe != 0 {
			// The upstream recognises a resend by its key: send again.
			m.State = store.Queued
			gw.retry(m)
			return
		}
		gw.log.Warn("upstream did not answer a submit that may have been sent; not resending (crash policy)", "id", m.ID, "upstream", u.name, "err", err)
		gw.finish(m, store.Unknown, "UNKNOWN", 0)
	default:
		gw.finish(m, store.Rejected, "REJECTD", uint8(st))
	}
}

func isMaybeSent(err error) bool {
	var le *session.LostError
	var ce *session.CanceledError
	return errors.Is(err, session.ErrTimeout) || errors.Is(err, client.ErrTimeout) ||
		(errors.As(err, &le) && le.Sent) || (errors.As(err, &ce) && ce.Sent) || errors.Is(err, context.Canceled)
}

// retry schedules another attempt with exponential back-off.
func (gw *Gateway) retry(m *store.Message) {
	if !m.Expires.IsZero() && time.Now().After(m.Expires) {
		gw.finish(m, store.Expired, "EXPIRED", 0)
		return
	}
	gw.retryQ.add(m, time.Now().Add(retryDelay(m)))
}

// retryDelay is the back-off before the next attempt of m.
func retryDelay(m *store.Message) time.Duration {
	return min(retryBackoff<<min(m.Attempts, 7), maxBackoff)
}

// finish puts a message in a final state decided by the gateway and, when
// the ESME asked for one, queues a receipt it generates, in the same atomic
// write as the state: after a crash either both are on disk or neither (and
// the message is recovered in its earlier state).
func (gw *Gateway) finish(m *store.Message, st store.State, stat string, errCode uint8) {
	m.State, m.Done, m.Error = st, time.Now(), errCode
	gw.uncache(m.ID)
	gw.metrics.final.WithLabelValues(m.Account, stat).Inc()
	d, err := gw.gatewayReceipt(m, stat, errCode)
	if err != nil {
		// Only a message stored before its fields were checked can get
		// here; its final state is still recorded.
		gw.log.Error("building the gateway's receipt failed; the state is recorded without it", "err", err, "id", m.ID)
	}
	if d == nil {
		if err := gw.store.Update(m, false); err != nil {
			gw.storeFailed("recording a final state", m.ID, err)
		}
		return
	}
	if err := gw.store.UpdateWithDelivery(m, d.d, true); err != nil {
		gw.storeFailed("recording a final state and its receipt", m.ID, err)
		return
	}
	gw.pusherFor(m.Account).add(d.d, d.pdu)
}

// storeFailed reports a store write that failed on a message's path. What
// is on disk is the message's earlier state, which a restart recovers.
func (gw *Gateway) storeFailed(what, id string, err error) {
	gw.metrics.storeErrors.Inc()
	gw.log.Error("store: "+what+" failed; the message keeps its earlier state on disk, recovered at the next start", "err", err, "id", id)
}

// gatewayReceipt builds the receipt the gateway itself sends for m (expired,
// rejected, unknown), or nil when the ESME asked for none.
func (gw *Gateway) gatewayReceipt(m *store.Message, stat string, errCode uint8) (*held, error) {
	rd := m.Registered & 0x03
	if rd != 1 && rd != 2 {
		return nil, nil
	}
	// The request's addresses, with their TON and NPI.
	var sm pdu.SubmitSM
	switch pdu.CommandID(m.Command) {
	case pdu.DataSMID:
		var ds pdu.DataSM
		if err := ds.UnmarshalBinary(m.Body); err != nil {
			return nil, fmt.Errorf("decoding the stored data_sm: %w", err)
		}
		sm = pdu.SubmitSM{SourceAddrTON: ds.SourceAddrTON, SourceAddrNPI: ds.SourceAddrNPI, SourceAddr: ds.SourceAddr,
			DestAddrTON: ds.DestAddrTON, DestAddrNPI: ds.DestAddrNPI, DestinationAddr: ds.DestinationAddr}
	default:
		if err := sm.UnmarshalBinary(m.Body); err != nil {
			return nil, fmt.Errorf("decoding the stored submit_sm: %w", err)
		}
	}
	r := &pdu.Receipt{ID: m.ID, TextID: m.ID, Sub: "001", Dlvrd: "000",
		SubmitDate: m.Created, DoneDate: m.Done, Stat: stat, State: queryState(m.State), Err: errText(errCode)}
	if text, err := sm.Text(); err == nil {
		r.Text = text // the first 20 characters, as SMSCs write them; none for binary data
	}
	d := pdu.NewReceiptDeliverSM(&sm, r)
	body, err := d.AppendBinary(nil)
	if err != nil {
		return nil, fmt.Errorf("encoding the receipt: %w", err)
	}
	return &held{d: &store.Delivery{Account: m.Account, Body: body, Created: time.Now()}, pdu: d}, nil
}

func errText(c uint8) string {
	return string([]byte{'0' + c/100, '0' + c/10%10, '0' + c%10})
}

// --- receipts and MO from upstreams ---

// upstreamHandler receives deliver_sm and data_sm from an upstream.
func (gw *Gateway) upstreamHandler(u *upstream) client.Handler {
	return client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
		if d.Receipt != nil {
			return gw.onReceipt(u, d)
		}
		return gw.onMO(u, d)
	})
}

func (gw *Gateway) onReceipt(u *upstream, d *client.Delivery) error {
	key := pdu.NormalizeMessageID(d.Receipt.ID)
	if v, ok := gw.upIDs.LoadAndDelete(u.name + "\x00" + key); ok {
		return gw.applyReceipt(v.(string), d.PDU)
	}
	id, err := gw.store.LookupUpstream(u.name, key)
	if errors.Is(err, store.ErrNotFound) && !hasReceiptedID(d.PDU) {
		// receipted_message_id is copied verbatim; an id from the text may
		// be the same number in the other base.
		for _, alt := range pdu.OtherBaseMessageIDKeys(key) {
			if id, err = gw.store.LookupUpstream(u.name, alt); !errors.Is(err, store.ErrNotFound) {
				break
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		// Its submit_sm_resp has not been recorded yet: hold the answer to the
		// upstream until it is, or until parkTimeout (then the upstream is
		// asked to deliver it again later).
		gw.metrics.parked.Inc()
		gw.parked.put(u.name, key, d.PDU, d.Hold())
		// The answer may have been recorded between the lookup and the
		// parking, after its recorder looked for parked receipts.
		if v, ok := gw.upIDs.Load(u.name + "\x00" + key); ok {
			for _, p := range gw.parked.take(u.name, key) {
				p.ack(gw.applyReceipt(v.(string), p.d))
			}
		}
		return nil
	}
	if err != nil {
		return err
	}
	return gw.applyReceipt(id, d.PDU)
}

func hasReceiptedID(p pdu.PDU) bool {
	switch v := p.(type) {
	case *pdu.DeliverSM:
		return v.TLVs.Has(tlv.ReceiptedMessageID)
	case *pdu.DataSM:
		return v.TLVs.Has(tlv.ReceiptedMessageID)
	}
	return false
}

// applyReceipt records an upstream receipt for message id and queues it,
// with the id rewritten, for the ESME.
func (gw *Gateway) applyReceipt(id string, p pdu.PDU) error {
	// One receipt of a message at a time: a repeat arriving while the first
	// is being written is refused (the upstream delivers it again later,
	// and then it is recognised as a repeat).
	if _, busy := gw.receiving.LoadOrStore(id, struct{}{}); busy {
		return errors.New("a receipt for this message is being recorded")
	}
	defer gw.receiving.Delete(id)
	m, err := gw.message(id)
	if err != nil {
		return err
	}
	var dsm *pdu.DeliverSM
	switch v := p.(type) {
	case *pdu.DeliverSM:
		dsm = v
	case *pdu.DataSM:
		dsm = &pdu.DeliverSM{ServiceType: v.ServiceType, SourceAddrTON: v.SourceAddrTON, SourceAddrNPI: v.SourceAddrNPI, SourceAddr: v.SourceAddr,
			DestAddrTON: v.DestAddrTON, DestAddrNPI: v.DestAddrNPI, DestinationAddr: v.DestinationAddr, ESMClass: v.ESMClass,
			RegisteredDelivery: v.RegisteredDelivery, DataCoding: v.DataCoding, TLVs: v.TLVs}
	default:
		return errors.New("unexpected receipt PDU")
	}
	var r pdu.Receipt
	if err := pdu.ReceiptFromDeliverSM(dsm, &r); err != nil && r.State == 0 {
		// Passed through verbatim all the same; the gateway cannot tell the
		// message's state from it.
		gw.log.Warn("upstream receipt without a readable state; the message is marked UNKNOWN", "err", err, "id", id)
	}
	if m.State.Final() {
		// A receipt repeated by an upstream that did not get our answer
		// (either side restarted): the first one was queued for the ESME in
		// the same write as the final state, so acknowledge this one and do
		// not deliver the receipt twice.
		return nil
	}
	m.State = storeState(r.State)
	if m.State.Final() {
		m.Done = time.Now()
		if c, ok := r.ErrCode(); ok && c < 256 {
			m.Error = uint8(c)
		}
	}
	// The new state and the receipt for the ESME are written in one atomic,
	// synced write: after a crash either both are there (and a receipt the
	// upstream repeats is recognised by the final state) or neither (and the
	// upstream's repeat is processed as new).
	var out *pdu.DeliverSM
	var sd *store.Delivery
	if m.Registered&0x03 != 0 {
		out = rewriteReceipt(dsm, m.ID)
		body, err := out.AppendBinary(make([]byte, 0, 200+len(out.ShortMessage)))
		if err != nil {
			return err
		}
		sd = &store.Delivery{Account: m.Account, Body: body, Created: time.Now()}
		err = gw.store.UpdateWithDelivery(m, sd, true)
		if err != nil {
			return err
		}
	} else if err := gw.store.Update(m, false); err != nil {
		return err
	}
	gw.metrics.receipts.WithLabelValues(m.Account, r.Stat).Inc()
	gw.metrics.receiptLatency.Observe(time.Since(m.Created).Seconds())
	if m.State.Final() {
		gw.uncache(m.ID)
	} else {
		gw.cache(m)
	}
	if sd != nil {
		gw.pusherFor(m.Account).add(sd, out)
	}
	return nil
}

// rewriteReceipt returns a copy of an upstream receipt with only the message
// id changed (in the text and in receipted_message_id), and only the TLVs
// that SMPP 3.4 allows in deliver_sm (some client libraries fail on others).
func rewriteReceipt(in *pdu.DeliverSM, id string) *pdu.DeliverSM {
	out := *in
	out.TLVs = nil
	for _, f := range in.TLVs {
		if !deliverSMTLV(f.Tag) {
			continue
		}
		if f.Tag == tlv.ReceiptedMessageID {
			f.Value = append([]byte(id), 0)
		}
		out.TLVs = append(out.TLVs, f)
	}
	if len(in.ShortMessage) > 0 {
		out.ShortMessage = replaceTextID(in.ShortMessage, id)
	} else if p, ok := in.TLVs.MessagePayload(); ok {
		out.TLVs.Set(tlv.MessagePayload, replaceTextID(p, id))
	}
	return &out
}

// replaceTextID replaces the value of the id: field of receipt text.
func replaceTextID(text []byte, id string) []byte {
	for j := 0; j+3 <= len(text); j++ {
		// The label, in any case, at the start or after a space.
		if (j > 0 && text[j-1] != ' ') || text[j]|0x20 != 'i' || text[j+1]|0x20 != 'd' || text[j+2] != ':' {
			continue
		}
		start := j + 3
		end := start
		for end < len(text) && text[end] != ' ' {
			end++
		}
		out := make([]byte, 0, len(text)-(end-start)+len(id))
		out = append(out, text[:start]...)
		out = append(out, id...)
		return append(out, text[end:]...)
	}
	return append([]byte(nil), text...)
}

var deliverTLVs = map[tlv.Tag]bool{
	tlv.UserMessageReference: true, tlv.SourcePort: true, tlv.DestinationPort: true, tlv.SarMsgRefNum: true,
	tlv.SarTotalSegments: true, tlv.SarSegmentSeqnum: true, tlv.UserResponseCode: true, tlv.PrivacyIndicator: true,
	tlv.PayloadType: true, tlv.MessagePayload: true, tlv.CallbackNum: true, tlv.SourceSubaddress: true,
	tlv.DestSubaddress: true, tlv.LanguageIndicator: true, tlv.ItsSessionInfo: true, tlv.NetworkErrorCode: true,
	tlv.MessageState: true, tlv.ReceiptedMessageID: true, tlv.UssdServiceOp: true,
}

func deliverSMTLV(t tlv.Tag) bool { return deliverTLVs[t] }

// deliverSMTLVs keeps, in place, the TLVs that SMPP 3.4 defines for
// deliver_sm: some ESMEs (python smpplib) fail on any other tag, and an
// operator's vendor TLVs mean nothing to the gateway's customers.
func deliverSMTLVs(l tlv.List) tlv.List {
	out := l[:0]
	for _, f := range l {
		if deliverSMTLV(f.Tag) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// onMO routes an MO message to the account its destination belongs to.
func (gw *Gateway) onMO(u *upstream, d *client.Delivery) error {
	var acct string
	for _, r := range gw.cfg.Load().MORoutes {
		if len(d.Destination) >= len(r.Prefix) && d.Destination[:len(r.Prefix)] == r.Prefix {
			acct = r.Account
			break
		}
	}
	if acct == "" {
		gw.metrics.mo.WithLabelValues("", "unrouted").Inc()
		return nil // acknowledged and dropped: nobody takes it (logged)
	}
	dsm, ok := d.PDU.(*pdu.DeliverSM)
	if !ok || d.Message == nil {
		return nil
	}
	gw.metrics.mo.WithLabelValues(acct, "routed").Inc()
	// A reassembled long message goes on as one message_payload.
	out := &pdu.DeliverSM{ServiceType: dsm.ServiceType, SourceAddrTON: dsm.SourceAddrTON, SourceAddrNPI: dsm.SourceAddrNPI,
		SourceAddr: dsm.SourceAddr, DestAddrTON: dsm.DestAddrTON, DestAddrNPI: dsm.DestAddrNPI, DestinationAddr: dsm.DestinationAddr,
		ProtocolID: dsm.ProtocolID, PriorityFlag: dsm.PriorityFlag, DataCoding: dsm.DataCoding}
	if len(d.Message.Payload) <= 254 && d.Message.Total <= 1 {
		out = dsm.Clone()
		out.TLVs = deliverSMTLVs(out.TLVs)
	} else {
		out.TLVs.SetMessagePayload(append([]byte(nil), d.Message.Payload...))
	}
	return gw.queueDelivery(acct, out)
}

// later runs f on a completion worker: callbacks that run on a session's read
// loop must not block it with store writes. Once the gateway stops, f runs
// at once: nothing handed over is dropped.
func (gw *Gateway) later(f func()) {
	select {
	case gw.work <- f:
	case <-gw.ctx.Done():
		f()
	}
}

func (gw *Gateway) worker() {
	defer gw.wg.Done()
	for {
		select {
		case f := <-gw.work:
			f()
		case <-gw.ctx.Done():
			// Finish what was handed over.
			for {
				select {
				case f := <-gw.work:
					f()
				default:
					return
				}
			}
		}
	}
}

// --- the retry queue ---

type delayItem struct {
	m  *store.Message
	at time.Time
}

type delayHeap []delayItem

func (h delayHeap) Len() int           { return len(h) }
func (h delayHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h delayHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)        { *h = append(*h, x.(delayItem)) }
func (h *delayHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// delayQueue releases messages at their time, with one goroutine and one timer.
type delayQueue struct {
	mu    sync.Mutex
	h     delayHeap
	wake  chan struct{}
	ready func(*store.Message)
}

func newDelayQueue(ready func(*store.Message)) *delayQueue {
	return &delayQueue{wake: make(chan struct{}, 1), ready: ready}
}

func (q *delayQueue) add(m *store.Message, at time.Time) {
	q.mu.Lock()
	heap.Push(&q.h, delayItem{m, at})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// releaseAll makes every waiting message due now.
func (q *delayQueue) releaseAll() {
	q.mu.Lock()
	now := time.Now()
	for i := range q.h {
		q.h[i].at = now
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *delayQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.h)
}

func (q *delayQueue) run(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		q.mu.Lock()
		now := time.Now()
		var due []*store.Message
		for len(q.h) > 0 && !q.h[0].at.After(now) {
			due = append(due, heap.Pop(&q.h).(delayItem).m)
		}
		next := time.Hour
		if len(q.h) > 0 {
			next = q.h[0].at.Sub(now)
		}
		q.mu.Unlock()
		for _, m := range due {
			q.ready(m)
		}
		t.Reset(next)
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-t.C:
		}
	}
}

// --- receipts waiting for their submit_sm_resp ---

type parkedReceipt struct {
	d   pdu.PDU
	ack func(error)
	at  time.Time
}

type parking struct {
	mu sync.Mutex
	m  map[string][]parkedReceipt
}

func newParking() *parking { return &parking{m: map[string][]parkedReceipt{}} }

func (p *parking) put(route, key string, d pdu.PDU, ack func(error)) {
	p.mu.Lock()
	k := route + "\x00" + key
	p.m[k] = append(p.m[k], parkedReceipt{d, ack, time.Now()})
	p.mu.Unlock()
}

func (p *parking) take(route, key string) []parkedReceipt {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := route + "\x00" + key
	v := p.m[k]
	if v != nil {
		delete(p.m, k)
	}
	return v
}

func (p *parking) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

// expire answers receipts parked too long with an error: the upstream is asked
// (ESME_RX_T_APPN) to deliver them again later.
func (p *parking) expire(now time.Time) int {
	var old []parkedReceipt
	p.mu.Lock()
	for k, v := range p.m {
		if now.Sub(v[0].at) > parkTimeout {
			old = append(old, v...)
			delete(p.m, k)
		}
	}
	p.mu.Unlock()
	for _, r := range old {
		r.ack(errors.New("receipt for an unknown message id"))
	}
	return len(old)
}
