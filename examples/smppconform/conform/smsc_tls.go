package conform

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

func init() {
	Register(
		smsc("tls", 1, "fields §14", "the TLS version is 1.2 or later",
			"SMPP 3.4 predates TLS; transport security is deployment practice, and versions before TLS 1.2 are deprecated (RFC 8996). The SMSC negotiates TLS 1.2 or 1.3.",
			func(t *T) {
				c := tlsDial(t, nil)
				if c == nil {
					return
				}
				defer c.Close()
				if v := c.ConnectionState().Version; v < tls.VersionTLS12 {
					t.Fail("negotiated %s", tls.VersionName(v))
				}
			}, "tls"),
		smsc("tls", 2, "fields §14", "TLS 1.0 and 1.1 are refused",
			"A client offering only TLS 1.1 or older is refused at the handshake (RFC 8996).",
			func(t *T) {
				cfg := t.cfg.TLS.Clone()
				cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
				d := tls.Dialer{NetDialer: &net.Dialer{Timeout: t.timeout()}, Config: cfg}
				ctx, cancel := context.WithTimeout(t.ctx, t.timeout())
				defer cancel()
				nc, err := d.DialContext(ctx, "tcp", t.cfg.Addr)
				if err == nil {
					t.Fail("handshake with TLS %s succeeded", tls.VersionName(nc.(*tls.Conn).ConnectionState().Version))
					nc.Close()
				}
			}, "tls"),
		smsc("tls", 3, "pdus §4.1", "SMPP in clear text on the TLS port is not answered",
			"On a TLS endpoint nothing of SMPP happens before the TLS handshake: a bind sent in clear gets no bind_resp.",
			func(t *T) {
				nc, err := (&net.Dialer{Timeout: t.timeout()}).DialContext(t.ctx, "tcp", t.cfg.Addr)
				if err != nil {
					t.Fail("dial: %v", err)
					return
				}
				defer nc.Close()
				raw, _ := pdu.AppendPDU(nil, 1, 0, t.bindPDU(pdu.BindTransmitterID))
				nc.SetDeadline(time.Now().Add(min(t.timeout(), 2*time.Second)))
				nc.Write(raw)
				buf := make([]byte, 16)
				n, _ := nc.Read(buf)
				if n >= 8 {
					if h, err := pdu.ParseHeader(append(buf[:n:n], make([]byte, 16)...)); err == nil && h.ID == pdu.BindTransmitterRespID {
						t.Fail("a clear-text bind was answered: %v", h.ID)
					}
				}
			}, "tls"),
		smsc("tls", 4, "pdus §5.1", "a bind over TLS is accepted",
			"Once the TLS handshake is done the session is an ordinary SMPP session: bind_transmitter is accepted.",
			func(t *T) {
				if c := bound(t, pdu.BindTransmitterID); c != nil {
					if _, isTLS := c.nc.(*tls.Conn); !isTLS {
						t.Fail("the run has no TLS configuration")
					}
					c.unbindClose()
				}
			}, "tls"),
	)
}

// tlsDial completes a TLS handshake with the run's configuration (changed
// by set when not nil).
func tlsDial(t *T, set func(*tls.Config)) *tls.Conn {
	if t.cfg.TLS == nil {
		t.Fail("the run has no TLS configuration (-tls)")
		return nil
	}
	cfg := t.cfg.TLS.Clone()
	if set != nil {
		set(cfg)
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: t.timeout()}, Config: cfg}
	ctx, cancel := context.WithTimeout(t.ctx, t.timeout())
	defer cancel()
	nc, err := d.DialContext(ctx, "tcp", t.cfg.Addr)
	if err != nil {
		t.Fail("TLS handshake: %v", err)
		return nil
	}
	return nc.(*tls.Conn)
}
