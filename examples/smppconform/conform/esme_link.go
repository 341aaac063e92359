package conform

import (
	"errors"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// esmeEnquireCases check enquire_link handling.
func esmeEnquireCases() []*Case {
	return []*Case{
		esmeCase("enquire", "1", "smpp34-pdus.md §3, §5.3; smpp34-fields.md §14",
			"enquire_link is answered with enquire_link_resp within the timer",
			"enquire_link may be sent by either side in any bound state; the peer answers enquire_link_resp (header only, status 0, the same sequence_number) before the sender's response timer (Config.Timeout) expires.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				start := time.Now()
				seq, _ := e.Request(&pdu.EnquireLink{})
				m, err := e.Response(seq, esmeTimeout(t))
				switch {
				case err != nil:
					t.Fail("no enquire_link_resp within %v: %v", esmeTimeout(t), err)
				case m.ID != pdu.EnquireLinkRespID:
					t.Fail("answered with %v", m.ID)
				case m.Status != pdu.ESME_ROK:
					t.Fail("enquire_link_resp with status %v", m.Status)
				default:
					t.Logf("answered in %v", time.Since(start))
				}
			}),
		esmeCase("enquire", "2", "smpp34-fields.md §10",
			"pipelined enquire_links are each answered with their own sequence number",
			"SMPP is asynchronous: several requests may be outstanding, and each response copies its request's sequence_number. The tool sends three enquire_links back to back.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				want := map[uint32]bool{}
				for range 3 {
					seq, _ := e.Request(&pdu.EnquireLink{})
					want[seq] = true
				}
				for len(want) > 0 {
					m, err := e.Await(esmeTimeout(t), func(m Msg) bool { return m.ID.IsResponse() })
					if err != nil {
						t.Fail("%d enquire_links not answered: %v", len(want), err)
						return
					}
					if m.ID != pdu.EnquireLinkRespID || !want[m.Sequence] {
						t.Fail("unexpected %v seq %d", m.ID, m.Sequence)
						return
					}
					delete(want, m.Sequence)
				}
			}),
		esmeCase("enquire", "3", "smpp34-fields.md §10",
			"the highest sequence_number is echoed verbatim",
			"Sequence numbers run from 1 to 0x7FFFFFFF and a response copies the request's. The tool sends enquire_link with 0x7FFFFFFF.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				e.Send(pdu.MaxSequence, pdu.ESME_ROK, &pdu.EnquireLink{})
				m, err := e.Response(pdu.MaxSequence, esmeTimeout(t))
				if err != nil {
					t.Fail("no response with sequence 0x7FFFFFFF: %v", err)
				} else if m.ID != pdu.EnquireLinkRespID {
					t.Fail("answered with %v", m.ID)
				}
			}),
	}
}

