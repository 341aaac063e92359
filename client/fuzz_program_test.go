package client_test

import (
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// The first two octets of a program are options; then come instructions, an
// opcode octet (kind in the low nibble, an argument in the high one) and
// operands. Past its end a program reads zeros.
const (
	coptMode        = 3      // client.Mode
	coptRetry       = 1 << 2 // RetryThrottled
	coptWindow2     = 1 << 3 // Window 2
	coptNoHandler   = 1 << 4 // no delivery Handler
	coptDetect      = 1 << 5 // DetectReceiptText
	coptShortTimers = 1 << 6 // response timeout 2 s, enquire_link every 5 s
	coptInline      = 1 << 7 // InlineHandler and lenient decoding
)

// Second octet: how the program ends (low two bits), and whether the SMSC
// leaves the client's enquire_link unanswered (bit 2).
const (
	cendUnbindAnswered = iota // Close; the SMSC answers the unbind
	cendUnbindSilent          // Close; the SMSC does not answer
	cendBroken                // the SMSC closes every connection, then Close
	cendHurried               // Close with a context that ends at once

	cendMuteEnquireLink = 1 << 2
)

// Instruction kinds.
const (
	copTemplate = iota // a PDU to the client: id index, sequence, variant, operands; arg: status index
	copRaw             // a PDU: id u32, sequence u32, body length u8, body; arg: status index
	copGarbage         // length u8, then that many octets
	copHeader          // a header alone: command_length u32, id u32, sequence u32
	copAnswer          // answer the client's request that is u8 from the last; arg: how
	copSettle          // wait until every goroutine of the bubble is blocked
	copSleep           // advance the fake clock by clientSleeps[arg]
	copRequest         // a client request; arg: which API
	copKill            // the SMSC closes the current connection
	copNextDial        // the next dial: arg 0 fails, 1 bind refused, 2 generic_nack, 3 no answer, 4 closed
	copBatch           // start or end a batch written at once
	copSelect          // the current connection is the one u8 from the newest
)

// Bounds of a program, so that every input runs in well under a second:
// each client request is a goroutine that may wait for the window (thousands
// made an input run for a minute), and every fake second costs the timers'
// ticks (days of sleeps took 12 s).
const (
	maxRequests = 64
	maxSleep    = 30 * time.Minute
)

var smscIDs = []pdu.CommandID{
	pdu.DeliverSMID, pdu.SubmitSMRespID, pdu.EnquireLinkID, pdu.UnbindID,
	pdu.DataSMID, pdu.GenericNackID, pdu.OutbindID, pdu.AlertNotificationID,
	pdu.EnquireLinkRespID, pdu.UnbindRespID, pdu.DataSMRespID, pdu.QuerySMRespID,
	pdu.SubmitSMID, pdu.BindTransceiverID, pdu.BindTransceiverRespID, pdu.DeliverSMRespID,
	pdu.QuerySMID, 0x000000AA, 0x800000AA, 0x00000000,
}

var clientStatuses = []pdu.Status{
	pdu.ESME_ROK, pdu.ESME_RINVCMDID, pdu.ESME_RTHROTTLED, pdu.ESME_RX_T_APPN,
	pdu.ESME_RSYSERR, pdu.ESME_RINVBNDSTS, pdu.ESME_RMSGQFUL, 0xFFFFFFFF,
}

var clientSleeps = []time.Duration{
	time.Millisecond, 100 * time.Millisecond, time.Second, 3 * time.Second,
	5 * time.Second, 10 * time.Second, 31 * time.Second, 61 * time.Second,
	2 * time.Minute, 5 * time.Minute, 0, 0, 0, 0, 0, 0,
}

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

func (r *progReader) seq() uint32 {
	if s := r.u8(); s != 0xFF {
		return uint32(s)
	}
	return r.u32()
}

const receiptText = "id:m1 sub:001 dlvrd:001 submit date:2401010000 done date:2401010000 stat:DELIVRD err:000 text:"

// smscTemplate encodes a PDU of smscIDs[index] from its variant and operands.
func smscTemplate(r *progReader, status pdu.Status) []byte {
	id := smscIDs[int(r.u8())%len(smscIDs)]
	seq := r.seq()
	v := r.u8()
	src := string(rune('0' + v>>5)) // the delivery handler's way
	var p pdu.PDU
	switch id {
	case pdu.DeliverSMID:
		d := &pdu.DeliverSM{SourceAddr: src, DestinationAddr: "1"}
		switch v & 3 {
		case 0: // a receipt, its id in the text or in TLVs
			d.ESMClass, d.ShortMessage = 4, []byte(receiptText)
			if v&4 != 0 {
				d.TLVs.SetReceiptedMessageID("m1")
				d.TLVs.SetMessageState(2)
			}
		case 1: // a short message
			d.ShortMessage = r.bytes(int(v>>2) & 7)
		case 2: // a part of a long message: reference, total, number
			d.ESMClass = 0x40
			d.ShortMessage = append([]byte{5, 0, 3, r.u8(), r.u8() & 3, r.u8() & 3}, "part"...)
		case 3: // receipt text without the receipt esm_class
			d.ShortMessage = []byte(receiptText)
		}
		p = d
	case pdu.DataSMID:
		d := &pdu.DataSM{SourceAddr: src, DestinationAddr: "1"}
		if v&1 != 0 {
			d.ESMClass = 4
			d.TLVs.SetReceiptedMessageID("m1")
			d.TLVs.SetMessageState(2)
		} else {
			d.TLVs.SetMessagePayload(r.bytes(int(v>>1) & 7))
		}
		p = d
	case pdu.SubmitSMRespID:
		p = &pdu.SubmitSMResp{MessageID: "stray"}
	case pdu.DataSMRespID:
		p = &pdu.DataSMResp{MessageID: "stray"}
	case pdu.QuerySMRespID:
		p = &pdu.QuerySMResp{MessageID: "stray", MessageState: 2}
	case pdu.OutbindID:
		p = &pdu.Outbind{SystemID: "SMSC"}
	case pdu.AlertNotificationID:
		p = &pdu.AlertNotification{SourceAddr: "1", ESMEAddr: "2"}
	case pdu.SubmitSMID:
		p = &pdu.SubmitSM{DestinationAddr: "1"}
	case pdu.BindTransceiverID:
		p = &pdu.Bind{ID: id, SystemID: "SMSC"}
	case pdu.BindTransceiverRespID:
		p = &pdu.BindResp{ID: id, SystemID: "SMSC"}
	case pdu.QuerySMID:
		p = &pdu.QuerySM{MessageID: "m1"}
	default:
		p = pdu.New(id)
	}
	if p == nil {
		return pdu.Header{Length: pdu.HeaderLen, ID: id, Status: status, Sequence: seq}.AppendBinary(nil)
	}
	b, err := pdu.AppendPDU(nil, seq, status, p)
	if err != nil {
		panic(err) // a template that does not encode is a bug of this file
	}
	return b
}
