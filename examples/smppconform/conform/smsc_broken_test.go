package conform_test

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/examples/internal/certgen"
	"github.com/esmsafrica/smpp/examples/smppconform/conform"
	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// The deliberately broken SMSC: smsc-sim (on the server package) behind a
// proxy built on the raw codec, which breaks one rule of one case family when
// its switch is on. TestSMSCBroken runs each family's cases against it with
// the switch off (the family's failing case must pass: it does not fail for
// another reason) and on (at least one case of the family must fail): every
// family of cases can catch the fault it is there for.

// brokenRules says, per family, which rule the switch breaks.
var brokenRules = map[string]string{
	"session":  "a refused bind is answered ESME_ROK (the bind_resp status is cleared)",
	"framing":  "a PDU is whatever one read returns: octets after the first PDU of a read are dropped, a PDU split over reads is lost",
	"sequence": "responses carry the low 16 bits of the request's sequence_number",
	"nack":     "generic_nack says ESME_RSYSERR instead of the status of the fault (ESME_RINVCMDID...)",
	"pdu":      "enquire_link_resp carries a 4-octet body",
	"fields":   "a refused submit_sm is answered ESME_ROK",
	"tlv":      "a submit_sm with a vendor TLV (0x1400–0x3FFF) is refused with ESME_RINVOPTPARAMVAL",
	"receipts": "delivery receipts go out with esm_class 0 instead of 0x04",
	"qcr":      "a failed cancel_sm or replace_sm is answered ESME_ROK",
	"timers":   "the session_init_timer is not enforced (the profile declares 1 s)",
	"unbind":   "unbind is answered ESME_ROK by the proxy and the session stays bound",
	"window":   "every submit_sm_resp is sent twice",
	"tls":      "TLS 1.0 and 1.1 are accepted",
}

// brokenProxy is one listener of the broken SMSC.
type brokenProxy struct {
	family  string
	broken  bool
	backend string
	l       net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[net.Conn]bool
	closed  bool
}

func (p *brokenProxy) on(family string) bool { return p.broken && p.family == family }

func (p *brokenProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *brokenProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.l.Close()
	p.wg.Wait()
}

func (p *brokenProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serveConn(c)
		}()
	}
}

// proxyConn is one ESME's connection and its backend connection.
type proxyConn struct {
	p        *brokenProxy
	esme, be net.Conn
	wmu      sync.Mutex // writes to the ESME come from both directions
}

func (c *proxyConn) toESME(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.esme.Write(b)
	return err
}

func (p *brokenProxy) serveConn(esme net.Conn) {
	if !p.track(esme) {
		return
	}
	be, err := net.Dial("tcp", p.backend)
	if err != nil {
		esme.Close()
		return
	}
	if !p.track(be) {
		esme.Close()
		return
	}
	c := &proxyConn{p: p, esme: esme, be: be}
	done := make(chan struct{})
	go func() {
		c.down()
		close(done)
	}()
	c.up()
	esme.Close()
	be.Close()
	<-done
}

// up carries the ESME's PDUs to the backend.
func (c *proxyConn) up() {
	defer c.be.Close()
	if c.p.on("framing") {
		buf := make([]byte, 1<<17)
		for {
			n, err := c.esme.Read(buf)
			if n >= pdu.HeaderLen {
				if l := int(binary.BigEndian.Uint32(buf)); l >= pdu.HeaderLen && l <= n {
					if _, err := c.be.Write(buf[:l]); err != nil {
						return
					}
				}
			}
			if err != nil {
				return
			}
		}
	}
	r := codec.NewReader(c.esme, 0)
	for {
		f, err := r.Read()
		if err != nil {
			return // a command_length out of range too: the connection is closed
		}
		switch {
		case c.p.on("unbind") && f.ID == pdu.UnbindID:
			if c.toESME(header(pdu.UnbindRespID, 0, f.Sequence)) != nil {
				return
			}
			continue
		case c.p.on("tlv") && f.ID == pdu.SubmitSMID && hasVendorTLV(f.Body):
			if c.toESME(header(pdu.SubmitSMRespID, pdu.ESME_RINVOPTPARAMVAL, f.Sequence)) != nil {
				return
			}
			continue
		}
		if _, err := c.be.Write(f.Bytes()); err != nil {
			return
		}
	}
}

// down carries the backend's PDUs to the ESME, broken as the switch says.
func (c *proxyConn) down() {
	defer c.esme.Close()
	r := codec.NewReader(c.be, 0)
	for {
		f, err := r.Read()
		if err != nil {
			return
		}
		b := slices.Clone(f.Bytes())
		times := 1
		switch {
		case c.p.on("session") && isBindResp(f.ID) && f.Status != pdu.ESME_ROK:
			binary.BigEndian.PutUint32(b[8:], 0)
		case c.p.on("sequence") && f.ID.IsResponse():
			binary.BigEndian.PutUint32(b[12:], f.Sequence&0xFFFF)
		case c.p.on("nack") && f.ID == pdu.GenericNackID:
			binary.BigEndian.PutUint32(b[8:], uint32(pdu.ESME_RSYSERR))
		case c.p.on("pdu") && f.ID == pdu.EnquireLinkRespID:
			b = append(b, 0, 0, 0, 0)
			binary.BigEndian.PutUint32(b, uint32(len(b)))
		case c.p.on("fields") && f.ID == pdu.SubmitSMRespID && f.Status != pdu.ESME_ROK:
			b = append(header(pdu.SubmitSMRespID, 0, f.Sequence), '0', 0)
			binary.BigEndian.PutUint32(b, uint32(len(b)))
		case c.p.on("receipts") && f.ID == pdu.DeliverSMID:
			if i := esmClassAt(f.Body); i >= 0 {
				b[pdu.HeaderLen+i] = 0
			}
		case c.p.on("qcr") && (f.ID == pdu.CancelSMRespID || f.ID == pdu.ReplaceSMRespID):
			binary.BigEndian.PutUint32(b[8:], 0)
		case c.p.on("window") && f.ID == pdu.SubmitSMRespID:
			times = 2
		}
		for range times {
			if c.toESME(b) != nil {
				return
			}
		}
	}
}

