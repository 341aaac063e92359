package conform

import (
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// smscReceipt is a delivery smscReceipt received for a submission.
type smscReceipt struct {
	sm      *pdu.SubmitSM
	id      string // the submit_sm_resp's message_id
	f       frame
	d       *pdu.DeliverSM
	r       pdu.Receipt
	rxClose func()
}

// receiptFor binds a receiver (a transceiver when trx), submits a message
// asking for a smscReceipt from a transmitter (or the transceiver), and waits
// for the deliver_sm whose smscReceipt names it. Nil, with the case failed,
// when one step fails.
func receiptFor(t *T, trx bool, registered uint8) *smscReceipt {
	var rx, tx *esmeConn
	if trx {
		rx = bound(t, pdu.BindTransceiverID)
		tx = rx
	} else {
		rx = bound(t, pdu.BindReceiverID)
		if rx == nil {
			return nil
		}
		tx = bound(t, pdu.BindTransmitterID)
	}
	if rx == nil || tx == nil {
		if rx != nil {
			rx.close()
		}
		return nil
	}
	if tx != rx {
		defer tx.unbindClose()
	}
	sm := t.submitPDU("smscReceipt please")
	sm.RegisteredDelivery = registered
	id := submitID(t, tx, sm)
	if id == "" {
		rx.close()
		return nil
	}
	rc := &smscReceipt{sm: sm, id: id, rxClose: rx.close}
	f, err := rx.waitRequest(pdu.DeliverSMID, t.receiptTimeout(), func(f frame) bool {
		p, err := f.decode()
		if err != nil {
			return false
		}
		var r pdu.Receipt
		d := p.(*pdu.DeliverSM)
		if pdu.ReceiptFromDeliverSM(d, &r) != nil {
			return false
		}
		return pdu.MessageIDEqual(r.ID, id) || pdu.MessageIDEqual(r.TextID, id)
	})
	if err != nil {
		t.Fail("no receipt for message %q: %v", id, err)
		rx.close()
		return nil
	}
	p, _ := f.decode()
	rc.f, rc.d = f, p.(*pdu.DeliverSM)
	if err := pdu.ReceiptFromDeliverSM(rc.d, &rc.r); err != nil {
		t.Fail("receipt: %v", err)
	}
	return rc
}

// receiptCase is a receipts case that checks the smscReceipt of one submission.
func receiptCase(check func(t *T, rc *smscReceipt)) func(*T) {
	return func(t *T) {
		rc := receiptFor(t, false, 1)
		if rc == nil {
			return
		}
		defer rc.rxClose()
		check(t, rc)
	}
}

func init() {
	Register(
		smsc("receipts", 1, "fields §13.1", "a smscReceipt comes as deliver_sm with esm_class 0x04",
			"registered_delivery 1 asks for a smscReceipt on the final outcome; it is a deliver_sm to a receiver of the system_id with esm_class message type 0x04.",
			receiptCase(func(t *T, rc *smscReceipt) {
				if rc.d.ESMClass&0x3C != 0x04 {
					t.Fail("smscReceipt with esm_class 0x%02x, want message type 0x04", rc.d.ESMClass)
				}
			}), "receipts"),
		smsc("receipts", 2, "fields §13.2", "the smscReceipt text has the Appendix B fields",
			"The text follows Appendix B: id:, sub:, dlvrd:, submit date:, done date:, stat: and err: (text: optional).",
			receiptCase(func(t *T, rc *smscReceipt) {
				need := []struct {
					f    pdu.ReceiptField
					name string
				}{{pdu.ReceiptID, "id"}, {pdu.ReceiptSub, "sub"}, {pdu.ReceiptDlvrd, "dlvrd"}, {pdu.ReceiptSubmitDate, "submit date"},
					{pdu.ReceiptDoneDate, "done date"}, {pdu.ReceiptStat, "stat"}, {pdu.ReceiptErr, "err"}}
				for _, n := range need {
					if rc.r.Fields&n.f == 0 {
						t.Fail("smscReceipt text %q has no %s:", rc.d.ShortMessage, n.name)
						return
					}
				}
			}), "receipts"),
		smsc("receipts", 3, "fields §13.4", "the smscReceipt's id matches the submit_sm_resp message_id",
			"The smscReceipt names the message by the id of submit_sm_resp (receipted_message_id, else the text's id:, compared hex/decimal-insensitively).",
			receiptCase(func(t *T, rc *smscReceipt) {
				if rc.r.TextID != "" && !pdu.MessageIDEqual(rc.r.TextID, rc.id) {
					t.Fail("text id:%s, message_id %s", rc.r.TextID, rc.id)
				}
			}), "receipts"),
		smsc("receipts", 4, "fields §13.1", "receipted_message_id equals the message_id",
			"receipted_message_id (0x001E) carries the message_id of submit_sm_resp exactly. Its absence is allowed in 3.4 and skips the case.",
			receiptCase(func(t *T, rc *smscReceipt) {
				v, ok := rc.d.TLVs.ReceiptedMessageID()
				if !ok {
					t.Skip("no receipted_message_id in the smscReceipt (optional in 3.4)")
					return
				}
				if string(v) != rc.id {
					t.Fail("receipted_message_id %q, message_id %q", v, rc.id)
				}
			}), "receipts"),
		smsc("receipts", 5, "fields §13.3", "message_state agrees with stat",
			"When the message_state TLV is present it is the state the stat: text names (Table B-2: DELIVRD is 2, UNDELIV 5, ...). Its absence skips the case.",
			receiptCase(func(t *T, rc *smscReceipt) {
				v, ok := rc.d.TLVs.MessageState()
				if !ok {
					t.Skip("no message_state TLV in the smscReceipt (optional in 3.4)")
					return
				}
				if st, known := pdu.StateFromStat([]byte(rc.r.Stat)); known && uint8(st) != v {
					t.Fail("message_state %d but stat:%s", v, rc.r.Stat)
				}
			}), "receipts"),
		smsc("receipts", 6, "fields §13.3", "a final smscReceipt's stat is one of Table B-2",
			"stat: of a final smscReceipt is DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN or REJECTD.",
			receiptCase(func(t *T, rc *smscReceipt) {
				switch rc.r.Stat {
				case "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD":
				default:
					t.Fail("stat:%q is not in Table B-2", rc.r.Stat)
				}
			}), "receipts"),
		smsc("receipts", 7, "fields §13.2", "submit date and done date are dates, done not before submit",
			"submit date and done date are YYMMDDhhmm (12 or 14 digits tolerated); the message is done no earlier than it was submitted.",
			receiptCase(func(t *T, rc *smscReceipt) {
				if rc.r.SubmitDate.IsZero() || rc.r.DoneDate.IsZero() {
					t.Fail("dates %q / %q do not parse", rc.r.SubmitDateRaw, rc.r.DoneDateRaw)
					return
				}
				if rc.r.DoneDate.Before(rc.r.SubmitDate) {
					t.Fail("done date %s before submit date %s", rc.r.DoneDateRaw, rc.r.SubmitDateRaw)
				}
			}), "receipts"),
		smsc("receipts", 8, "fields §13.1", "a smscReceipt swaps the addresses of the message",
			"The smscReceipt's source address is the original recipient and its destination the original sender.",
			receiptCase(func(t *T, rc *smscReceipt) {
				if rc.d.SourceAddr != rc.sm.DestinationAddr || rc.d.DestinationAddr != rc.sm.SourceAddr {
					t.Fail("smscReceipt from %q to %q for a message from %q to %q", rc.d.SourceAddr, rc.d.DestinationAddr, rc.sm.SourceAddr, rc.sm.DestinationAddr)
				}
			}), "receipts"),
		smsc("receipts", 9, "pdus §5.7", "a smscReceipt's schedule and validity are NULL",
			"In deliver_sm, schedule_delivery_time and validity_period must be NULL.",
			receiptCase(func(t *T, rc *smscReceipt) {
				if rc.d.ScheduleDeliveryTime != "" || rc.d.ValidityPeriod != "" {
					t.Fail("deliver_sm with schedule %q, validity %q", rc.d.ScheduleDeliveryTime, rc.d.ValidityPeriod)
				}
			}), "receipts"),
		smsc("receipts", 10, "fields §5", "no smscReceipt without registered_delivery",
			"registered_delivery 0 asks for no smscReceipt: none arrives for that message.",
			func(t *T) {
				rx := bound(t, pdu.BindReceiverID)
				if rx == nil {
					return
				}
				defer rx.close()
				tx := bound(t, pdu.BindTransmitterID)
				if tx == nil {
					return
				}
				defer tx.close()
				id := submitID(t, tx, t.submitPDU("no smscReceipt"))
				if id == "" {
					return
				}
				_, err := rx.waitRequest(pdu.DeliverSMID, min(t.receiptTimeout(), 2*time.Second), func(f frame) bool {
					p, err := f.decode()
					var r pdu.Receipt
					return err == nil && pdu.ReceiptFromDeliverSM(p.(*pdu.DeliverSM), &r) == nil && pdu.MessageIDEqual(r.ID, id)
				})
				if err == nil {
					t.Fail("a smscReceipt came for message %q submitted with registered_delivery 0", id)
				}
			}, "receipts"),
		smsc("receipts", 11, "pdus §4.1", "a smscReceipt reaches a transceiver bind",
			"BOUND_TRX is the union of transmitter and receiver: the smscReceipt of a message submitted on a transceiver comes on it.",
			func(t *T) {
				if rc := receiptFor(t, true, 1); rc != nil {
					rc.rxClose()
				}
			}, "receipts", "transceiver"),
		smsc("receipts", 12, "pdus §4.2", "a transmitter bind gets no deliver_sm",
			"deliver_sm is legal in BOUND_RX and BOUND_TRX only; a transmitter that asked for a smscReceipt and holds no receiver gets no deliver_sm.",
			func(t *T) {
				tx := bound(t, pdu.BindTransmitterID)
				if tx == nil {
					return
				}
				defer tx.close()
				sm := t.submitPDU("tx only")
				sm.RegisteredDelivery = 1
				if submitID(t, tx, sm) == "" {
					return
				}
				if f, err := tx.waitRequest(pdu.DeliverSMID, min(t.receiptTimeout(), 2*time.Second), nil); err == nil {
					t.Fail("a transmitter got %v", f)
				}
			}, "receipts"),
	)
}
