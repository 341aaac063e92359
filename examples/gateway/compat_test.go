package main

import (
	"context"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
	"github.com/esmsafrica/smpp/udh"
)

// What python smpplib needs of the gateway (it fails on a TLV it does not
// list for a PDU): no TLV in submit_sm_resp or data_sm_resp, and only the
// TLVs SMPP 3.4 defines for deliver_sm in receipts and MO messages, whatever
// the operator sent (vendor TLVs, SMPP 5.0 ones).
func TestESMEsSeeOnly34TLVs(t *testing.T) {
	a := inproc(t, nil)
	gw := a.gw
	var d deliveries
	c := dialDemo(t, a, d.handler())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Routed to an upstream that is down: it stays queued until the
	// receipt below.
	resp, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "9990001",
		ShortMessage: []byte("compat"), RegisteredDelivery: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.TLVs) != 0 {
		t.Errorf("submit_sm_resp carries TLVs: %v", resp.TLVs)
	}
	dresp, err := c.DataSM(ctx, &pdu.DataSM{SourceAddr: "1000", DestinationAddr: "9990002",
		TLVs: tlv.List{{Tag: tlv.MessagePayload, Value: []byte("data")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(dresp.TLVs) != 0 {
		t.Errorf("data_sm_resp carries TLVs: %v", dresp.TLVs)
	}

	const vendor, v50 = tlv.Tag(0x1401), tlv.Tag(0x060B) // vendor; SMPP 5.0 billing_identification
	receipt := &pdu.DeliverSM{SourceAddr: "9990001", DestinationAddr: "1000", ESMClass: 0x04,
		ShortMessage: []byte("id:UP1 sub:001 dlvrd:001 submit date:2612020101 done date:2612020102 stat:DELIVRD err:000 text:compat")}
	receipt.TLVs.SetReceiptedMessageID("UP1")
	receipt.TLVs.SetMessageState(uint8(pdu.StateDelivered))
	receipt.TLVs.Add(vendor, []byte{0xCA, 0xFE})
	receipt.TLVs.Add(v50, []byte{1, 2})
	// The receipt comes from sim, as if the message had been sent there
	// and answered UP1.
	m, err := gw.store.Get(resp.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.UpstreamID = store.Enroute, "sim", "UP1"
	if err := gw.store.MapUpstream(m, pdu.NormalizeMessageID("UP1")); err != nil {
		t.Fatal(err)
	}
	u := gw.up.SMSC("sim")
	if err := u.HandleDelivery(ctx, receiptDelivery(t, receipt)); err != nil {
		t.Fatal(err)
	}

	mo := &pdu.DeliverSM{SourceAddr: "254711111111", DestinationAddr: "1000", ShortMessage: []byte("hi")}
	mo.TLVs.Add(tlv.SourcePort, []byte{0x0b, 0x84})
	mo.TLVs.Add(vendor, []byte{1})
	if err := u.HandleDelivery(ctx, &client.Delivery{PDU: mo, Source: mo.SourceAddr, Destination: mo.DestinationAddr,
		Message: &udh.Assembled{Source: mo.SourceAddr, Dest: mo.DestinationAddr, Payload: []byte("hi"), Total: 1, Received: 1}}); err != nil {
		t.Fatal(err)
	}

	var sawReceipt, sawMO bool
	for _, dl := range d.wait(t, 2, 10*time.Second) {
		dsm := dl.PDU.(*pdu.DeliverSM)
		for _, f := range dsm.TLVs {
			if !deliverSMTLVs34[f.Tag] {
				t.Errorf("deliver_sm to the ESME carries %v", f.Tag)
			}
		}
		if dl.IsReceipt() {
			sawReceipt = true
			if id, _ := dsm.TLVs.ReceiptedMessageID(); string(id) != resp.MessageID {
				t.Errorf("receipted_message_id %q, want %q", id, resp.MessageID)
			}
			if _, ok := dsm.TLVs.MessageState(); !ok {
				t.Error("receipt lost message_state")
			}
		} else {
			sawMO = true
			if _, ok := dsm.TLVs.Lookup(tlv.SourcePort); !ok {
				t.Error("MO lost source_port")
			}
		}
	}
	if !sawReceipt || !sawMO {
		t.Fatalf("receipt %v, MO %v", sawReceipt, sawMO)
	}
}

// deliverSMTLVs34 are the TLVs SMPP 3.4 defines for deliver_sm.
var deliverSMTLVs34 = map[tlv.Tag]bool{
	tlv.UserMessageReference: true, tlv.SourcePort: true, tlv.DestinationPort: true, tlv.SarMsgRefNum: true,
	tlv.SarTotalSegments: true, tlv.SarSegmentSeqnum: true, tlv.UserResponseCode: true, tlv.PrivacyIndicator: true,
	tlv.PayloadType: true, tlv.MessagePayload: true, tlv.CallbackNum: true, tlv.SourceSubaddress: true,
	tlv.DestSubaddress: true, tlv.LanguageIndicator: true, tlv.ItsSessionInfo: true, tlv.NetworkErrorCode: true,
	tlv.MessageState: true, tlv.ReceiptedMessageID: true, tlv.UssdServiceOp: true,
}

// receiptDelivery is a receipt as the upstream client hands it over: parsed.
func receiptDelivery(t *testing.T, d *pdu.DeliverSM) *client.Delivery {
	t.Helper()
	r := new(pdu.Receipt)
	if err := pdu.ReceiptFromDeliverSM(d, r); err != nil {
		t.Fatal(err)
	}
	return &client.Delivery{PDU: d, Source: d.SourceAddr, Destination: d.DestinationAddr, ESMClass: d.ESMClass, Receipt: r}
}
