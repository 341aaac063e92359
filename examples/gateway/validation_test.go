package main

// Every field limit is checked before ESME_ROK: a request the gateway could
// not forward is refused with the right command_status and nothing of it is
// stored. The requests are written as raw bytes, since this module's own
// encoder refuses to build them; so is every value SMPP 3.4 does not allow
// in a field within its limit (encoded, since AppendBinary writes them).

import (
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// rawESME is a bound plaintext connection that writes hand-made PDUs.
type rawESME struct {
	t   *testing.T
	nc  net.Conn
	r   *codec.Reader
	seq uint32
}

func dialRaw(t *testing.T, addr, systemID, password string) *rawESME {
	t.Helper()
	return dialRawAs(t, addr, pdu.BindTransceiverID, systemID, password)
}

// dialRawAs binds with bind_transmitter, bind_receiver or bind_transceiver.
func dialRawAs(t *testing.T, addr string, mode pdu.CommandID, systemID, password string) *rawESME {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	e := &rawESME{t: t, nc: nc, r: codec.NewReader(nc, codec.DefaultMaxLen)}
	b, err := pdu.AppendPDU(nil, 1, 0, &pdu.Bind{ID: mode, SystemID: systemID, Password: password, InterfaceVersion: 0x34})
	if err != nil {
		t.Fatal(err)
	}
	e.seq = 1
	if h, _ := e.roundTrip(b); h.Status != 0 {
		t.Fatalf("bind: %v", h.Status)
	}
	return e
}

// roundTrip writes one PDU and returns the first PDU read that answers its
// sequence number (deliver_sm and enquire_link in between are acknowledged).
func (e *rawESME) roundTrip(frame []byte) (pdu.Header, pdu.PDU) {
	e.t.Helper()
	seq := binary.BigEndian.Uint32(frame[12:16])
	e.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := e.nc.Write(frame); err != nil {
		e.t.Fatal(err)
	}
	for {
		f, err := e.r.Read()
		if err != nil {
			e.t.Fatal(err)
		}
		h, p, err := decodeFrame(f)
		if err != nil {
			e.t.Fatalf("decoding %v: %v", h.ID, err)
		}
		if h.Sequence == seq && h.ID.IsResponse() {
			return h, p
		}
	}
}

// next returns the next sequence number.
func (e *rawESME) next() uint32 { e.seq++; return e.seq }

// cstr appends a C-Octet String without any length check.
func cstr(b []byte, s string) []byte { return append(append(b, s...), 0) }

// rawSubmit builds a submit_sm frame with fields of any length.
func rawSubmit(seq uint32, serviceType, src, dst, schedule, validity string, text string) []byte {
	b := make([]byte, 16, 512)
	b = cstr(b, serviceType)
	b = append(b, 1, 1)
	b = cstr(b, src)
	b = append(b, 1, 1)
	b = cstr(b, dst)
	b = append(b, 0, 0, 0) // esm_class, protocol_id, priority_flag
	b = cstr(b, schedule)
	b = cstr(b, validity)
	b = append(b, 1, 0, 0, 0, byte(len(text))) // registered_delivery 1, replace, data_coding, sm_default_msg_id
	b = append(b, text...)
	binary.BigEndian.PutUint32(b[0:], uint32(len(b)))
	binary.BigEndian.PutUint32(b[4:], uint32(pdu.SubmitSMID))
	binary.BigEndian.PutUint32(b[12:], seq)
	return b
}

// rawDataSM builds a data_sm frame with fields of any length.
func rawDataSM(seq uint32, src, dst string) []byte {
	b := make([]byte, 16, 512)
	b = cstr(b, "")
	b = append(b, 1, 1)
	b = cstr(b, src)
	b = append(b, 1, 1)
	b = cstr(b, dst)
	b = append(b, 0, 1, 0) // esm_class, registered_delivery, data_coding
	binary.BigEndian.PutUint32(b[0:], uint32(len(b)))
	binary.BigEndian.PutUint32(b[4:], uint32(pdu.DataSMID))
	binary.BigEndian.PutUint32(b[12:], seq)
	return b
}

// rawSubmitMulti builds a submit_multi frame to SME addresses of any length.
func rawSubmitMulti(seq uint32, src string, dsts ...string) []byte {
	b := make([]byte, 16, 1024)
	b = cstr(b, "")
	b = append(b, 1, 1)
	b = cstr(b, src)
	b = append(b, byte(len(dsts)))
	for _, d := range dsts {
		b = append(b, 1, 1, 1) // dest_flag SME, ton, npi
		b = cstr(b, d)
	}
	b = append(b, 0, 0, 0)
	b = cstr(b, "")
	b = cstr(b, "")
	b = append(b, 1, 0, 0, 0, 2)
	b = append(b, "hi"...)
	binary.BigEndian.PutUint32(b[0:], uint32(len(b)))
	binary.BigEndian.PutUint32(b[4:], uint32(pdu.SubmitMultiID))
	binary.BigEndian.PutUint32(b[12:], seq)
	return b
}

// encoded returns a function that encodes p as a request frame with a
// given sequence number.
func encoded(t *testing.T, p pdu.PDU) func(seq uint32) []byte {
	return func(seq uint32) []byte {
		b, err := pdu.AppendPDU(nil, seq, 0, p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// storedMessages counts the messages accepted and not finished: each has
// its ticket in the queue.
func storedMessages(t *testing.T, a *app) int {
	t.Helper()
	n, err := a.gw.store.Queue().Len()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSubmitFieldLimitsBeforeAck(t *testing.T) {
	a := inproc(t, func(c *Config) {
		// Nothing routed anywhere that answers: an accepted message stays
		// Queued, so the store shows exactly what was accepted.
		c.Routes = []RouteConfig{{Prefix: "", Upstreams: []string{"dead"}}}
	})
	e := dialRaw(t, a.PlainAddr, "demo", "demo1234")
	long := strings.Repeat("2547", 50) // 200 digits; 3.4 allows 20
	const badTime = "300101120000000X" // 16th character not '+', '-' or 'R'
	sm := func(f func(*pdu.SubmitSM)) pdu.PDU {
		m := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", RegisteredDelivery: 1, ShortMessage: []byte("hi")}
		f(m)
		return m
	}
	multi := func(f func(*pdu.SubmitMulti)) pdu.PDU {
		m := &pdu.SubmitMulti{SourceAddr: "1000", Dests: []pdu.DestAddress{{DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "254700000001"}},
			RegisteredDelivery: 1, ShortMessage: []byte("hi")}
		f(m)
		return m
	}
	cases := []struct {
		name  string
		frame func(seq uint32) []byte
		want  pdu.Status
	}{
		{"submit_sm destination_addr of 200", func(s uint32) []byte { return rawSubmit(s, "", "1000", long, "", "", "hi") }, pdu.ESME_RINVDSTADR},
		{"submit_sm source_addr of 200", func(s uint32) []byte { return rawSubmit(s, "", long, "254700000001", "", "", "hi") }, pdu.ESME_RINVSRCADR},
		{"submit_sm service_type of 30", func(s uint32) []byte {
			return rawSubmit(s, strings.Repeat("s", 30), "1000", "254700000001", "", "", "hi")
		}, pdu.ESME_RINVSERTYP},
		{"submit_sm schedule_delivery_time of 20", func(s uint32) []byte {
			return rawSubmit(s, "", "1000", "254700000001", strings.Repeat("1", 20), "", "hi")
		}, pdu.ESME_RINVSCHED},
		{"data_sm destination_addr of 200", func(s uint32) []byte { return rawDataSM(s, "1000", long) }, pdu.ESME_RINVDSTADR},
		{"data_sm source_addr of 200", func(s uint32) []byte { return rawDataSM(s, long, "254700000001") }, pdu.ESME_RINVSRCADR},
		{"submit_multi source_addr of 200", func(s uint32) []byte { return rawSubmitMulti(s, long, "254700000001") }, pdu.ESME_RINVSRCADR},
		// Values SMPP 3.4 refuses (shared/spec/smpp34-fields.md §5, §6, §8;
		// smpp34-pdus.md §5.5).
		{"submit_sm priority_flag 4", encoded(t, sm(func(m *pdu.SubmitSM) { m.PriorityFlag = 4 })), pdu.ESME_RINVPRTFLG},
		{"submit_sm registered_delivery 0xE0", encoded(t, sm(func(m *pdu.SubmitSM) { m.RegisteredDelivery = 0xE0 })), pdu.ESME_RINVREGDLVFLG},
		{"submit_sm replace_if_present_flag 2", encoded(t, sm(func(m *pdu.SubmitSM) { m.ReplaceIfPresentFlag = 2 })), pdu.ESME_RINVREPFLAG},
		{"submit_sm short_message and message_payload", encoded(t, sm(func(m *pdu.SubmitSM) { m.TLVs.SetMessagePayload([]byte("both")) })), pdu.ESME_RINVMSGLEN},
		{"submit_sm schedule_delivery_time p 'X'", encoded(t, sm(func(m *pdu.SubmitSM) { m.ScheduleDeliveryTime = badTime })), pdu.ESME_RINVSCHED},
		{"submit_sm validity_period p 'X'", encoded(t, sm(func(m *pdu.SubmitSM) { m.ValidityPeriod = badTime })), pdu.ESME_RINVEXPIRY},
		{"submit_sm first in wire order", encoded(t, sm(func(m *pdu.SubmitSM) { m.PriorityFlag, m.ValidityPeriod = 4, badTime })), pdu.ESME_RINVPRTFLG},
		{"data_sm registered_delivery 0xE0", encoded(t, &pdu.DataSM{SourceAddr: "1000", DestinationAddr: "254700000001", RegisteredDelivery: 0xE0,
			TLVs: tlv.List{{Tag: tlv.MessagePayload, Value: []byte("hi")}}}), pdu.ESME_RINVREGDLVFLG},
		{"submit_multi priority_flag 4", encoded(t, multi(func(m *pdu.SubmitMulti) { m.PriorityFlag = 4 })), pdu.ESME_RINVPRTFLG},
		{"submit_multi registered_delivery 0xE0", encoded(t, multi(func(m *pdu.SubmitMulti) { m.RegisteredDelivery = 0xE0 })), pdu.ESME_RINVREGDLVFLG},
		{"submit_multi replace_if_present_flag 2", encoded(t, multi(func(m *pdu.SubmitMulti) { m.ReplaceIfPresentFlag = 2 })), pdu.ESME_RINVREPFLAG},
		{"submit_multi short_message and message_payload", encoded(t, multi(func(m *pdu.SubmitMulti) { m.TLVs.SetMessagePayload([]byte("both")) })), pdu.ESME_RINVMSGLEN},
		{"submit_multi schedule_delivery_time p 'X'", encoded(t, multi(func(m *pdu.SubmitMulti) { m.ScheduleDeliveryTime = badTime })), pdu.ESME_RINVSCHED},
		{"submit_multi validity_period p 'X'", encoded(t, multi(func(m *pdu.SubmitMulti) { m.ValidityPeriod = badTime })), pdu.ESME_RINVEXPIRY},
		// A known TLV of a length its type does not allow: read leniently,
		// it was once stored and then rejected by the dispatcher's strict
		// read (smppconform smsc.tlv.8).
		{"submit_sm user_message_reference of 1 octet", encoded(t, sm(func(m *pdu.SubmitSM) { m.TLVs.Add(tlv.UserMessageReference, []byte{7}) })), pdu.ESME_RINVPARLEN},
		{"data_sm user_message_reference of 1 octet", encoded(t, &pdu.DataSM{SourceAddr: "1000", DestinationAddr: "254700000001",
			TLVs: tlv.List{{Tag: tlv.MessagePayload, Value: []byte("hi")}, {Tag: tlv.UserMessageReference, Value: []byte{7}}}}), pdu.ESME_RINVPARLEN},
		{"submit_multi user_message_reference of 1 octet", encoded(t, multi(func(m *pdu.SubmitMulti) { m.TLVs.Add(tlv.UserMessageReference, []byte{7}) })), pdu.ESME_RINVPARLEN},
	}
	for _, c := range cases {
		h, _ := e.roundTrip(c.frame(e.next()))
		if h.Status != c.want {
			t.Errorf("%s: answered %v, want %v", c.name, h.Status, c.want)
		}
	}
	if n := storedMessages(t, a); n != 0 {
		t.Fatalf("%d messages stored from requests that were refused", n)
	}

	// submit_multi with one good and one bad destination: nothing is
	// accepted (the bad one could not even be named in the unsuccess list).
	if h, _ := e.roundTrip(rawSubmitMulti(e.next(), "1000", "254700000001", long)); h.Status != pdu.ESME_RINVDSTADR {
		t.Fatalf("submit_multi with one bad destination: %v, want %v", h.Status, pdu.ESME_RINVDSTADR)
	}
	if n := storedMessages(t, a); n != 0 {
		t.Fatalf("%d messages stored from a submit_multi that was refused", n)
	}
	// The good one alone is accepted.
	if h, _ := e.roundTrip(rawSubmitMulti(e.next(), "1000", "254700000001")); h.Status != 0 {
		t.Fatalf("submit_multi: %v", h.Status)
	}
	if n := storedMessages(t, a); n != 1 {
		t.Fatalf("%d messages stored, want 1", n)
	}
}

// decodeFrame decodes a frame read by a codec.Reader (its body is copied).
func decodeFrame(f codec.Frame) (pdu.Header, pdu.PDU, error) {
	b := f.Header.AppendBinary(make([]byte, 0, pdu.HeaderLen+len(f.Body)))
	return pdu.Decode(append(b, f.Body...), pdu.DecodeOptions{Lenient: true})
}
