package conform

import (
	"net"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

func init() {
	Register(
		smsc("timers", 1, "fields §14", "a connection that never binds is closed (session_init_timer)",
			"session_init_timer runs from the TCP connect until a bind; on expiry the SMSC closes the connection. The profile declares the timer.",
			func(t *T) {
				d := t.cfg.SessionInitTimer
				if d <= 0 {
					t.Skip("the profile declares no session_init_timer")
					return
				}
				c := dial(t)
				if c == nil {
					return
				}
				defer c.close()
				if closed, got := c.waitClosed(slack(d)); !closed {
					t.Fail("still open %v after connecting without a bind (declared %v); received %d PDUs", slack(d), d, len(got))
				}
			}, "timers"),
		smsc("timers", 2, "fields §14", "an idle bound session is ended (inactivity_timer)",
			"inactivity_timer: a bound session with no transaction for that long is unbound or closed by the SMSC. The profile declares the timer.",
			func(t *T) {
				d := t.cfg.InactivityTimer
				if d <= 0 {
					t.Skip("the profile declares no inactivity_timer")
					return
				}
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				closed, got := c.waitClosed(slack(d))
				for _, f := range got {
					if f.ID == pdu.UnbindID {
						return
					}
				}
				if !closed {
					t.Fail("idle bound session still open after %v (declared %v)", slack(d), d)
				}
			}, "timers"),
		smsc("timers", 3, "fields §14", "enquire_link answered at once on a busy session",
			"enquire_link checks the link; it is answered while submissions are in flight, within the response timer.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				for range 5 {
					if _, err := c.send(t.submitPDU("busy")); err != nil {
						t.Fail("send: %v", err)
						return
					}
				}
				start := time.Now()
				checkInSync(t, c)
				if d := time.Since(start); d > t.timeout() {
					t.Fail("enquire_link_resp after %v", d)
				}
			}),
		smsc("timers", 4, "fields §14", "enquire_links keep a session bound",
			"An SMSC may end idle sessions, but a session that answers and sends enquire_link is not idle: after 3 enquire_links over 3 s it is still bound and accepts a submission.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				for range 3 {
					smscSleep(t, time.Second)
					checkInSync(t, c)
				}
				c.callOK(t.submitPDU("still here"))
			}),
		smsc("timers", 5, "fields §14", "a TLS connection that never sends a ClientHello is closed",
			"What happens before the SMPP handshake is bounded too: a connection that opens TCP and sends nothing is closed within the declared session_init_timer (which covers the TLS handshake).",
			func(t *T) {
				d := t.cfg.SessionInitTimer
				if d <= 0 {
					t.Skip("the profile declares no session_init_timer")
					return
				}
				nc, err := (&net.Dialer{Timeout: t.timeout()}).DialContext(t.ctx, "tcp", t.cfg.Addr)
				if err != nil {
					t.Fail("dial: %v", err)
					return
				}
				defer nc.Close()
				nc.SetReadDeadline(time.Now().Add(slack(d)))
				if _, err := nc.Read(make([]byte, 1)); isTimeout(err) {
					t.Fail("still open %v after connecting and sending nothing (declared %v)", slack(d), d)
				}
			}, "timers", "tls"),
	)
}
