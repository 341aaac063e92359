package client_test

import (
	"slices"

	"github.com/esmsafrica/smpp/pdu"
)

// clientProg builds seed programs.
type clientProg struct{ b []byte }

func newClientProg(opts, end byte) *clientProg { return &clientProg{b: []byte{opts, end}} }

func (p *clientProg) op(kind, arg byte, operands ...byte) *clientProg {
	p.b = append(append(p.b, arg<<4|kind), operands...)
	return p
}

// pdu adds a template PDU from the SMSC.
func (p *clientProg) pdu(id pdu.CommandID, seq, variant byte, extra ...byte) *clientProg {
	i := slices.Index(smscIDs, id)
	if i < 0 {
		panic(id)
	}
	return p.op(copTemplate, 0, append([]byte{byte(i), seq, variant}, extra...)...)
}

func (p *clientProg) submits(apis ...byte) *clientProg {
	for _, a := range apis {
		p.op(copRequest, a)
	}
	return p.op(copSettle, 0)
}

func clientSeeds() [][]byte {
	var seeds []*clientProg
	// Requests through every API, answered in every way, first to last.
	p := newClientProg(0, cendUnbindAnswered).submits(0, 1, 2, 3, 4, 5, 6, 7, 0)
	for how := byte(0); how < 9; how++ {
		p.op(copAnswer, how, 8-how)
	}
	seeds = append(seeds, p)
	// Deliveries of every kind and handler way, requests of the SMSC,
	// responses to nothing, while submits are in flight.
	seeds = append(seeds, newClientProg(coptShortTimers, cendUnbindSilent).submits(0, 1, 3).
		pdu(pdu.DeliverSMID, 1, 0x00).pdu(pdu.DeliverSMID, 2, 0x24).pdu(pdu.DeliverSMID, 3, 0x41, 'h', 'i').
		pdu(pdu.DeliverSMID, 4, 0x62, 7, 2, 1).pdu(pdu.DeliverSMID, 5, 0x82, 7, 2, 2).pdu(pdu.DeliverSMID, 6, 0xA3).
		pdu(pdu.DataSMID, 7, 0x01).pdu(pdu.DataSMID, 8, 0x24, 'x', 'y').
		pdu(pdu.EnquireLinkID, 9, 0).pdu(pdu.OutbindID, 10, 0).pdu(pdu.AlertNotificationID, 11, 0).
		pdu(pdu.SubmitSMRespID, 12, 0).pdu(pdu.SubmitSMRespID, 1, 0).pdu(pdu.GenericNackID, 0, 0).
		pdu(pdu.SubmitSMID, 13, 0).pdu(pdu.BindTransceiverID, 14, 0).pdu(0x000000AA, 15, 0).pdu(0x800000AA, 16, 0).
		op(copAnswer, 0, 0).op(copAnswer, 0, 1).op(copAnswer, 0, 2).op(copSleep, 4))
	// The SMSC unbinds, then breaks the connection; the client binds again
	// and sends what was not sent.
	seeds = append(seeds, newClientProg(coptWindow2|coptRetry, cendUnbindAnswered).submits(0, 1, 2, 0).
		op(copAnswer, 1, 0).pdu(pdu.UnbindID, 20, 0).op(copSettle, 0).op(copKill, 0).op(copSleep, 3).
		op(copAnswer, 0, 0).op(copAnswer, 0, 1).op(copSleep, 5))
	// Refused binds and failed dials after a broken connection.
	seeds = append(seeds, newClientProg(0, cendBroken).op(copNextDial, 0).op(copNextDial, 1).op(copNextDial, 2).
		op(copNextDial, 3).op(copNextDial, 4).submits(0, 2).op(copKill, 0).op(copSleep, 8).op(copAnswer, 0, 0))
	// Bad command_lengths while requests are in flight.
	p = newClientProg(coptInline, cendHurried).submits(0, 1)
	p.op(copHeader, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 5, 0, 0, 0, 9)
	seeds = append(seeds, p.op(copSleep, 3).op(copHeader, 0, 0, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 3))
	// A pair of binds; a transmitter; a receiver; timers.
	seeds = append(seeds, newClientProg(3, cendUnbindAnswered).submits(0, 1).op(copSelect, 0, 1).
		pdu(pdu.DeliverSMID, 1, 0).op(copSelect, 0, 0).pdu(pdu.DeliverSMID, 2, 0).op(copAnswer, 0, 0))
	seeds = append(seeds, newClientProg(1|coptShortTimers, cendUnbindSilent|cendMuteEnquireLink).submits(0).
		pdu(pdu.DeliverSMID, 1, 0).op(copSleep, 7))
	seeds = append(seeds, newClientProg(2|coptNoHandler|coptDetect, cendUnbindAnswered).submits(5).
		pdu(pdu.DeliverSMID, 1, 3).pdu(pdu.DeliverSMID, 2, 0).op(copSleep, 2))
	out := make([][]byte, len(seeds))
	for i, s := range seeds {
		out[i] = s.b
	}
	return out
}
