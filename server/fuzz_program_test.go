package server_test

import (
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// The program's first two octets are options; then come instructions, each
// an opcode octet (kind in the low nibble, an argument in the high one) and
// its operands. A program that runs out of octets reads zeros.
const (
	optInline      = 1 << iota // Server.InlineHandler
	optRecycle                 // Server.RecycleRequests
	optInbound2                // InboundWindow 2: the third request at once is throttled
	optWindow2                 // Window 2: pushes wait for the window
	optLenient                 // Decode.Lenient
	optMaxLen512               // MaxPDULen 512
	optOutbind                 // the server dials the ESME and sends outbind first
	optShortTimers             // timers of a few seconds instead of the defaults
)

// How the program ends (second octet, modulo 4).
const (
	endCloseThenShutdown = iota // the ESME closes, then Shutdown
	endShutdownAnswered         // Shutdown; the ESME answers its unbind, then closes
	endShutdownSilent           // Shutdown; the ESME answers nothing
	endClose                    // Server.Close
)

// Instruction kinds (low nibble of the opcode).
const (
	opTemplate  = iota // a PDU from a template: id index, sequence, variant, template operands; arg: status index
	opRaw              // a PDU: id u32, sequence u32, body length u8, body; arg: status index
	opGarbage          // length u8, then that many raw octets
	opHeader           // a header alone: command_length u32, id u32, sequence u32
	opTruncated        // a template PDU cut after n (u8) octets
	opSettle           // wait until every goroutine of the bubble is blocked
	opSleep            // advance the fake clock by fuzzSleeps[arg]
	opPush             // the server pushes deliver_sm (or data_sm, arg&4) to fuzzSystemIDs[arg&3]
	opAnswer           // answer the server's request that is u8 from the last; arg: how
	opShutdown         // Shutdown, in the background, with a deadline of fuzzSleeps[arg]
	opBatch            // start or end a batch: the PDUs until the next opBatch go in one write
)

// Bounds of a program, so that every input runs in well under a second:
// each push is a goroutine that may wait for the window, and every fake
// second costs the timers' ticks.
const (
	maxPushes = 64
	maxSleep  = 30 * time.Minute
)

// fuzzIDs are the command ids a template instruction picks from.
var fuzzIDs = []pdu.CommandID{
	pdu.BindTransceiverID, pdu.SubmitSMID, pdu.EnquireLinkID, pdu.UnbindID,
	pdu.BindTransmitterID, pdu.BindReceiverID, pdu.DeliverSMRespID, pdu.GenericNackID,
	pdu.QuerySMID, pdu.CancelSMID, pdu.ReplaceSMID, pdu.DataSMID,
	pdu.SubmitMultiID, pdu.DeliverSMID, pdu.OutbindID, pdu.AlertNotificationID,
	pdu.EnquireLinkRespID, pdu.UnbindRespID, pdu.SubmitSMRespID, pdu.DataSMRespID,
	pdu.BindTransceiverRespID, 0x000000AA, 0x800000AA, 0x00000000,
}

var fuzzStatuses = []pdu.Status{
	pdu.ESME_ROK, pdu.ESME_RINVCMDID, pdu.ESME_RTHROTTLED, pdu.ESME_RX_T_APPN,
	pdu.ESME_RSYSERR, pdu.ESME_RINVBNDSTS, pdu.ESME_RINVMSGID, 0xFFFFFFFF,
}

var fuzzSleeps = []time.Duration{
	time.Millisecond, 100 * time.Millisecond, time.Second, 3 * time.Second,
	5 * time.Second, 10 * time.Second, 31 * time.Second, 61 * time.Second,
	2 * time.Minute, 5 * time.Minute, 0, 0, 0, 0, 0, 0,
}

// progReader reads a program; past its end it reads zeros.
type progReader struct{ b []byte }

func (r *progReader) more() bool { return len(r.b) > 0 }

func (r *progReader) u8() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *progReader) u32() uint32 {
	return uint32(r.u8())<<24 | uint32(r.u8())<<16 | uint32(r.u8())<<8 | uint32(r.u8())
}

func (r *progReader) bytes(n int) []byte {
	n = min(n, len(r.b))
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

// seq reads a sequence number: one octet, or four after 0xFF.
func (r *progReader) seq() uint32 {
	if s := r.u8(); s != 0xFF {
		return uint32(s)
	}
	return r.u32()
}

// fuzzTemplate encodes a PDU of fuzzIDs[index] from its variant octet and
// operands.
func fuzzTemplate(r *progReader, status pdu.Status) []byte {
	id := fuzzIDs[int(r.u8())%len(fuzzIDs)]
	seq := r.seq()
	v := r.u8()
	var p pdu.PDU
	switch id {
	case pdu.BindTransceiverID, pdu.BindTransmitterID, pdu.BindReceiverID:
		b := &pdu.Bind{ID: id, SystemID: fuzzSystemIDs[v&3], Password: "secret", InterfaceVersion: 0x34}
		if v&4 != 0 {
			b.Password = "wrong"
		}
		if v&8 != 0 {
			b.InterfaceVersion = 0x33
		}
		p = b
	case pdu.SubmitSMID, pdu.DeliverSMID:
		sm := &pdu.SubmitSM{SourceAddr: "1", DestinationAddr: "2", RegisteredDelivery: v >> 6 & 1, DataCoding: (v >> 7) * 8}
		sm.ShortMessage = r.bytes(int(v & 63))
		if id == pdu.DeliverSMID {
			p = (*pdu.DeliverSM)(sm)
		} else {
			p = sm
		}
	case pdu.SubmitMultiID:
		m := &pdu.SubmitMulti{SourceAddr: "1", ShortMessage: r.bytes(int(v & 15))}
		for i := range int(v>>4&3) + 1 {
			m.Dests = append(m.Dests, pdu.DestAddress{DestinationAddr: string(rune('1' + i))})
		}
		p = m
	case pdu.DataSMID:
		d := &pdu.DataSM{SourceAddr: "1", DestinationAddr: "2"}
		if n := int(v & 63); n > 0 {
			d.TLVs.SetMessagePayload(r.bytes(n))
		}
		p = d
	case pdu.QuerySMID:
		p = &pdu.QuerySM{MessageID: "id1", SourceAddr: "1"}
	case pdu.CancelSMID:
		p = &pdu.CancelSM{MessageID: "id1", SourceAddr: "1", DestinationAddr: "2"}
	case pdu.ReplaceSMID:
		p = &pdu.ReplaceSM{MessageID: "id1", SourceAddr: "1", ShortMessage: r.bytes(int(v & 15))}
	case pdu.OutbindID:
		p = &pdu.Outbind{SystemID: "esme", Password: "secret"}
	case pdu.AlertNotificationID:
		p = &pdu.AlertNotification{SourceAddr: "1", ESMEAddr: "2"}
	case pdu.SubmitSMRespID:
		p = &pdu.SubmitSMResp{MessageID: "id1"}
	case pdu.DeliverSMRespID:
		p = &pdu.DeliverSMResp{}
	case pdu.DataSMRespID:
		p = &pdu.DataSMResp{MessageID: "id1"}
	case pdu.BindTransceiverRespID:
		p = &pdu.BindResp{ID: id, SystemID: "esme"}
	default:
		p = pdu.New(id)
	}
	if p == nil { // an unknown command id: a header alone
		return pdu.Header{Length: pdu.HeaderLen, ID: id, Status: status, Sequence: seq}.AppendBinary(nil)
	}
	b, err := pdu.AppendPDU(nil, seq, status, p)
	if err != nil {
		panic(err) // a template that does not encode is a bug of this file
	}
	return b
}
