package server_test

import (
	"encoding/binary"
	"slices"

	"github.com/esmsafrica/smpp/pdu"
)

// serverProg builds seed programs.
type serverProg struct{ b []byte }

func newServerProg(opts, end byte) *serverProg { return &serverProg{b: []byte{opts, end}} }

func (p *serverProg) op(kind, arg byte, operands ...byte) *serverProg {
	p.b = append(append(p.b, arg<<4|kind), operands...)
	return p
}

// pdu adds a template PDU; extra are the template's operands.
func (p *serverProg) pdu(id pdu.CommandID, seq, variant byte, extra ...byte) *serverProg {
	i := slices.Index(fuzzIDs, id)
	if i < 0 {
		panic(id)
	}
	return p.op(opTemplate, 0, append([]byte{byte(i), seq, variant}, extra...)...)
}

func (p *serverProg) raw(id, seq uint32, body []byte) *serverProg {
	b := binary.BigEndian.AppendUint32(nil, id)
	b = binary.BigEndian.AppendUint32(b, seq)
	b = append(append(b, byte(len(body))), body...)
	return p.op(opRaw, 0, b...)
}

func (p *serverProg) header(length, id, seq uint32) *serverProg {
	b := binary.BigEndian.AppendUint32(nil, length)
	b = binary.BigEndian.AppendUint32(b, id)
	b = binary.BigEndian.AppendUint32(b, seq)
	return p.op(opHeader, 0, b...)
}

func serverSeeds() [][]byte {
	const trx = pdu.BindTransceiverID
	hello := []byte("hello")
	bound := func(opts, end byte) *serverProg { return newServerProg(opts, end).pdu(trx, 1, 0) }
	var seeds []*serverProg
	// bind_transceiver, submit_sm answered in each of the handler's ways,
	// enquire_link, unbind, a submit_sm after it.
	p := bound(0, endCloseThenShutdown)
	for seq := byte(2); seq < 10; seq++ {
		p.pdu(pdu.SubmitSMID, seq, 5, hello...)
	}
	seeds = append(seeds, p.pdu(pdu.EnquireLinkID, 10, 0).pdu(pdu.UnbindID, 11, 0).pdu(pdu.SubmitSMID, 12, 0))
	// The same, inline and recycling, in one write.
	p = bound(optInline|optRecycle, endShutdownAnswered).op(opBatch, 0)
	for seq := byte(2); seq < 10; seq++ {
		p.pdu(pdu.SubmitSMID, seq, 5, hello...)
	}
	seeds = append(seeds, p.op(opBatch, 0))
	// Every other PDU: responses to nothing, an unknown id, a second bind.
	seeds = append(seeds, bound(0, endShutdownSilent).
		pdu(pdu.DeliverSMRespID, 7, 0).pdu(pdu.GenericNackID, 8, 0).pdu(0x000000AA, 9, 0).pdu(0x800000AA, 10, 0).
		pdu(trx, 11, 0).pdu(pdu.BindReceiverID, 12, 0).pdu(pdu.QuerySMID, 13, 0).pdu(pdu.CancelSMID, 14, 0).
		pdu(pdu.ReplaceSMID, 15, 3, 'a', 'b', 'c').pdu(pdu.DataSMID, 16, 2, 'h', 'i').pdu(pdu.SubmitMultiID, 17, 0x12, 'x', 'y').
		pdu(pdu.DeliverSMID, 18, 0).pdu(pdu.OutbindID, 19, 0).pdu(pdu.AlertNotificationID, 20, 0).
		pdu(pdu.SubmitSMRespID, 21, 0).pdu(pdu.EnquireLinkRespID, 22, 0).pdu(pdu.UnbindRespID, 23, 0))
	// Requests before bind, refused binds, a panicking Authenticate.
	seeds = append(seeds, newServerProg(0, endClose).
		pdu(pdu.SubmitSMID, 1, 0).pdu(pdu.EnquireLinkID, 2, 0).pdu(pdu.UnbindID, 3, 0).
		pdu(trx, 4, 4).pdu(trx, 5, 3).pdu(pdu.BindTransmitterID, 6, 2).pdu(pdu.BindReceiverID, 7, 2).pdu(pdu.SubmitSMID, 8, 0))
	// A huge command_length, and one below 16.
	seeds = append(seeds, bound(0, endCloseThenShutdown).pdu(pdu.SubmitSMID, 2, 0).header(0x7FFFFFFF, uint32(pdu.SubmitSMID), 3))
	seeds = append(seeds, bound(optMaxLen512, endShutdownAnswered).header(8, uint32(pdu.EnquireLinkID), 3))
	// Raw bodies: a truncated bind, a submit_sm cut short, a partial PDU.
	seeds = append(seeds, newServerProg(0, endCloseThenShutdown).
		raw(uint32(trx), 1, []byte("abcd")).pdu(trx, 2, 0).
		raw(uint32(pdu.SubmitSMID), 3, []byte{0, 1, 1, '1', 0}).
		op(opTruncated, 0, 1, 4, 0, 20).op(opGarbage, 0, 3, 1, 2, 3))
	// Pushes to a receiver: answered, nacked, answered late; timers run.
	seeds = append(seeds, newServerProg(optWindow2|optShortTimers, endShutdownAnswered).
		pdu(pdu.BindReceiverID, 1, 0).op(opPush, 0).op(opPush, 4).op(opPush, 0).op(opSettle, 0).
		op(opAnswer, 0, 0).op(opAnswer, 2, 1).op(opSleep, 3).op(opAnswer, 4, 0).op(opSleep, 6).op(opAnswer, 0, 0))
	// The rate-limited account and the inbound window.
	p = newServerProg(optInbound2, endCloseThenShutdown).pdu(trx, 1, 1).op(opBatch, 0)
	for seq := byte(2); seq < 8; seq++ {
		p.pdu(pdu.SubmitSMID, seq*8+3, 0)
	}
	seeds = append(seeds, p.op(opBatch, 0))
	// Shutdown while requests arrive; outbind.
	seeds = append(seeds, bound(0, endShutdownAnswered).op(opShutdown, 4).pdu(pdu.SubmitSMID, 2, 0).op(opSleep, 2).pdu(pdu.SubmitSMID, 3, 0))
	seeds = append(seeds, newServerProg(optOutbind, endShutdownAnswered).pdu(trx, 1, 0).pdu(pdu.SubmitSMID, 2, 0))
	// Idle: enquire_link from the server, inactivity, the bind timeout.
	seeds = append(seeds, bound(optShortTimers, endCloseThenShutdown).op(opSleep, 8))
	seeds = append(seeds, newServerProg(optShortTimers, endCloseThenShutdown).op(opSleep, 8).pdu(trx, 1, 0))
	out := make([][]byte, len(seeds))
	for i, s := range seeds {
		out[i] = s.b
	}
	return out
}
