package conform

import (
	"time"
	"unicode/utf16"

	"github.com/esmsafrica/smpp/pdu"
)

// mo is a mobile-originated deliver_sm from the run's DestAddr to its
// SourceAddr.
func mo(t *T, text string) *pdu.DeliverSM {
	cfg := t.Config()
	from, to := cfg.DestAddr, cfg.SourceAddr
	if from == "" {
		from = "254700000001"
	}
	if to == "" {
		to = "1000"
	}
	return &pdu.DeliverSM{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: from,
		DestAddrNPI: 1, DestinationAddr: to, ShortMessage: []byte(text)}
}

// receipt is an Appendix B delivery receipt with its TLVs.
func receipt(t *T) *pdu.DeliverSM {
	sm := (*pdu.SubmitSM)(mo(t, "conformance receipt"))
	now := time.Now().UTC()
	return pdu.NewReceiptDeliverSM(sm, &pdu.Receipt{ID: "C0FFEE01", Sub: "001", Dlvrd: "001",
		SubmitDate: now, DoneDate: now, Stat: "DELIVRD", State: pdu.MessageState(2), Err: "000", Text: "conformance"})
}

// answered sends each request and checks that it is answered with its own
// response (not generic_nack) and sequence number.
func answered(t *T, want pdu.CommandID, reqs ...pdu.PDU) {
	e := BoundESME(t)
	if e == nil {
		return
	}
	defer e.Close()
	seqs := map[uint32]bool{}
	for _, r := range reqs {
		seq, err := e.Request(r)
		if err != nil {
			t.Fail("sending %v: %v", r.CommandID(), err)
			return
		}
		seqs[seq] = true
	}
	for len(seqs) > 0 {
		m, err := e.Await(esmeTimeout(t), func(m Msg) bool { return m.ID.IsResponse() })
		switch {
		case err != nil:
			t.Fail("%d of %d %v not answered: %v", len(seqs), len(reqs), want.Request(), err)
			return
		case !seqs[m.Sequence]:
			t.Fail("%v with sequence %d, which the tool did not send", m.ID, m.Sequence)
			return
		case m.ID != want:
			t.Fail("%v answered with %v %v", want.Request(), m.ID, m.Status)
			return
		}
		t.Logf("%v seq %d: %v", m.ID, m.Sequence, m.Status)
		delete(seqs, m.Sequence)
	}
}

func ucs2(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func esmeDeliverCases() []*Case {
	return []*Case{
		esmeCase("deliver", "1", "smpp34-pdus.md §5.7; smpp34-fields.md §10",
			"an MO deliver_sm is answered with deliver_sm_resp and its sequence number",
			"deliver_sm (SMSC to ESME, bound RX or TRX) is answered with deliver_sm_resp copying the sequence_number; the status is the ESME's choice (ESME_ROK, ESME_RX_T_APPN...).",
			func(t *T) { answered(t, pdu.DeliverSMRespID, mo(t, "Hello from the conformance tool")) }),
		esmeCase("deliver", "2", "smpp34-fields.md §13; smpp34-pdus.md §5.7",
			"a delivery receipt is answered with deliver_sm_resp",
			"A receipt is a deliver_sm with esm_class 0x04, the Appendix B text and the receipted_message_id and message_state TLVs; it is answered like any deliver_sm, also when its id is unknown to the ESME.",
			func(t *T) { answered(t, pdu.DeliverSMRespID, receipt(t)) }),
		esmeCase("deliver", "3", "smpp34-tlv.md §6 rule 1",
			"a deliver_sm with an unknown TLV is answered",
			"An unknown tag (here vendor 0x1401) is skipped, never a reason to fail the PDU: the deliver_sm is answered with deliver_sm_resp.",
			func(t *T) {
				d := mo(t, "unknown TLV follows")
				d.TLVs.Add(0x1401, []byte{1, 2, 3, 4})
				answered(t, pdu.DeliverSMRespID, d)
			}),
		esmeCase("deliver", "4", "smpp34-tlv.md §2; udh.md §6.3",
			"a deliver_sm carrying message_payload is answered",
			"The user data may come in the message_payload TLV with sm_length 0 instead of short_message; the ESME must accept that form.",
			func(t *T) {
				d := mo(t, "")
				d.TLVs.SetMessagePayload([]byte("This text travels in message_payload, sm_length is zero."))
				answered(t, pdu.DeliverSMRespID, d)
			}),
		esmeCase("deliver", "5", "smpp34-fields.md §10, §14",
			"five pipelined deliver_sm are each answered with their own sequence number",
			"The SMSC may have several deliver_sm outstanding (its window); each response copies its request's sequence_number, in any order.",
			func(t *T) {
				var ds []pdu.PDU
				for i := range 5 {
					ds = append(ds, mo(t, "pipelined "+string(rune('1'+i))))
				}
				answered(t, pdu.DeliverSMRespID, ds...)
			}),
		esmeCase("deliver", "6", "udh.md §3.1, §6.4",
			"the segments of a long MO (UDH) are each answered",
			"A long MO arrives as deliver_sm segments with the UDHI bit (esm_class 0x40) and a concatenation IE; every segment is answered.",
			func(t *T) {
				var ds []pdu.PDU
				for i := byte(1); i <= 2; i++ {
					d := mo(t, "")
					d.ESMClass = 0x40
					d.ShortMessage = append([]byte{5, 0, 3, 0x2A, 2, i}, []byte("segment of a long message ")...)
					ds = append(ds, d)
				}
				answered(t, pdu.DeliverSMRespID, ds...)
			}),
		esmeCase("deliver", "7", "smpp34-fields.md §12",
			"a UCS-2 deliver_sm is answered",
			"data_coding 8 (UCS-2) is one of the 3.4 codings; the ESME answers the deliver_sm whatever it does with the text.",
			func(t *T) {
				d := mo(t, "")
				d.DataCoding = 8
				d.ShortMessage = ucs2("Привет 👋")
				answered(t, pdu.DeliverSMRespID, d)
			}),
		esmeCase("deliver", "8", "smpp34-pdus.md §4.2, §5.8",
			"a data_sm from the SMSC is answered with data_sm_resp",
			"data_sm may be issued by the SMSC in any bound state; an ESME that declares data_sm answers data_sm_resp with the same sequence_number.",
			func(t *T) {
				d := &pdu.DataSM{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "254700000001", DestAddrNPI: 1, DestinationAddr: "1000"}
				d.TLVs.SetMessagePayload([]byte("data_sm from the conformance tool"))
				answered(t, pdu.DataSMRespID, d)
			}, "data_sm"),
	}
}