// esmeNackCases check generic_nack and unknown commands.
func esmeNackCases() []*Case {
	unknown := func(id pdu.CommandID) func(t *T) {
		return func(t *T) {
			e := BoundESME(t)
			if e == nil {
				return
			}
			defer e.Close()
			seq := e.NextSeq()
			e.SendRaw(pdu.Header{Length: 16, ID: id, Sequence: seq}.AppendBinary(nil))
			// A generic_nack with another sequence number is taken too, to
			// say what came back.
			m, err := e.Await(esmeTimeout(t), func(m Msg) bool {
				return m.ID == pdu.GenericNackID || m.ID.IsResponse() && m.Sequence == seq
			})
			switch {
			case err != nil:
				t.Fail("no generic_nack for command_id 0x%08X: %v", uint32(id), err)
			case m.ID != pdu.GenericNackID:
				t.Fail("answered with %v", m.ID)
			case m.Sequence != seq && m.Status != pdu.ESME_RINVCMDID:
				t.Fail("generic_nack %v with sequence_number %d, want ESME_RINVCMDID with %d", m.Status, m.Sequence, seq)
			case m.Sequence != seq:
				t.Fail("generic_nack with sequence_number %d, want %d", m.Sequence, seq)
			case m.Status != pdu.ESME_RINVCMDID:
				t.Fail("generic_nack with %v, want ESME_RINVCMDID", m.Status)
			}
		}
	}
	return []*Case{
		esmeCase("nack", "1", "smpp34-pdus.md §3 (notes); smpp34-fields.md §11",
			"an unknown command is answered with generic_nack ESME_RINVCMDID",
			"An unknown request command_id is answered with generic_nack, command_status ESME_RINVCMDID, carrying the received sequence_number. The tool sends command_id 0x00000099.",
			unknown(0x00000099)),
		esmeCase("nack", "2", "smpp34-pdus.md §3 (notes)",
			"a reserved command id is answered with generic_nack ESME_RINVCMDID",
			"0x0000000A, 0x0000000C-0x00000014, ... are reserved in 3.4; a 3.4 peer answers them with generic_nack ESME_RINVCMDID. The tool sends 0x00000010.",
			unknown(0x00000010)),
		esmeCase("nack", "3", "smpp34-fields.md §10; smpp34-pdus.md §5.3",
			"a response that matches no request is not answered",
			"A response whose sequence_number matches no outstanding request is logged and dropped: never NACK a response. The tool sends enquire_link_resp and submit_sm_resp with unused sequence numbers, then checks the session still works.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				e.Send(0x7FFFFF00, pdu.ESME_ROK, &pdu.EnquireLinkResp{})
				e.Send(0x7FFFFF01, pdu.ESME_ROK, &pdu.SubmitSMResp{MessageID: "X1"})
				seq, _ := e.Request(&pdu.EnquireLink{})
				m, err := e.Await(esmeTimeout(t), func(m Msg) bool { return m.ID.IsResponse() })
				switch {
				case err != nil:
					t.Fail("session stopped after stray responses: %v", err)
				case m.ID == pdu.GenericNackID:
					t.Fail("generic_nack (seq %d) sent for a response", m.Sequence)
				case m.Sequence != seq:
					t.Fail("%v seq %d sent for a stray response", m.ID, m.Sequence)
				}
			}),
		esmeCase("nack", "4", "smpp34-pdus.md §5.3; smpp34-status.md §3",
			"a generic_nack for a submit ends that request, not the session",
			"generic_nack is the response to a request that could not be processed; the ESME takes it as that request's answer and goes on (no response to it). The tool answers the driven submit_sm with generic_nack ESME_RSYSERR and checks the session still works.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil || !driveESME(t, DriveSubmit) {
					if e != nil {
						e.Close()
					}
					return
				}
				defer e.Close()
				m, err := e.Await(esmeTimeout(t)*2, func(m Msg) bool { return m.ID == pdu.SubmitSMID })
				if err != nil {
					t.Fail("no submit_sm after the driver: %v", err)
					return
				}
				e.Send(m.Sequence, pdu.ESME_RSYSERR, &pdu.GenericNack{})
				if err := e.Alive(); err != nil {
					t.Fail("after generic_nack: %v", err)
				}
			}),
		esmeCase("nack", "5", "smpp34-fields.md §11",
			"a command_length under 16 gets generic_nack ESME_RINVCMDLEN or a close",
			"command_length includes the header: under 16 is answered with generic_nack ESME_RINVCMDLEN and, since framing is lost, the connection is closed. The tool sends a header that says 8; the ESME must answer so or close within the timeout.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil {
					return
				}
				defer e.Drop()
				seq := e.NextSeq()
				e.SendRaw(pdu.Header{Length: 8, ID: pdu.EnquireLinkID, Sequence: seq}.AppendBinary(nil))
				m, err := e.Await(esmeTimeout(t), func(m Msg) bool { return m.ID.IsResponse() })
				switch {
				case errors.Is(err, errESMEClosed):
					t.Logf("the ESME closed the connection")
				case err != nil:
					t.Fail("neither generic_nack nor a close within %v", esmeTimeout(t))
				case m.ID != pdu.GenericNackID || m.Status != pdu.ESME_RINVCMDLEN:
					t.Fail("answered with %v %v", m.ID, m.Status)
				}
			}),
	}
}