func header(id pdu.CommandID, status pdu.Status, seq uint32) []byte {
	return pdu.Header{Length: pdu.HeaderLen, ID: id, Status: status, Sequence: seq}.AppendBinary(nil)
}

func isBindResp(id pdu.CommandID) bool {
	return id == pdu.BindTransmitterRespID || id == pdu.BindReceiverRespID || id == pdu.BindTransceiverRespID
}

// hasVendorTLV reports a submit_sm body with a TLV in the vendor range.
func hasVendorTLV(body []byte) bool {
	var sm pdu.SubmitSM
	if (pdu.DecodeOptions{Lenient: true}).Unmarshal(&sm, body) != nil {
		return false
	}
	return slices.ContainsFunc(sm.TLVs, func(f tlv.Field) bool { return f.Tag >= 0x1400 && f.Tag <= 0x3FFF })
}

// esmClassAt is the offset of esm_class in a deliver_sm body (-1 when the
// body is too short): after service_type, source and destination.
func esmClassAt(b []byte) int {
	i := 0
	cstring := func() bool {
		n := slices.Index(b[i:], 0)
		if n < 0 {
			return false
		}
		i += n + 1
		return true
	}
	if !cstring() {
		return -1
	}
	for range 2 {
		i += 2
		if i > len(b) || !cstring() {
			return -1
		}
	}
	if i >= len(b) {
		return -1
	}
	return i
}

// brokenSMSC starts the simulator and the proxy in front of it, broken for
// family when broken is set, and returns the run's configuration.
func brokenSMSC(t *testing.T, family string, broken bool) *conform.Config {
	t.Helper()
	bindTimeout := simBindTimeout
	if broken && family == "timers" {
		bindTimeout = -1
	}
	s := sim.New(sim.Config{
		Accounts:     []sim.Account{{SystemID: "conform", Password: "secret", Rate: simRate}},
		ReceiptDelay: 10 * time.Millisecond,
		BindTimeout:  bindTimeout,
		Logger:       slog.New(slog.DiscardHandler),
	})
	bl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(bl)
	t.Cleanup(func() { s.Close() })

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &conform.Config{Addr: l.Addr().String(), SessionInitTimer: simBindTimeout, Rate: simRate,
		Profile: conform.Profile{"transceiver": true, "receipts": true, "data_sm": true,
			"submit_multi": true, "query_sm": true, "cancel_sm": true, "replace_sm": true, "message_payload": true,
			"scheduled": true, "timers": true, "throttling": true}}
	if family == "tls" {
		cert, err := certgen.New("conform-broken", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tc := &tls.Config{Certificates: []tls.Certificate{cert.Leaf}, MinVersion: tls.VersionTLS12}
		if broken {
			tc.MinVersion = tls.VersionTLS10
		}
		l = tls.NewListener(l, tc)
		cfg.TLS = clientTLS(t, cert)
		cfg.Profile["tls"] = true
	}
	p := &brokenProxy{family: family, broken: broken, backend: bl.Addr().String(), l: l, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return cfg
}

// playSMSC runs cases with the defaults of runSMSC.
func playSMSC(cfg *conform.Config, cs []*conform.Case) []conform.Result {
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.CaseTimeout == 0 {
		cfg.CaseTimeout = 30 * time.Second
	}
	if cfg.ReceiptTimeout == 0 {
		cfg.ReceiptTimeout = 5 * time.Second
	}
	if cfg.SystemID == "" {
		cfg.SystemID, cfg.Password = "conform", "secret"
	}
	cfg.SourceAddr, cfg.DestAddr = "254700000001", "254711000002"
	return conform.Run(context.Background(), cfg, cs)
}

func TestSMSCBroken(t *testing.T) {
	all := conform.Cases(conform.SMSC)
	var groups []string
	for _, c := range all {
		if !slices.Contains(groups, c.Group) {
			groups = append(groups, c.Group)
		}
	}
	for _, g := range groups {
		if brokenRules[g] == "" {
			t.Errorf("the broken SMSC has no switch for the family %q", g)
		}
	}
	for _, family := range groups {
		if brokenRules[family] == "" {
			continue
		}
		t.Run(family, func(t *testing.T) {
			cs := conform.Select(all, []string{family})
			status := func(broken bool) map[string]conform.Result {
				cfg := brokenSMSC(t, family, broken)
				cfg.ReceiptTimeout = 2 * time.Second
				m := map[string]conform.Result{}
				for _, r := range playSMSC(cfg, cs) {
					m[r.Case.ID] = r
				}
				return m
			}
			off, on := status(false), status(true)
			var caught []string
			for _, c := range cs {
				if on[c.ID].Status == conform.Fail && off[c.ID].Status == conform.Pass {
					caught = append(caught, c.ID)
					t.Logf("%s caught it: %s", c.ID, on[c.ID].Reason)
				}
			}
			if len(caught) == 0 {
				for _, c := range cs {
					t.Logf("%s: off %v (%s), on %v (%s)", c.ID, off[c.ID].Status, off[c.ID].Reason, on[c.ID].Status, on[c.ID].Reason)
				}
				t.Errorf("no %s case fails when %s", family, brokenRules[family])
			}
		})
	}
}
