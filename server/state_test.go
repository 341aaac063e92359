package server_test

import (
	"encoding/binary"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
)

// requests returns a valid body of every request an ESME might send.
func requests() []pdu.PDU {
	return []pdu.PDU{
		&pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("x")},
		&pdu.SubmitMulti{Dests: []pdu.DestAddress{{DestinationAddr: "1"}}, ShortMessage: []byte("x")},
		&pdu.QuerySM{MessageID: "1"},
		&pdu.CancelSM{MessageID: "1"},
		&pdu.ReplaceSM{MessageID: "1"},
		&pdu.DataSM{DestinationAddr: "1"},
		&pdu.DeliverSM{DestinationAddr: "1"},
		&pdu.AlertNotification{},
		&pdu.Outbind{SystemID: "x"},
		&pdu.EnquireLink{},
	}
}

// TestStateTable sends every request in every state a server session can be
// in and checks the answer against smpp34-pdus.md §4.3, from the server's side.
func TestStateTable(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler}
	addr := start(t, srv)

	ok := func(st session.State, id pdu.CommandID) bool {
		switch id {
		case pdu.EnquireLinkID:
			return true
		case pdu.SubmitSMID, pdu.SubmitMultiID, pdu.QuerySMID, pdu.CancelSMID, pdu.ReplaceSMID, pdu.DataSMID:
			return st == session.BoundTX || st == session.BoundTRX
		}
		return false // deliver_sm, alert_notification, outbind: never from an ESME
	}
	for _, tc := range []struct {
		state session.State
		bind  pdu.CommandID
	}{
		{session.Open, 0},
		{session.BoundTX, pdu.BindTransmitterID},
		{session.BoundRX, pdu.BindReceiverID},
		{session.BoundTRX, pdu.BindTransceiverID},
	} {
		t.Run(tc.state.String(), func(t *testing.T) {
			c := dialRaw(t, addr)
			if tc.bind != 0 {
				c.bind(tc.bind, "esme")
			}
			for _, p := range requests() {
				id := p.CommandID()
				seq := c.send(p)
				switch {
				case ok(tc.state, id):
					c.expect(id.Response(), pdu.ESME_ROK, seq)
				case id.HasResponse():
					c.expect(id.Response(), pdu.ESME_RINVBNDSTS, seq)
				default:
					c.expect(pdu.GenericNackID, pdu.ESME_RINVBNDSTS, seq)
				}
			}
			// A bind when bound: ESME_RALYBND in the bind response.
			for _, b := range []pdu.CommandID{pdu.BindTransmitterID, pdu.BindReceiverID, pdu.BindTransceiverID} {
				if tc.bind == 0 {
					continue
				}
				seq := c.send(&pdu.Bind{ID: b, SystemID: "esme"})
				c.expect(b.Response(), pdu.ESME_RALYBND, seq)
			}
			// unbind: refused before bind, answered when bound, then closed.
			seq := c.send(&pdu.Unbind{})
			if tc.bind == 0 {
				c.expect(pdu.UnbindRespID, pdu.ESME_RINVBNDSTS, seq)
				return
			}
			c.expect(pdu.UnbindRespID, pdu.ESME_ROK, seq)
			// After unbind nothing but the close is legal.
			seq = c.send(&pdu.SubmitSM{DestinationAddr: "1"})
			if h, _, err := c.read(); err == nil && (h.ID != pdu.SubmitSMRespID || h.Status != pdu.ESME_RINVBNDSTS || h.Sequence != seq) {
				t.Fatalf("submit after unbind: %s %s", h.ID, h.Status)
			}
		})
	}
}

// TestMalformed checks the answers to broken input and that the server keeps
// serving other connections.
func TestMalformed(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler}
	addr := start(t, srv)
	header := func(length uint32, id pdu.CommandID, seq uint32) []byte {
		b := make([]byte, 16)
		binary.BigEndian.PutUint32(b, length)
		binary.BigEndian.PutUint32(b[4:], uint32(id))
		binary.BigEndian.PutUint32(b[12:], seq)
		return b
	}
	// A long-lived bound connection that must survive the others.
	keep := dialRaw(t, addr)
	keep.bind(pdu.BindTransceiverID, "keep")

	t.Run("command_length 8", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.write(header(8, pdu.EnquireLinkID, 7))
		// A PDU of 8 octets has no sequence_number: the nack carries 0.
		c.expect(pdu.GenericNackID, pdu.ESME_RINVCMDLEN, 0)
		c.expectClosed()
	})
	t.Run("command_length 2^31", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.bind(pdu.BindTransmitterID, "a")
		c.write(header(1<<31, pdu.SubmitSMID, 9))
		// The sequence_number when the whole header was in, else 0.
		h, _, err := c.read()
		if err != nil || h.ID != pdu.GenericNackID || h.Status != pdu.ESME_RINVCMDLEN || (h.Sequence != 9 && h.Sequence != 0) {
			t.Fatalf("got %v %s %s %d", err, h.ID, h.Status, h.Sequence)
		}
		c.expectClosed()
	})
	t.Run("unknown command id", func(t *testing.T) {
		c := dialRaw(t, addr)
		for _, id := range []pdu.CommandID{0x0000000A, 0x00000099, 0x00000111, 0x7fffffff} {
			c.write(header(16, id, 3))
			c.expect(pdu.GenericNackID, pdu.ESME_RINVCMDID, 3)
		}
		// The connection stays usable.
		c.bind(pdu.BindTransmitterID, "a")
		seq := c.send(&pdu.SubmitSM{DestinationAddr: "1"})
		c.expect(pdu.SubmitSMRespID, pdu.ESME_ROK, seq)
	})
	t.Run("submit before bind", func(t *testing.T) {
		c := dialRaw(t, addr)
		seq := c.send(&pdu.SubmitSM{DestinationAddr: "1"})
		c.expect(pdu.SubmitSMRespID, pdu.ESME_RINVBNDSTS, seq)
	})
	t.Run("bad body", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.bind(pdu.BindTransmitterID, "a")
		// submit_sm whose body is one octet: truncated.
		b := append(header(17, pdu.SubmitSMID, 5), 'x')
		c.write(b)
		h, _, err := c.read()
		if err != nil || h.ID != pdu.SubmitSMRespID || h.Status == pdu.ESME_ROK || h.Sequence != 5 {
			t.Fatalf("truncated body: %v %s %s", err, h.ID, h.Status)
		}
		seq := c.send(&pdu.SubmitSM{DestinationAddr: "1"})
		c.expect(pdu.SubmitSMRespID, pdu.ESME_ROK, seq)
	})
	t.Run("responses nobody asked for", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.bind(pdu.BindReceiverID, "a")
		c.write(header(16, pdu.GenericNackID, 0))
		c.write(header(17, pdu.DeliverSMRespID, 44))
		c.write([]byte{0})
		seq := c.send(&pdu.EnquireLink{})
		c.expect(pdu.EnquireLinkRespID, pdu.ESME_ROK, seq)
	})
	seq := keep.send(&pdu.SubmitSM{DestinationAddr: "1"})
	keep.expect(pdu.SubmitSMRespID, pdu.ESME_ROK, seq)
	c := dialRaw(t, addr)
	c.bind(pdu.BindTransceiverID, "after")
}
