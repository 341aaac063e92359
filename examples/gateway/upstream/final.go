package upstream

import (
	"errors"
	"fmt"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

// finish puts a message in a final state decided by the gateway and, when
// the ESME asked for one, queues a receipt it generates, in the same atomic
// write as the state: after a crash either both are on disk or neither (and
// the message is recovered in its earlier state). It is a compare-and-set:
// store.ErrConflict if the message changed since m was read.
func (d *Dispatcher) finish(m *store.Message, st store.State, stat string, errCode uint8) error {
	m.State, m.Done, m.Error = st, time.Now(), errCode
	r, err := gatewayReceipt(m, stat, errCode)
	if err != nil {
		// Only a message stored before its fields were checked can get
		// here; its final state is still recorded.
		d.log.Error("building the gateway's receipt failed; the state is recorded without it", "err", err, "id", m.ID)
	}
	if r == nil {
		err = d.store.Update(m)
	} else {
		err = d.store.UpdateWithDelivery(m, r)
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		return err
	case err != nil:
		d.storeFailed("recording a final state", m.ID, err)
		return err
	}
	d.metrics.Final(m.Account, stat)
	if r != nil {
		d.deliveryAdded(m.Account)
	}
	return nil
}

// storeFailed reports a store write that failed on a message's path. What
// is on disk is the message's earlier state, which a restart recovers.
func (d *Dispatcher) storeFailed(what, id string, err error) {
	d.metrics.StoreError()
	d.log.Error("store: "+what+" failed; the message keeps its earlier state on disk, recovered at the next start", "err", err, "id", id)
}

// gatewayReceipt builds the receipt the gateway itself sends for m (expired,
// rejected, unknown), or nil when the ESME asked for none.
func gatewayReceipt(m *store.Message, stat string, errCode uint8) (*store.Delivery, error) {
	rd := m.Registered & 0x03
	if rd != 1 && rd != 2 {
		return nil, nil
	}
	// The request's addresses, with their TON and NPI.
	var sm pdu.SubmitSM
	switch pdu.CommandID(m.Command) {
	case pdu.DataSMID:
		var ds pdu.DataSM
		if err := ds.UnmarshalBinary(m.Body); err != nil {
			return nil, fmt.Errorf("decoding the stored data_sm: %w", err)
		}
		sm = pdu.SubmitSM{SourceAddrTON: ds.SourceAddrTON, SourceAddrNPI: ds.SourceAddrNPI, SourceAddr: ds.SourceAddr,
			DestAddrTON: ds.DestAddrTON, DestAddrNPI: ds.DestAddrNPI, DestinationAddr: ds.DestinationAddr}
	default:
		if err := sm.UnmarshalBinary(m.Body); err != nil {
			return nil, fmt.Errorf("decoding the stored submit_sm: %w", err)
		}
	}
	r := &pdu.Receipt{ID: m.ID, TextID: m.ID, Sub: "001", Dlvrd: "000",
		SubmitDate: m.Created, DoneDate: m.Done, Stat: stat, State: m.State.MessageState(), Err: errText(errCode)}
	if text, err := sm.Text(); err == nil {
		r.Text = text // the first 20 characters, as SMSCs write them; none for binary data
	}
	body, err := pdu.NewReceiptDeliverSM(&sm, r).AppendBinary(nil)
	if err != nil {
		return nil, fmt.Errorf("encoding the receipt: %w", err)
	}
	return &store.Delivery{Account: m.Account, Body: body, Created: time.Now(), Bind: m.Bind}, nil
}

// errText writes a receipt's err: field.
func errText(c uint8) string {
	return string([]byte{'0' + c/100, '0' + c/10%10, '0' + c%10})
}
