package upstream

import (
	"context"
	"errors"
	"testing"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
	"github.com/esmsafrica/smpp/udh"
)

func TestAppendTextID(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"id:5A3F0001 sub:001 stat:DELIVRD text:my id:x", "id:NEW sub:001 stat:DELIVRD text:my id:x"},
		{"ID:12 stat:DELIVRD", "ID:NEW stat:DELIVRD"},
		{"sub:001 id:abc", "sub:001 id:NEW"},
		{"text:bid:1", "text:bid:1"},
		{"no label here", "no label here"},
	} {
		if got := string(appendTextID([]byte("prefix:"), []byte(c.in), "NEW")); got != "prefix:"+c.want {
			t.Errorf("appendTextID(%q) = %q, want %q", c.in, got, "prefix:"+c.want)
		}
	}
}

// An upstream receipt goes to the ESME with the gateway's id in the text
// and receipted_message_id, and only the TLVs SMPP 3.4 defines for
// deliver_sm.
func TestRewriteReceipt(t *testing.T) {
	in := &pdu.DeliverSM{SourceAddr: "254700000001", DestinationAddr: "1000", ESMClass: 0x04,
		ShortMessage: []byte("id:UP1 sub:001 dlvrd:001 stat:DELIVRD err:000 text:hi")}
	in.TLVs.SetReceiptedMessageID("UP1")
	in.TLVs.SetMessageState(uint8(pdu.StateDelivered))
	in.TLVs.Add(0x1401, []byte{0xCA, 0xFE})
	body, err := appendReceipt(nil, in, "GW1")
	if err != nil {
		t.Fatal(err)
	}
	out := &pdu.DeliverSM{}
	if err := out.UnmarshalBinary(body); err != nil {
		t.Fatal(err)
	}
	if out.SourceAddr != in.SourceAddr || out.DestinationAddr != in.DestinationAddr || out.ESMClass != in.ESMClass {
		t.Errorf("addresses or esm_class changed: %+v", out)
	}
	if got := string(out.ShortMessage); got != "id:GW1 sub:001 dlvrd:001 stat:DELIVRD err:000 text:hi" {
		t.Errorf("text %q", got)
	}
	if id, _ := out.TLVs.ReceiptedMessageID(); string(id) != "GW1" {
		t.Errorf("receipted_message_id %q, want GW1", id)
	}
	if _, ok := out.TLVs.Lookup(0x1401); ok {
		t.Error("vendor TLV kept")
	}
	if _, ok := out.TLVs.MessageState(); !ok {
		t.Error("message_state lost")
	}
	if id, _ := in.TLVs.ReceiptedMessageID(); string(id) != "UP1" {
		t.Errorf("the upstream's receipt changed: receipted_message_id %q", id)
	}
}

// A receipt in message_payload has its id replaced there.
func TestAppendReceiptPayload(t *testing.T) {
	in := &pdu.DeliverSM{ESMClass: 0x04}
	in.TLVs.Set(tlv.MessagePayload, []byte("id:UP1 stat:DELIVRD"))
	body, err := appendReceipt(nil, in, "GW1")
	if err != nil {
		t.Fatal(err)
	}
	out := &pdu.DeliverSM{}
	if err := out.UnmarshalBinary(body); err != nil {
		t.Fatal(err)
	}
	if p, _ := out.TLVs.MessagePayload(); string(p) != "id:GW1 stat:DELIVRD" {
		t.Errorf("message_payload %q", p)
	}
	if p, _ := in.TLVs.MessagePayload(); string(p) != "id:UP1 stat:DELIVRD" {
		t.Errorf("the upstream's receipt changed: %q", p)
	}
}

