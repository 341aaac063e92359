package smpptest

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// ESME is a minimal in-process ESME on a session, for tests of SMSCs. It
// acknowledges every deliver_sm and data_sm with ESME_ROK (unless Config has a
// Handler) and records them.
type ESME struct {
	*session.Session
	nc net.Conn

	mu       sync.Mutex
	changed  chan struct{}
	received []Received
}

// ESMEOptions configure Dial.
type ESMEOptions struct {
	// TLS, when set, dials with TLS.
	TLS *tls.Config
	// Config is the session configuration; Role is forced to ESME. A nil
	// Handler acknowledges deliveries with ESME_ROK.
	Config session.Config
}

// Dial connects to an SMSC at addr and starts an ESME session (not yet bound).
func Dial(ctx context.Context, addr string, opts ESMEOptions) (*ESME, error) {
	var d net.Dialer
	var nc net.Conn
	var err error
	if opts.TLS != nil {
		td := tls.Dialer{NetDialer: &d, Config: opts.TLS}
		nc, err = td.DialContext(ctx, "tcp", addr)
	} else {
		nc, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	return NewESME(nc, opts.Config), nil
}

// NewESME starts an ESME session on an established connection (a net.Pipe end
// in timer tests).
func NewESME(nc net.Conn, cfg session.Config) *ESME {
	e := &ESME{changed: make(chan struct{})}
	cfg.Role = session.ESME
	user := cfg.Handler
	cfg.Handler = session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
		e.mu.Lock()
		e.received = append(e.received, Received{SystemID: r.Session.SystemID(), Session: r.Session, Header: r.Header, PDU: r.PDU, At: time.Now()})
		close(e.changed)
		e.changed = make(chan struct{})
		e.mu.Unlock()
		if user != nil {
			user.ServeSMPP(w, r)
			return
		}
		switch r.Header.ID {
		case pdu.DeliverSMID:
			w.Respond(&pdu.DeliverSMResp{}, pdu.ESME_ROK)
		case pdu.DataSMID:
			w.Respond(&pdu.DataSMResp{}, pdu.ESME_ROK)
		default:
			w.Respond(nil, pdu.ESME_RINVCMDID)
		}
	})
	e.nc = nc
	e.Session = session.New(nc, cfg)
	return e
}

// NetConn returns the connection the ESME runs on (a *tls.Conn when it
// dialled with TLS), to look at, not to read or write.
func (e *ESME) NetConn() net.Conn { return e.nc }

// DialBind dials and binds with the given bind type (pdu.BindTransceiverID...),
// system_id and password, interface_version 0x34.
func DialBind(ctx context.Context, addr string, opts ESMEOptions, id pdu.CommandID, systemID, password string) (*ESME, error) {
	e, err := Dial(ctx, addr, opts)
	if err != nil {
		return nil, err
	}
	if _, err := e.BindAs(ctx, id, systemID, password); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// BindAs binds with interface_version 0x34.
func (e *ESME) BindAs(ctx context.Context, id pdu.CommandID, systemID, password string) (*pdu.BindResp, error) {
	return e.Bind(ctx, &pdu.Bind{ID: id, SystemID: systemID, Password: password, InterfaceVersion: 0x34})
}

// Submit sends a submit_sm and waits for its response.
func (e *ESME) Submit(ctx context.Context, sm *pdu.SubmitSM) (*pdu.SubmitSMResp, error) {
	resp, err := e.Send(ctx, sm)
	if resp != nil {
		if r, ok := resp.PDU.(*pdu.SubmitSMResp); ok {
			return r, err
		}
	}
	return nil, err
}

// Received returns the requests received from the SMSC so far.
func (e *ESME) Received() []Received {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Received(nil), e.received...)
}

// WaitReceived waits until n requests have been received from the SMSC.
func (e *ESME) WaitReceived(n int, timeout time.Duration) ([]Received, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		e.mu.Lock()
		ok := len(e.received) >= n
		ch := e.changed
		e.mu.Unlock()
		if ok {
			return e.Received(), nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return e.Received(), ErrWaitTimeout
		}
	}
}

// Close closes the connection and waits for the session's handlers.
func (e *ESME) Close() error {
	e.Session.Close()
	e.Session.Wait()
	return nil
}
