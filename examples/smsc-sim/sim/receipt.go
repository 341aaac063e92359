package sim

import (
	"fmt"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// receipt builds the receipt of message n and returns it with the state it
// reports, or returns nil when none is due (cancelled, receipt no longer
// asked for, or the message left the store).
func (s *Simulator) receipt(n uint64) (*pdu.DeliverSM, pdu.MessageState) {
	var (
		m     *pdu.DeliverSM
		state pdu.MessageState
		later int64
		sys   uint32
	)
	now := time.Now()
	nowNs := now.UnixNano()
	s.store.with(n, nowNs, func(e *entry) {
		if e.final > nowNs {
			later, sys = e.final, e.sys // replaced since: not due yet
			return
		}
		if e.state == pdu.StateDeleted || !wantsReceipt(e.regDel, e.state) {
			return
		}
		state = e.state
		var idb [64]byte
		id := string(s.store.appendID(idb[:0], e.id-uint64(e.respOff)))
		r := pdu.Receipt{
			ID:         id,
			State:      e.state,
			SubmitDate: time.Unix(0, e.submitted),
			DoneDate:   now,
			Text:       string(e.text[:e.textLen]),
		}
		if e.err != 0 {
			r.Err = fmt.Sprintf("%03d", e.err)
		}
		opts := pdu.ReceiptOptions{Location: s.cfg.ReceiptLocation, Seconds: s.cfg.ReceiptSeconds}
		if opts.Location == nil {
			opts.Location = time.UTC
		}
		m = &pdu.DeliverSM{
			SourceAddrTON:   1,
			SourceAddrNPI:   1,
			SourceAddr:      string(e.dst[:e.dstLen]),
			DestAddrTON:     1,
			DestAddrNPI:     1,
			DestinationAddr: string(e.src[:e.srcLen]),
			ESMClass:        0x04,
			ShortMessage:    opts.Append(make([]byte, 0, 160), &r),
		}
		if !s.cfg.NoReceiptTLVs {
			m.TLVs = make(tlv.List, 0, 3)
			m.TLVs.SetReceiptedMessageID(id)
			m.TLVs.SetMessageState(uint8(e.state))
			if e.state != pdu.StateDelivered {
				m.TLVs.SetNetworkErrorCode(tlv.NetworkError{Type: 3, Code: e.err})
			}
		}
	})
	if later != 0 {
		s.sched.add(job{due: later, n: n, sys: sys})
	}
	return m, state
}