// Writing a receipt for the ESME allocates once besides its buffer (the
// space for the new id and text; the copy of the receipt and its TLVs are
// on the stack).
func TestAppendReceiptAllocs(t *testing.T) {
	in := &pdu.DeliverSM{SourceAddr: "254700000001", DestinationAddr: "1000", ESMClass: 0x04,
		ShortMessage: []byte("id:UP1 sub:001 dlvrd:001 stat:DELIVRD err:000 text:hi")}
	in.TLVs.SetReceiptedMessageID("UP1")
	in.TLVs.SetMessageState(uint8(pdu.StateDelivered))
	dst := make([]byte, 0, 512)
	var err error
	if n := testing.AllocsPerRun(100, func() { _, err = appendReceipt(dst, in, "0123456789abcdef") }); n > 1 {
		t.Errorf("appendReceipt: %v allocations, want at most 1", n)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestHasReceiptedID(t *testing.T) {
	with := &pdu.DeliverSM{}
	with.TLVs.SetReceiptedMessageID("1")
	if !hasReceiptedID(with) || hasReceiptedID(&pdu.DeliverSM{}) || hasReceiptedID(&pdu.DataSM{}) {
		t.Error("hasReceiptedID wrong")
	}
}

// receiptFor is an upstream's DELIVRD receipt for its message id up.
func receiptFor(t *testing.T, up string) *client.Delivery {
	t.Helper()
	d := &pdu.DeliverSM{SourceAddr: "254700000001", DestinationAddr: "1000", ESMClass: 0x04,
		ShortMessage: []byte("id:" + up + " sub:001 dlvrd:001 submit date:2612020101 done date:2612020102 stat:DELIVRD err:000 text:hello")}
	d.TLVs.SetReceiptedMessageID(up)
	r := new(pdu.Receipt)
	if err := pdu.ReceiptFromDeliverSM(d, r); err != nil {
		t.Fatal(err)
	}
	return &client.Delivery{PDU: d, Source: d.SourceAddr, Destination: d.DestinationAddr, ESMClass: d.ESMClass, Receipt: r}
}

// A receipt is recorded against the message its upstream id names: final
// state and the rewritten receipt in one write; a repeat of it is
// acknowledged and not delivered twice.
func TestReceipt(t *testing.T) {
	var got []*store.Delivery
	var d *Dispatcher
	var st *store.Memory
	d, st = newTest(t, Options{UpdateWithReceipt: func(m *store.Message, sd *store.Delivery, then func(error)) {
		got = append(got, sd)
		st.UpdateWithDeliveryAsync(m, sd, then)
	}})
	m := enroute(t, st, "0000000000000001", "UP1")
	u := &SMSC{d: d, name: "sim"}
	for range 2 {
		if err := answered(t, take(d, u, receiptFor(t, "UP1"))); err != nil {
			t.Fatalf("receipt answered %v, want acknowledged", err)
		}
	}
	if m, err := st.Get(m.ID); err != nil || m.State != store.Delivered {
		t.Fatalf("message %+v, %v; want DELIVERED", m, err)
	}
	if len(got) != 1 {
		t.Fatalf("%d receipts for the ESME, want 1", len(got))
	}
	var out pdu.DeliverSM
	if err := out.UnmarshalBinary(got[0].Body); err != nil {
		t.Fatal(err)
	}
	if id, _ := out.TLVs.ReceiptedMessageID(); string(id) != m.ID || got[0].Account != "demo" {
		t.Errorf("receipt for %s with id %q, want demo and %s", got[0].Account, id, m.ID)
	}
}

// A receipt that comes before its message's answer is recorded waits for
// it (the answer to the upstream held), and is recorded then.
func TestReceiptBeforeAnswer(t *testing.T) {
	added := make(chan string, 1)
	d, st := newTest(t, Options{DeliveryAdded: func(acct string) { added <- acct }})
	m := accept(t, st, "0000000000000001", 1)
	u := &SMSC{d: d, name: "sim"}
	answer := take(d, u, receiptFor(t, "UP1"))
	if n := d.ReceiptsWaiting(); n != 1 {
		t.Errorf("%d receipts waiting, want 1", n)
	}
	m.State, m.Route = store.Enroute, "sim"
	if err := st.MapUpstream(m, pdu.NormalizeMessageID("UP1")); err != nil {
		t.Fatal(err)
	}
	if acct := <-added; acct != "demo" {
		t.Errorf("receipt added for %q", acct)
	}
	if err := answered(t, answer); err != nil {
		t.Fatalf("parked receipt answered %v, want acknowledged once recorded", err)
	}
	d.Stop(context.Background())
	if got, err := st.Get(m.ID); err != nil || got.State != store.Delivered {
		t.Fatalf("message %+v, %v; want DELIVERED", got, err)
	}
	if n := d.ReceiptsWaiting(); n != 0 {
		t.Errorf("%d receipts waiting after Stop, want 0", n)
	}
}

// An MO message goes to the account of its destination with only the TLVs
// SMPP 3.4 defines for deliver_sm; one no route takes is dropped.
func TestMO(t *testing.T) {
	type mo struct {
		acct string
		d    *pdu.DeliverSM
	}
	var got []mo
	d, _ := newTest(t, Options{Routes: routes{mo: map[string]string{"1000": "acme"}},
		DeliverMO: func(acct string, d *pdu.DeliverSM) error { got = append(got, mo{acct, d}); return nil }})
	u := &SMSC{d: d, name: "sim"}
	for _, dest := range []string{"1000", "2000"} {
		p := &pdu.DeliverSM{SourceAddr: "254711111111", DestinationAddr: dest, ShortMessage: []byte("hi")}
		p.TLVs.Add(tlv.SourcePort, []byte{0x0b, 0x84})
		p.TLVs.Add(0x1401, []byte{1})
		err := answered(t, take(d, u, &client.Delivery{PDU: p, Source: p.SourceAddr, Destination: dest,
			Message: &udh.Assembled{Source: p.SourceAddr, Dest: dest, Payload: []byte("hi"), Total: 1, Received: 1}}))
		if err != nil {
			t.Fatalf("MO to %s answered %v, want acknowledged", dest, err)
		}
	}
	if len(got) != 1 || got[0].acct != "acme" {
		t.Fatalf("MO handed over: %+v; want one for acme", got)
	}
	if _, ok := got[0].d.TLVs.Lookup(tlv.SourcePort); !ok {
		t.Error("source_port lost")
	}
	if _, ok := got[0].d.TLVs.Lookup(0x1401); ok {
		t.Error("vendor TLV kept")
	}
}

// A receipt whose write meets a newer revision of its message (another
// writer came between its read and its write) is applied again to the
// newer one, and acknowledged once that is recorded: one receipt for the
// ESME, the message final.
func TestReceiptConflictReadsAgain(t *testing.T) {
	var d *Dispatcher
	var st *store.Memory
	tries := 0
	d, st = newTest(t, Options{UpdateWithReceipt: func(m *store.Message, sd *store.Delivery, then func(error)) {
		tries++
		if tries == 1 {
			// A writer that comes between (the answer of a second send).
			o, err := st.Get(m.ID)
			if err != nil {
				t.Error(err)
			}
			o.Attempts++
			if err := st.Update(o); err != nil {
				t.Error(err)
			}
		}
		st.UpdateWithDeliveryAsync(m, sd, then)
	}})
	m := enroute(t, st, "0000000000000001", "UP1")
	u := &SMSC{d: d, name: "sim"}
	if err := answered(t, take(d, u, receiptFor(t, "UP1"))); err != nil {
		t.Fatalf("receipt answered %v, want acknowledged", err)
	}
	if tries != 2 {
		t.Errorf("%d writes of the receipt, want 2 (refused, then applied to the newer revision)", tries)
	}
	got, err := st.Get(m.ID)
	if err != nil || got.State != store.Delivered || got.Attempts != 1 {
		t.Fatalf("message %+v, %v; want DELIVERED with the other writer's change", got, err)
	}
	if n, err := st.DeliveryQueue().Pending("demo"); err != nil || n != 1 {
		t.Fatalf("%d receipts queued for the ESME (%v), want 1", n, err)
	}
}

// A receipt the store could not record is not acknowledged: the SMSC is
// asked to deliver it again, and the message keeps its state.
func TestReceiptStoreFailureAsksAgain(t *testing.T) {
	failed := errors.New("disk full")
	d, st := newTest(t, Options{UpdateWithReceipt: func(m *store.Message, sd *store.Delivery, then func(error)) { then(failed) }})
	m := enroute(t, st, "0000000000000001", "UP1")
	u := &SMSC{d: d, name: "sim"}
	if err := answered(t, take(d, u, receiptFor(t, "UP1"))); !errors.Is(err, failed) {
		t.Fatalf("receipt answered %v, want the store's error", err)
	}
	if got, err := st.Get(m.ID); err != nil || got.State != store.Enroute {
		t.Fatalf("message %+v, %v; want ENROUTE still", got, err)
	}
}

// enroute stores a new message that asked for a receipt, Enroute to the
// SMSC "sim" under the upstream id upID.
func enroute(t *testing.T, st store.Store, id, upID string) *store.Message {
	t.Helper()
	m := accept(t, st, id, 1)
	m.State, m.Route = store.Enroute, "sim"
	if err := st.MapUpstream(m, pdu.NormalizeMessageID(upID)); err != nil {
		t.Fatal(err)
	}
	return m
}
