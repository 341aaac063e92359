package conform

// The ESME role: the tool is the SMSC and the ESME under test connects to
// it. Config.ESME carries what the role needs beyond Config: the driver that
// makes the ESME send, the window it declares, the outbind address.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// Driver kinds: what a case asks the ESME under test to send.
const (
	// DriveSubmit asks for one short text message (ASCII, under 70 characters).
	DriveSubmit = "submit"
	// DriveLong asks for one text of GSM 7-bit characters too long for one
	// message (about 400 characters), which the ESME must split.
	DriveLong = "long"
	// DriveUnicode asks for one short text with characters outside GSM 7-bit
	// and Latin-1 (Cyrillic), which needs UCS-2.
	DriveUnicode = "unicode"
	// DriveBurst asks for ESMEOptions.Burst short messages at once.
	DriveBurst = "burst"
)

// ESMEOptions configures the cases of the ESME role. The zero value has no
// driver (cases that need the ESME to submit are skipped) and listens on
// Config.Addr.
type ESMEOptions struct {
	// Driver makes the ESME under test send what kind says (DriveSubmit,
	// DriveLong, DriveUnicode, DriveBurst): a test calls its ESME, the
	// command line prompts its operator. It returns once the sending has
	// been started, without waiting for the SMSC's answers (the case may be
	// holding them). Nil skips the cases that need it.
	Driver func(ctx context.Context, kind string) error
	// Listener, when not nil, is where the ESME connects (a test's own
	// listener); nil listens on Config.Addr (with Config.TLS) at the first
	// case.
	Listener net.Listener
	// Window is the most outstanding requests the ESME declares it keeps;
	// zero skips the window case.
	Window int
	// Burst is how many messages DriveBurst sends; zero means 20.
	Burst int
	// Binds is how many connections the ESME keeps bound at once; zero
	// means 1.
	Binds int
	// OutbindAddr is where the ESME listens for an outbind (the "outbind"
	// capability); empty skips the outbind case.
	OutbindAddr string
	// ConnectTimeout bounds the wait for the ESME to connect and bind at
	// the start of a case, and to come back after a dropped connection;
	// zero means 30 s.
	ConnectTimeout time.Duration

	mu    sync.Mutex
	conns chan net.Conn
	ln    net.Listener
	err   error
}

// ESMEOptionsOf returns cfg.ESME, setting it to the defaults when nil.
func ESMEOptionsOf(cfg *Config) *ESMEOptions {
	if cfg.ESME == nil {
		cfg.ESME = &ESMEOptions{}
	}
	return cfg.ESME
}

// Close stops listening for the ESME. It may be called more than once.
func (o *ESMEOptions) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ln == nil {
		return nil
	}
	err := o.ln.Close()
	o.err = net.ErrClosed
	return err
}

func (o *ESMEOptions) burst() int {
	if o.Burst > 0 {
		return o.Burst
	}
	return 20
}

func (o *ESMEOptions) connectTimeout() time.Duration {
	if o.ConnectTimeout > 0 {
		return o.ConnectTimeout
	}
	return 30 * time.Second
}

// accepted returns the channel of the ESME's connections, listening and
// accepting in the background from the first call on.
func (o *ESMEOptions) accepted(cfg *Config) (<-chan net.Conn, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return nil, o.err
	}
	if o.conns != nil {
		return o.conns, nil
	}
	ln := o.Listener
	if ln == nil {
		l, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			o.err = err
			return nil, err
		}
		ln = l
		if cfg.TLS != nil {
			ln = tls.NewListener(l, cfg.TLS)
		}
	}
	o.ln, o.conns = ln, make(chan net.Conn, 64)
	go func(ch chan net.Conn) {
		for {
			c, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			select {
			case ch <- c:
			default:
				c.Close() // nobody is taking connections: the ESME will retry
			}
		}
	}(o.conns)
	return o.conns, nil
}

// driveESME asks the ESME to send kind through the driver; without a
// driver the case is skipped, and driveESME reports false.
func driveESME(t *T, kind string) bool {
	o := ESMEOptionsOf(t.Config())
	if o.Driver == nil {
		t.Skip("needs the ESME to send a %q message and no driver is configured", kind)
		return false
	}
	if err := o.Driver(t.Context(), kind); err != nil {
		t.Fail("the driver could not make the ESME send %q: %v", kind, err)
		return false
	}
	return true
}

// esmeTimeout is the run's wait for one answer.
func esmeTimeout(t *T) time.Duration {
	if d := t.Config().Timeout; d > 0 {
		return d
	}
	return 5 * time.Second
}

// acceptConn waits for the ESME's next connection.
func acceptESMEConn(t *T, d time.Duration) (net.Conn, error) {
	ch, err := ESMEOptionsOf(t.Config()).accepted(t.Config())
	if err != nil {
		return nil, fmt.Errorf("listening for the ESME: %w", err)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case c := <-ch:
		return c, nil
	case <-timer.C:
		return nil, fmt.Errorf("the ESME did not connect within %v", d)
	case <-t.Context().Done():
		return nil, t.Context().Err()
	}
}

// OpenESME waits (ConnectTimeout) for the ESME to connect and send its first
// PDU, which it leaves unanswered in the returned connection's Bind fields.
// Connections that close before sending a PDU are passed over. It returns
// nil, having failed the case, when no ESME comes.
func OpenESME(t *T) *ESMEConn {
	e, err := openESME(t, ESMEOptionsOf(t.Config()).connectTimeout())
	if err != nil {
		t.Fail("%v", err)
		return nil
	}
	return e
}

func openESME(t *T, d time.Duration) (*ESMEConn, error) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("no ESME sent a PDU within %v", d)
		}
		c, err := acceptESMEConn(t, left)
		if err != nil {
			return nil, err
		}
		e := newESMEConn(t, c)
		m, err := e.Next(min(left, esmeTimeout(t)))
		if err != nil {
			c.Close() // a stale connection: take the next one
			continue
		}
		e.First = m
		return e, nil
	}
}

// BoundESME is OpenESME followed by a successful bind: the first PDU must
// be a bind with the configured credentials, and is answered ESME_ROK with
// sc_interface_version 0x34. It returns nil, having failed the case,
// otherwise.
func BoundESME(t *T) *ESMEConn {
	e := OpenESME(t)
	if e == nil {
		return nil
	}
	if !e.AcceptBind() {
		e.Drop()
		return nil
	}
	return e
}

// AcceptBind answers the connection's first PDU, which must be a bind with
// the configured credentials, with ESME_ROK; otherwise it fails the case and
// reports false.
func (e *ESMEConn) AcceptBind() bool {
	b, ok := e.First.PDU.(*pdu.Bind)
	if !ok {
		e.t.Fail("the ESME's first PDU is %v, not a bind", e.First.ID)
		return false
	}
	cfg := e.t.Config()
	if (cfg.SystemID != "" && b.SystemID != cfg.SystemID) || (cfg.Password != "" && b.Password != cfg.Password) {
		e.Send(e.First.Sequence, pdu.ESME_RINVPASWD, &pdu.BindResp{ID: b.ID.Response()})
		e.t.Fail("the ESME bound as %q with another password than configured", b.SystemID)
		return false
	}
	resp := &pdu.BindResp{ID: b.ID.Response(), SystemID: "SMPPCONFORM"}
	resp.TLVs.Add(0x0210, []byte{0x34}) // sc_interface_version
	return e.Send(e.First.Sequence, pdu.ESME_ROK, resp) == nil
}
