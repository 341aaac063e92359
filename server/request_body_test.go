package server_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
)

// hexBody decodes hex pieces, spaces ignored.
func hexBody(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(strings.Join(parts, ""), " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawFrame is a whole PDU around body.
func rawFrame(id pdu.CommandID, seq uint32, body []byte) []byte {
	b := pdu.Header{Length: uint32(pdu.HeaderLen + len(body)), ID: id, Sequence: seq}.AppendBinary(nil)
	return append(b, body...)
}

// TestRequestBody: a handler gets the body as it came, byte for byte, in
// the memory its PDU aliases (kept after the handler returns); read
// leniently, a body with a field beyond its limit is refused by Validate
// with the status AppendBinary gives, and one that validates came as its
// strict encoding.
func TestRequestBody(t *testing.T) {
	checkLeaks(t)
	type got struct {
		body []byte
		err  error
	}
	seen := make(chan got, 1)
	handler := server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		err := r.PDU.(interface{ Validate() error }).Validate()
		if err == nil {
			if enc, aerr := r.PDU.AppendBinary(nil); aerr != nil || !bytes.Equal(enc, r.Body[:len(enc)]) {
				t.Errorf("%s validated, but encodes as %x (%v), came as %x", r.Header.ID, enc, aerr, r.Body)
			}
		}
		seen <- got{r.Body, err}
		w.Respond(nil, pdu.StatusOf(err))
	})
	addr := start(t, &server.Server{Handler: handler, Logger: quiet, Session: session.Config{Decode: pdu.DecodeOptions{Lenient: true}}})
	c := dialRaw(t, addr)
	c.bind(pdu.BindTransceiverID, "a")

	cs := func(s string) string { return hex.EncodeToString([]byte(s)) + "00" }
	long := func(n int) string { return strings.Repeat("1", n) }
	sm := func(src, dst, msg, tlvs string) string {
		return "00 0501" + cs(src) + "0101" + cs(dst) + "00 00 00 00" + cs("000001060000000R") + "01 00 00 00" + msg + tlvs
	}
	for _, tc := range []struct {
		name   string
		id     pdu.CommandID
		body   string
		status pdu.Status
	}{
		{"submit_sm", pdu.SubmitSMID, sm("MyBrand", "4915550000", "05 68656c6c6f", "0204 0002 0007"), 0},
		// Longer than the memory kept inline for a submit_sm (400 octets).
		{"submit_sm with a payload", pdu.SubmitSMID, sm("MyBrand", "4915550000", "00", "0424 01f4 "+strings.Repeat("41", 500)), 0},
		{"submit_sm destination_addr 25", pdu.SubmitSMID, sm("MyBrand", long(25), "05 68656c6c6f", ""), pdu.ESME_RINVDSTADR},
		{"submit_sm validity_period 12", pdu.SubmitSMID, "00 0501" + cs("MyBrand") + "0101" + cs("1") + "00 00 00 00" + cs("000001060000") + "01 00 00 00 00", pdu.ESME_RINVEXPIRY},
		{"data_sm", pdu.DataSMID, "00 0101" + cs("1234") + "0101" + cs("4915550000") + "00 01 00" + "0424 0005 68656c6c6f", 0},
		{"data_sm source_addr 70", pdu.DataSMID, "00 0101" + cs(long(70)) + "0101" + cs("4915550000") + "00 01 00", pdu.ESME_RINVSRCADR},
		{"submit_multi", pdu.SubmitMultiID, "00 0101" + cs("1") + "02 01 0101" + cs("2") + "02" + cs("friends") + "00 00 00 00 00 00 00 00 00 02 6869", 0},
		{"submit_multi dl_name 30", pdu.SubmitMultiID, "00 0101" + cs("1") + "01 02" + cs(long(30)) + "00 00 00 00 00 00 00 00 00 02 6869", pdu.ESME_RINVDLNAME},
		// Read leniently, octets after the last field stay in Body.
		{"query_sm with a trailing octet", pdu.QuerySMID, cs("5f3a") + "0101" + cs("1234") + "ff", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := hexBody(t, tc.body)
			c.seq++
			c.write(rawFrame(tc.id, c.seq, body))
			g := <-seen
			c.expect(tc.id.Response(), tc.status, c.seq)
			if !bytes.Equal(g.body, body) {
				t.Fatalf("Body\n%x\nwant\n%x", g.body, body)
			}
			if pdu.StatusOf(g.err) != tc.status {
				t.Fatalf("Validate: %v, want %v", g.err, tc.status)
			}
		})
	}
}
