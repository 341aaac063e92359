package conform

import (
	"errors"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

func init() {
	Register(
		smsc("session", 1, "pdus §5.1", "bind_transmitter with valid credentials is accepted",
			"A bind_transmitter in the OPEN state with a valid system_id and password is answered by bind_transmitter_resp with ESME_ROK, the same sequence_number and the SMSC's system_id.",
			bindAccepted(pdu.BindTransmitterID)),
		smsc("session", 2, "pdus §5.1", "bind_receiver with valid credentials is accepted",
			"A bind_receiver in the OPEN state is answered by bind_receiver_resp with ESME_ROK and the SMSC's system_id.",
			bindAccepted(pdu.BindReceiverID)),
		smsc("session", 3, "pdus §5.1", "bind_transceiver with valid credentials is accepted",
			"A bind_transceiver in the OPEN state is answered by bind_transceiver_resp with ESME_ROK and the SMSC's system_id.",
			bindAccepted(pdu.BindTransceiverID), "transceiver"),
		smsc("session", 4, "status §1", "a wrong password is refused",
			"A bind whose password does not match is refused with a non-zero status (ESME_RINVPASWD, or the generic ESME_RBINDFAIL / ESME_RINVSYSID that hide which part was wrong).",
			probe{Req: &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "", InterfaceVersion: 0x34}, Want: st(pdu.ESME_RINVPASWD, pdu.ESME_RBINDFAIL, pdu.ESME_RINVSYSID), Nack: true, CloseOK: false}.withBind(func(t *T, b *pdu.Bind) {
				b.SystemID, b.Password = t.cfg.SystemID, wrong(t.cfg.Password)
			})),
		smsc("session", 5, "status §1", "an unknown system_id is refused",
			"A bind with a system_id the SMSC does not know is refused with ESME_RINVSYSID (or the generic ESME_RBINDFAIL / ESME_RINVPASWD).",
			probe{Req: &pdu.Bind{}, Want: st(pdu.ESME_RINVSYSID, pdu.ESME_RBINDFAIL, pdu.ESME_RINVPASWD), Nack: true}.withBind(func(t *T, b *pdu.Bind) {
				b.SystemID, b.Password = "nosuchid9z", wrong(t.cfg.Password)
			})),
		smsc("session", 6, "pdus §4.3", "a second bind on a bound session gets ESME_RALYBND",
			"bind_* is legal only in the OPEN state; on a bound session the SMSC answers the bind_*_resp with ESME_RALYBND.",
			func(t *T) {
				probe{Bind: pdu.BindTransmitterID, Req: t.bindPDU(pdu.BindTransmitterID), Want: st(pdu.ESME_RALYBND), Nack: true, Sync: true}.run(t)
			}),
		smsc("session", 7, "pdus §4.3", "submit_sm before any bind gets ESME_RINVBNDSTS",
			"Any non-bind request in the OPEN state is answered with ESME_RINVBNDSTS in the matching response (or a generic_nack).",
			func(t *T) {
				probe{Req: t.submitPDU("unbound"), Want: st(pdu.ESME_RINVBNDSTS), Nack: true}.run(t)
			}),
		smsc("session", 8, "pdus §4.3", "submit_sm on a receiver bind gets ESME_RINVBNDSTS",
			"submit_sm is legal in BOUND_TX and BOUND_TRX only; on a receiver session the SMSC answers ESME_RINVBNDSTS.",
			func(t *T) {
				probe{Bind: pdu.BindReceiverID, Req: t.submitPDU("on a receiver"), Want: st(pdu.ESME_RINVBNDSTS), Nack: true, Sync: true}.run(t)
			}),
		smsc("session", 9, "pdus §4.3", "query_sm on a receiver bind gets ESME_RINVBNDSTS",
			"query_sm is legal in BOUND_TX and BOUND_TRX only; on a receiver session the SMSC answers ESME_RINVBNDSTS.",
			func(t *T) {
				probe{Bind: pdu.BindReceiverID, Req: &pdu.QuerySM{MessageID: "1", SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr},
					Want: st(pdu.ESME_RINVBNDSTS), Nack: true, Sync: true}.run(t)
			}, "query_sm"),
		smsc("session", 10, "pdus §4.1", "a refused bind leaves the session OPEN",
			"A bind rejected with a non-zero status leaves the session in the OPEN state: a correct bind on the same connection is then accepted (or the SMSC closes the connection).",
			func(t *T) {
				c := dial(t)
				if c == nil {
					return
				}
				defer c.close()
				b := t.bindPDU(pdu.BindTransmitterID)
				b.Password = wrong(b.Password)
				f, err := c.call(b)
				if err != nil {
					t.Fail("refused bind: %v", err)
					return
				}
				if f.Status == pdu.ESME_ROK {
					t.Fail("a wrong password was accepted: %v", f)
					return
				}
				f, err = c.call(t.bindPDU(pdu.BindTransmitterID))
				switch {
				case err != nil && isClosed(err):
					t.Logf("the SMSC closed the connection after the refusal")
				case err != nil:
					t.Fail("bind after a refusal: %v", err)
				case f.Status != pdu.ESME_ROK:
					t.Fail("bind after a refusal answered %v, want ESME_ROK", f)
				}
			}),
		smsc("session", 11, "pdus §4.3", "enquire_link before the bind is answered",
			"enquire_link in the OPEN state is tolerated (3.4 lists it for bound states, SMPP 5.0 allows OPEN): the SMSC answers it (enquire_link_resp, or an ESME_RINVBNDSTS response or generic_nack) or closes, and does not leave it unanswered.",
			func(t *T) {
				probe{Req: &pdu.EnquireLink{}, Want: st(pdu.ESME_ROK, pdu.ESME_RINVBNDSTS), Nack: true, CloseOK: true}.run(t)
			}),
		smsc("session", 12, "pdus §4.1", "a connection closed before binding does not disturb the next one",
			"A TCP connection that is opened and closed in the OPEN state leaves the SMSC ready for the next connection, which binds normally.",
			func(t *T) {
				nc, err := dialRaw(t)
				if err != nil {
					t.Fail("dial: %v", err)
					return
				}
				nc.Close()
				if c := bound(t, pdu.BindTransmitterID); c != nil {
					c.unbindClose()
				}
			}),
		smsc("session", 13, "pdus §4.1", "a transmitter and a receiver of the same system_id bind at once",
			"An ESME may hold a transmitter and a receiver session at the same time (BOUND_TX and BOUND_RX are separate sessions).",
			func(t *T) {
				tx := bound(t, pdu.BindTransmitterID)
				if tx == nil {
					return
				}
				defer tx.unbindClose()
				if rx := bound(t, pdu.BindReceiverID); rx != nil {
					rx.unbindClose()
				}
			}),
		smsc("session", 14, "fields §9", "sc_interface_version in a bind response says 3.4",
			"The SMSC states its version in the bind response's sc_interface_version TLV; to a 3.4 bind it is 0x34 or above. Its absence is allowed (the ESME then assumes 3.3) and skips the case.",
			func(t *T) {
				c := dial(t)
				if c == nil {
					return
				}
				defer c.close()
				f, err := c.call(t.bindPDU(pdu.BindTransmitterID))
				if err != nil || f.Status != pdu.ESME_ROK {
					t.Fail("bind: %v %v", f, err)
					return
				}
				p, err := f.decode()
				if err != nil {
					t.Fail("bind_transmitter_resp: %v", err)
					return
				}
				v, ok := p.(*pdu.BindResp).TLVs.ScInterfaceVersion()
				if !ok {
					t.Skip("no sc_interface_version in the bind response (allowed: the SMSC is taken as 3.3)")
					return
				}
				if v < 0x34 {
					t.Fail("sc_interface_version 0x%02x to a 3.4 bind", v)
				}
			}),
		smsc("session", 15, "pdus §4.3", "deliver_sm from the ESME is refused",
			"deliver_sm is issued by the SMSC only; one received from an ESME is refused (ESME_RINVCMDID or ESME_RINVBNDSTS, or a generic_nack), never accepted.",
			func(t *T) {
				d := pdu.DeliverSM(*t.submitPDU("wrong way"))
				probe{Bind: pdu.BindTransceiverID, Req: &d, Want: st(pdu.ESME_RINVCMDID, pdu.ESME_RINVBNDSTS), Nack: true, Sync: true}.run(t)
			}, "transceiver"),
	)
}

