package conform

import (
	"bytes"
	"net"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

func init() {
	for _, cs := range [][]*Case{
		esmeBindCases(), esmeEnquireCases(), esmeDeliverCases(), esmeNackCases(),
		esmeSequenceCases(), esmeFramingCases(), esmeMessageCases(), esmeFlowCases(),
		esmeUnbindCases(), esmeOutbindCases(), esmeReconnectCases(),
	} {
		Register(cs...)
	}
}

func esmeFlowCases() []*Case {
	return []*Case{
		esmeCase("flow", "1", "smpp34-fields.md §14",
			"the ESME keeps no more requests outstanding than its window",
			"The window is the number of unacknowledged requests in flight; the ESME declares it (ESMEOptions.Window) and must not exceed it. The tool drives a burst larger than the window and answers nothing for 2 s.",
			func(t *T) {
				o := ESMEOptionsOf(t.Config())
				if o.Window <= 0 {
					t.Skip("the ESME's window is not declared (ESMEOptions.Window)")
					return
				}
				e := BoundESME(t)
				if e == nil || !driveESME(t, DriveBurst) {
					if e != nil {
						e.Close()
					}
					return
				}
				defer e.Close()
				var held []Msg
				ms, _ := collect(e, 2*time.Second, false)
				for _, m := range ms {
					if m.ID.IsResponse() {
						continue
					}
					if m.ID == pdu.EnquireLinkID {
						e.Answer(m)
						continue
					}
					held = append(held, m)
				}
				t.Logf("%d requests outstanding, window %d", len(held), o.Window)
				if len(held) > o.Window {
					t.Fail("%d requests outstanding, over the declared window of %d", len(held), o.Window)
				}
				if len(held) == 0 {
					t.Fail("no request within 2 s of asking the driver for a burst")
				}
				for _, m := range held {
					e.Answer(m)
				}
				collect(e, 500*time.Millisecond, true)
			}),
		esmeCase("flow", "2", "smpp34-status.md §3",
			"a throttled message is submitted again later",
			"ESME_RTHROTTLED refuses the message without processing it: the retry class is 'later, with back-off'. The tool throttles the first submit of a driven message (waiting five timeouts for it: an ESME still slowed by earlier throttling may hold it) and waits three timeouts for the same text to come again.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil || !driveESME(t, DriveSubmit) {
					if e != nil {
						e.Close()
					}
					return
				}
				defer e.Close()
				first, err := e.Await(5*esmeTimeout(t), func(m Msg) bool { return m.ID == pdu.SubmitSMID })
				if err != nil {
					t.Fail("no submit_sm after the driver: %v", err)
					return
				}
				text := userData(first)
				e.Send(first.Sequence, pdu.ESME_RTHROTTLED, &pdu.SubmitSMResp{})
				again, err := e.Await(3*esmeTimeout(t), func(m Msg) bool {
					return m.ID == pdu.SubmitSMID && bytes.Equal(userData(m), text)
				})
				if err != nil {
					t.Fail("the throttled message was not submitted again within %v: %v", 3*esmeTimeout(t), err)
					return
				}
				e.Answer(again)
				t.Logf("resubmitted after %v", again.At.Sub(first.At))
			}),
		esmeCase("flow", "3", "smpp34-status.md §3; smpp34-fields.md §14",
			"ESME_RTHROTTLED slows the ESME down",
			"ESME_RTHROTTLED (0x58) is how an SMSC pushes back on rate: the ESME must slow down, not resend at once. The tool answers every submit with it for 2 s and fails the ESME when it sends more than Config.Rate submits per second meanwhile.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil || !driveESME(t, DriveBurst) {
					if e != nil {
						e.Close()
					}
					return
				}
				defer e.Close()
				rate := t.Config().Rate
				if rate <= 0 {
					rate = 50
				}
				n := 0
				deadline := time.Now().Add(2 * time.Second)
				for time.Until(deadline) > 0 {
					m, err := e.Next(time.Until(deadline))
					if err != nil {
						break
					}
					if m.ID == pdu.SubmitSMID {
						n++
						e.Send(m.Sequence, pdu.ESME_RTHROTTLED, &pdu.SubmitSMResp{})
						continue
					}
					e.Answer(m)
				}
				t.Logf("%d submit_sm in 2 s while throttled", n)
				if n == 0 {
					t.Fail("no submit_sm within 2 s of asking the driver for a burst")
				} else if n > 2*rate {
					t.Fail("%d submit_sm in 2 s of ESME_RTHROTTLED, over %d a second", n, rate)
				}
			}),
	}
}

// userData is a submit_sm's short_message or message_payload.
func userData(m Msg) []byte {
	if sm, ok := m.PDU.(*pdu.SubmitSM); ok {
		return sm.Payload()
	}
	return nil
}

func esmeOutbindCases() []*Case {
	return []*Case{
		esmeCase("outbind", "1", "smpp34-pdus.md §4.1, §5.2",
			"an outbind is answered with a bind_receiver on the same connection",
			"The SMSC connects to the ESME and sends outbind (system_id, password); the ESME answers with bind_receiver on that connection, and the session continues as a receiver session.",
			func(t *T) {
				o := ESMEOptionsOf(t.Config())
				if o.OutbindAddr == "" {
					t.Skip("no ESMEOptions.OutbindAddr to send the outbind to")
					return
				}
				c, err := net.DialTimeout("tcp", o.OutbindAddr, esmeTimeout(t))
				if err != nil {
					t.Fail("dial %s: %v", o.OutbindAddr, err)
					return
				}
				e := newESMEConn(t, c)
				defer e.Close()
				cfg := t.Config()
				e.Request(&pdu.Outbind{SystemID: cfg.SystemID, Password: cfg.Password})
				m, err := e.Next(esmeTimeout(t))
				if err != nil {
					t.Fail("no bind after outbind: %v", err)
					return
				}
				if m.ID != pdu.BindReceiverID && m.ID != pdu.BindTransceiverID {
					t.Fail("outbind answered with %v", m.ID)
					return
				}
				e.First = m
				if e.AcceptBind() {
					if err := e.Alive(); err != nil {
						t.Fail("%v", err)
					}
				}
			}, "outbind"),
	}
}
