package conform

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
)

// brokenESME is a raw ESME test double that behaves except for one rule,
// named after the case group that checks it.
type brokenESME struct {
	addr, rule string
	mu         sync.Mutex
	conn       net.Conn
	seq        uint32
	done       chan struct{}
	wg         sync.WaitGroup
}

func startBroken(t *testing.T, addr, rule string) *brokenESME {
	b := &brokenESME{addr: addr, rule: rule, done: make(chan struct{})}
	b.wg.Add(1)
	go b.loop()
	t.Cleanup(func() {
		close(b.done)
		b.mu.Lock()
		if b.conn != nil {
			b.conn.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

func (b *brokenESME) loop() {
	defer b.wg.Done()
	for first := true; ; first = false {
		select {
		case <-b.done:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if !first && b.rule == "reconnect" {
			<-b.done // never comes back
			return
		}
		c, err := net.Dial("tcp", b.addr)
		if err != nil {
			continue
		}
		b.mu.Lock()
		b.conn, b.seq = c, 0
		b.mu.Unlock()
		b.serve(c)
		c.Close()
	}
}

// send writes a PDU; seq 0 takes the next sequence number (0 under the
// "sequence" rule).
func (b *brokenESME) send(seq uint32, st pdu.Status, p pdu.PDU) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if seq == 0 && b.rule != "sequence" {
		b.seq++
		seq = b.seq
	}
	buf, _ := pdu.AppendPDU(nil, seq, st, p)
	if b.rule == "framing" && p.CommandID() == pdu.EnquireLinkRespID {
		buf = append(buf, 0, 0, 0, 0)
		buf[3] += 4
	}
	if b.conn != nil {
		b.conn.Write(buf)
	}
}

func (b *brokenESME) serve(c net.Conn) {
	bind := &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "conform", Password: "secret", InterfaceVersion: 0x34}
	if b.rule == "bind" {
		bind.InterfaceVersion = 0x50
	}
	b.send(0, 0, bind)
	r := codec.NewReader(c, 0)
	for {
		f, err := r.Read()
		if err != nil {
			return
		}
		h := f.Header
		switch h.ID {
		case pdu.EnquireLinkID:
			if b.rule != "enquire" {
				b.send(h.Sequence, 0, &pdu.EnquireLinkResp{})
			}
		case pdu.DeliverSMID:
			if b.rule == "deliver" {
				h.Sequence++
			}
			b.send(h.Sequence, 0, &pdu.DeliverSMResp{})
		case pdu.DataSMID:
			b.send(h.Sequence, 0, &pdu.DataSMResp{})
		case pdu.UnbindID:
			if b.rule != "unbind" {
				b.send(h.Sequence, 0, &pdu.UnbindResp{})
				return
			}
		case pdu.SubmitSMRespID:
			if h.Status == pdu.ESME_RTHROTTLED && b.rule == "flow" {
				b.submit("burst message", 0) // again at once: a busy loop
			}
		default:
			if !h.ID.IsResponse() && !h.ID.Known() && b.rule != "nack" {
				b.send(h.Sequence, pdu.ESME_RINVCMDID, &pdu.GenericNack{})
			}
		}
	}
}

func (b *brokenESME) submit(text string, dc uint8) {
	b.send(0, 0, &pdu.SubmitSM{SourceAddr: "1000", DestAddrNPI: 1, DestinationAddr: "254700000001",
		DataCoding: dc, ShortMessage: []byte(text)})
}

// drive sends what a case asks for: a long text as two segments whose
// references differ and whose second one is too long under the "message"
// rule, a burst over the window of 5 under the "flow" rule.
func (b *brokenESME) drive(_ context.Context, kind string) error {
	switch kind {
	case DriveSubmit:
		b.submit("Hello from the broken ESME", 0)
	case DriveUnicode:
		b.submit(string(ucs2("Привет")), 8)
	case DriveLong:
		for i := byte(1); i <= 2; i++ {
			ref := byte(7)
			if b.rule == "message" {
				ref += i
			}
			text := make([]byte, 150)
			for j := range text {
				text[j] = 'a'
			}
			sm := &pdu.SubmitSM{SourceAddr: "1000", DestAddrNPI: 1, DestinationAddr: "254700000001", ESMClass: 0x40,
				ShortMessage: append([]byte{5, 0, 3, ref, 2, i}, text...)}
			b.send(0, 0, sm)
		}
	case DriveBurst:
		n := 5
		if b.rule == "flow" {
			n = 20
		}
		for range n {
			b.submit("burst message", 0)
		}
	}
	return nil
}

// TestESMEBrokenDouble proves each group of ESME cases can fail: against a
// double that breaks that group's rule, at least one case of the group
// fails.
func TestESMEBrokenDouble(t *testing.T) {
	groups := []string{"bind", "enquire", "deliver", "nack", "sequence", "framing", "message", "flow", "unbind", "outbind", "reconnect"}
	for _, g := range groups {
		t.Run(g, func(t *testing.T) {
			ln := listen(t)
			b := startBroken(t, ln.Addr().String(), g)
			o := &ESMEOptions{Listener: ln, Window: 5, ConnectTimeout: 3 * time.Second, Driver: b.drive}
			profile := Profile{"data_sm": true}
			if g == "outbind" {
				// An ESME that says it takes outbinds and ignores them.
				ol := listen(t)
				defer ol.Close()
				go func() {
					for {
						c, err := ol.Accept()
						if err != nil {
							return
						}
						defer c.Close()
					}
				}()
				o.OutbindAddr, profile["outbind"] = ol.Addr().String(), true
			}
			failed := 0
			for _, r := range esmeRun(t, o, profile, g) {
				t.Logf("%s: %v %s", r.Case.ID, r.Status, r.Reason)
				if r.Status == Fail {
					failed++
				}
			}
			if failed == 0 {
				t.Errorf("no case of group %s failed against an ESME that breaks its rule", g)
			}
		})
	}
}