// bindAccepted binds as id and checks the response's shape.
func bindAccepted(id pdu.CommandID) func(*T) {
	return func(t *T) {
		c := dial(t)
		if c == nil {
			return
		}
		defer c.unbindClose()
		seq := c.nextSeq() + 0x1000
		c.seq = seq
		if err := c.sendSeq(seq, 0, t.bindPDU(id)); err != nil {
			t.Fail("send: %v", err)
			return
		}
		f, err := c.expect(seq)
		if err != nil {
			t.Fail("%v", err)
			return
		}
		if f.ID != id.Response() || f.Status != pdu.ESME_ROK {
			t.Fail("got %v, want %v ESME_ROK", f, id.Response())
			return
		}
		p, err := f.decode()
		if err != nil {
			t.Fail("%v", err)
			return
		}
		if r := p.(*pdu.BindResp); r.SystemID == "" {
			t.Logf("the bind response has an empty system_id")
		}
	}
}

// withBind completes a probe whose request is a bind built from the run's
// configuration.
func (p probe) withBind(set func(*T, *pdu.Bind)) func(*T) {
	return func(t *T) {
		b := t.bindPDU(pdu.BindTransmitterID)
		set(t, b)
		p.Req = b
		p.run(t)
	}
}

// wrong returns a password that is not pw.
func wrong(pw string) string {
	if pw == "wr0ng" {
		return "wr0nG"
	}
	return "wr0ng"
}

func isClosed(err error) bool {
	return err != nil && errors.Is(err, errClosed)
}

// smscSleep waits d or until the case ends.
func smscSleep(t *T, d time.Duration) {
	select {
	case <-time.After(d):
	case <-t.ctx.Done():
	}
}
