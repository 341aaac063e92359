package conform

import (
	"errors"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// esmeCase builds an ESME-role case.
func esmeCase(group, id, section, title, rationale string, run func(t *T), needs ...string) *Case {
	return &Case{ID: "esme." + group + "." + id, Role: ESME, Group: group, Section: section,
		Title: title, Rationale: rationale, Needs: needs, Run: run}
}

// collect reads the ESME's PDUs for d, answering its requests (Answer)
// unless answer is false, and returns them. It stops early when the ESME
// closes the connection (closed reports it).
func collect(e *ESMEConn, d time.Duration, answer bool) (ms []Msg, closed bool) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return ms, false
		}
		m, err := e.Next(left)
		if errors.Is(err, errESMETimeout) {
			return ms, false
		}
		if err != nil {
			return ms, true
		}
		ms = append(ms, m)
		if answer {
			e.Answer(m)
		}
	}
}

func esmeBindCases() []*Case {
	return []*Case{
		esmeCase("bind", "1", "smpp34-pdus.md §4.1, §4.2",
			"the first PDU on a connection is a bind",
			"In the OPEN state only bind (or outbind) traffic is legal; an ESME opens a session with bind_transmitter, bind_receiver or bind_transceiver.",
			func(t *T) {
				e := OpenESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				if !e.First.ID.IsBind() {
					t.Fail("first PDU is %v", e.First.ID)
					return
				}
				e.AcceptBind()
			}),
		esmeCase("bind", "2", "smpp34-pdus.md §5.1",
			"bind fields are within their limits",
			"system_id at most 15 characters, password at most 8, system_type at most 12, address_range at most 40, each a NUL-terminated C-Octet String.",
			func(t *T) {
				e := OpenESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				if e.First.Err != nil {
					t.Fail("the bind does not decode strictly: %v", e.First.Err)
				} else if b, ok := e.First.PDU.(*pdu.Bind); ok {
					if err := b.Validate(); err != nil {
						t.Fail("bind field out of limits: %v", err)
					}
				}
				e.AcceptBind()
			}),
		esmeCase("bind", "3", "smpp34-fields.md §9",
			"interface_version is 0x34",
			"An ESME speaking SMPP 3.4 says so with interface_version 0x34; 0x00-0x33 announce 3.3 (no TLVs) and 0x50 is SMPP 5.0, not a 3.4 value.",
			func(t *T) {
				e := OpenESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				if b, ok := e.First.PDU.(*pdu.Bind); ok && b.InterfaceVersion != 0x34 {
					t.Fail("interface_version is 0x%02X", b.InterfaceVersion)
				}
				e.AcceptBind()
			}),
		esmeCase("bind", "4", "smpp34-pdus.md §4.2, §4.3",
			"no request is sent before bind_resp",
			"Until the bind is answered the session is OPEN, where submit_sm and every other non-bind request are illegal. The tool holds bind_resp for a second (and asks the driver, if any, for a message meanwhile).",
			func(t *T) {
				e := OpenESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				if o := ESMEOptionsOf(t.Config()); o.Driver != nil {
					if err := o.Driver(t.Context(), DriveSubmit); err != nil {
						t.Logf("driver: %v", err)
					}
				}
				ms, _ := collect(e, time.Second, false)
				for _, m := range ms {
					t.Fail("%v (seq %d) sent before bind_resp", m.ID, m.Sequence)
				}
				e.AcceptBind()
			}),
		esmeCase("bind", "5", "smpp34-pdus.md §4.1; smpp34-status.md §3",
			"a refused bind is not retried in a busy loop",
			"A bind refused with ESME_RBINDFAIL leaves the session OPEN and the ESME normally closes; retrying is a policy, but a retry class of connection errors is 'later, with back-off'. The tool refuses every bind for 3 s and fails the ESME when more than 12 binds arrive (over 4 a second).",
			func(t *T) {
				start, n := time.Now(), 0
				for time.Since(start) < 3*time.Second {
					e, err := openESME(t, 3*time.Second-time.Since(start))
					if err != nil {
						break
					}
					if e.First.ID.IsBind() {
						n++
						e.Send(e.First.Sequence, pdu.ESME_RBINDFAIL, &pdu.BindResp{ID: e.First.ID.Response()})
					}
					// The SMSC closes the refused connection after a moment.
					collect(e, 100*time.Millisecond, false)
					e.Drop()
				}
				t.Logf("%d binds in 3 s", n)
				if n > 12 {
					t.Fail("%d bind attempts in 3 s after refusals", n)
				}
			}),
		esmeCase("bind", "6", "smpp34-pdus.md §4.1, §4.3",
			"after a refused bind no other request is sent",
			"A refused bind leaves the session OPEN: only a new bind is legal there. The tool refuses with ESME_RINVPASWD, keeps the connection 2 s (asking the driver for a message meanwhile) and fails on any non-bind request.",
			func(t *T) {
				e := OpenESME(t)
				if e == nil {
					return
				}
				defer e.Drop()
				e.Send(e.First.Sequence, pdu.ESME_RINVPASWD, &pdu.BindResp{ID: e.First.ID.Response()})
				if o := ESMEOptionsOf(t.Config()); o.Driver != nil {
					o.Driver(t.Context(), DriveSubmit)
				}
				ms, _ := collect(e, 2*time.Second, false)
				for _, m := range ms {
					if !m.ID.IsBind() && m.ID != pdu.EnquireLinkID && m.ID != pdu.UnbindID {
						t.Fail("%v sent on a connection whose bind was refused", m.ID)
					}
				}
			}),
		esmeCase("bind", "7", "smpp34-tlv.md §6 rule 1",
			"a bind_resp with an unknown TLV is accepted",
			"An unknown tag is skipped, never a reason to fail the PDU. The tool answers the bind with sc_interface_version and a vendor TLV 0x1401, then checks that the session works (enquire_link answered).",
			func(t *T) {
				e := OpenESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				b, ok := e.First.PDU.(*pdu.Bind)
				if !ok {
					t.Fail("first PDU is %v", e.First.ID)
					return
				}
				resp := &pdu.BindResp{ID: b.ID.Response(), SystemID: "SMPPCONFORM"}
				resp.TLVs.Add(0x1401, []byte("vendor"))
				resp.TLVs.Add(0x0210, []byte{0x34})
				e.Send(e.First.Sequence, pdu.ESME_ROK, resp)
				if err := e.Alive(); err != nil {
					t.Fail("%v", err)
				}
			}),
	}
}