// settle answers what a newly bound ESME sends (messages an earlier case
// left queued in it) until it has been quiet for half a second, for at
// most 10 s: an unbind case then sees the ESME's answer to an unbind, not
// its flush of a queue.
func settle(e *ESMEConn) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if ms, closed := collect(e, 500*time.Millisecond, true); len(ms) == 0 || closed {
			return
		}
	}
}

// esmeUnbindCases check an unbind from the SMSC.
func esmeUnbindCases() []*Case {
	return []*Case{
		esmeCase("unbind", "1", "smpp34-pdus.md §4.1; smpp34-fields.md §14",
			"an unbind from the SMSC is answered with unbind_resp",
			"unbind may be issued by either side in a bound state; the receiver replies unbind_resp (header only, status 0, same sequence_number). The tool first answers what the ESME sends until it is quiet for 0.5 s (messages left queued by earlier cases).",
			func(t *T) {
				e := BoundESME(t)
				if e == nil {
					return
				}
				defer e.Drop()
				settle(e)
				seq, _ := e.Request(&pdu.Unbind{})
				m, err := e.Response(seq, esmeTimeout(t))
				switch {
				case err != nil:
					t.Fail("no unbind_resp: %v", err)
				case m.ID != pdu.UnbindRespID || m.Status != pdu.ESME_ROK:
					t.Fail("answered with %v %v", m.ID, m.Status)
				}
			}),
		esmeCase("unbind", "2", "smpp34-pdus.md §4.1, §4.2",
			"after unbind_resp the ESME sends no request",
			"unbind/unbind_resp take the session to CLOSED: the initiator closes TCP and no further request belongs on that connection. The tool unbinds once the ESME is quiet for 0.5 s (as in esme.unbind.1) and waits 2 s after unbind_resp.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil {
					return
				}
				defer e.Drop()
				settle(e)
				seq, _ := e.Request(&pdu.Unbind{})
				if _, err := e.Response(seq, esmeTimeout(t)); err != nil {
					t.Fail("no unbind_resp: %v", err)
					return
				}
				ms, _ := collect(e, 2*time.Second, false)
				for _, m := range ms {
					if !m.ID.IsResponse() {
						t.Fail("%v sent after unbind_resp", m.ID)
					}
				}
			}),
	}
}

// esmeReconnectCases check what the ESME does after a lost connection.
func esmeReconnectCases() []*Case {
	return []*Case{
		esmeCase("reconnect", "1", "smpp34-fields.md §14",
			"the ESME binds again after a dropped connection",
			"A session whose connection is lost is CLOSED; a bound ESME reconnects and binds again (after a back-off). The tool closes the TCP connection without unbind and waits ConnectTimeout for a new bind.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil {
					return
				}
				e.Drop()
				e2, err := openESME(t, ESMEOptionsOf(t.Config()).connectTimeout())
				if err != nil {
					t.Fail("no new bind after the drop: %v", err)
					return
				}
				defer e2.Close()
				if !e2.First.ID.IsBind() {
					t.Fail("first PDU after reconnecting is %v", e2.First.ID)
					return
				}
				e2.AcceptBind()
			}),
		esmeCase("reconnect", "2", "smpp34-pdus.md §4.1",
			"the ESME reconnects with one connection per bind, not a flood",
			"Each bind is one session on one connection. After a drop, the tool counts the connections that bind within 3 s: more than ESMEOptions.Binds (default 1) means parallel reconnects.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil {
					return
				}
				e.Drop()
				o := ESMEOptionsOf(t.Config())
				first, err := openESME(t, o.connectTimeout())
				if err != nil {
					t.Fail("no new bind after the drop: %v", err)
					return
				}
				conns := []*ESMEConn{first}
				first.AcceptBind()
				deadline := time.Now().Add(3 * time.Second)
				for time.Until(deadline) > 0 {
					e, err := openESME(t, time.Until(deadline))
					if err != nil {
						break
					}
					e.AcceptBind()
					conns = append(conns, e)
				}
				for _, c := range conns {
					c.Close()
				}
				if want := max(o.Binds, 1); len(conns) > want {
					t.Fail("%d connections bound within 3 s of the drop, want at most %d", len(conns), want)
				}
			}),
	}
}
