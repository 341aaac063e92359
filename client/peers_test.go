//go:build interop

package client_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/internal/peers"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
	"github.com/esmsafrica/smpp/tlv"
	"github.com/esmsafrica/smpp/udh"
)

// Tests against third-party SMSCs: node-smpp (npm smpp 0.5.1) and Perl
// Net::SMPP, driven through internal/peers. They are built with -tags interop
// only (make test sets it) and need scripts/install-test-deps.sh: a missing
// peer fails the test with that hint.

var impls = []string{peers.Node, peers.Perl}

func peerSMSC(t *testing.T, impl string, args ...string) *peers.Peer {
	t.Helper()
	peers.Require(t, impl)
	return peers.StartSMSC(t, impl, append([]string{"--system-id", "esme", "--password", "secret"}, args...)...)
}

func peerClient(t *testing.T, p *peers.Peer, cfg client.Config) *client.Client {
	t.Helper()
	cfg.Logger = quiet
	return dial(t, p.Addr(), cfg)
}

func TestPeerBindModes(t *testing.T) {
	for _, impl := range impls {
		for _, mode := range []client.Mode{client.Transceiver, client.Transmitter, client.Receiver, client.Pair} {
			t.Run(impl+"/"+mode.String(), func(t *testing.T) {
				p := peerSMSC(t, impl)
				c := peerClient(t, p, client.Config{Mode: mode})
				want := map[client.Mode][]string{client.Transceiver: {"trx"}, client.Transmitter: {"tx"}, client.Receiver: {"rx"}, client.Pair: {"tx", "rx"}}[mode]
				evs := p.WaitEvents(t, "bound", len(want))
				got := map[string]bool{}
				for _, e := range evs {
					got[e.Str("mode")] = true
				}
				for _, m := range want {
					if !got[m] {
						t.Fatalf("no %s bind: %v", m, evs)
					}
				}
				if mode != client.Receiver {
					if _, err := c.Submit(testCtx(t), &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("hi")}); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

func TestPeerBindRefused(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			p := peerSMSC(t, impl)
			_, err := client.Dial(testCtx(t), p.Addr(), client.Config{SystemID: "esme", Password: "wrong", Logger: quiet})
			if !errors.Is(err, pdu.ESME_RINVPASWD) {
				t.Fatalf("wrong password: %v", err)
			}
		})
	}
}

// peerSubmits returns, per short_message text, how many submit_sm the peer
// received and how many it answered ESME_ROK.
func peerSubmits(p *peers.Peer) (seen, acked map[string]int, idOf map[string]string) {
	seen, acked, idOf = map[string]int{}, map[string]int{}, map[string]string{}
	textOf := map[string]string{} // conn/seq -> text
	for _, e := range p.Events() {
		key := fmt.Sprint(e.Int("conn"), "/", e.Int("seq"))
		switch e.Name() {
		case "submit_sm":
			b, _ := hex.DecodeString(e.Str("short_message_hex"))
			seen[string(b)]++
			textOf[key] = string(b)
		case "submit_resp":
			if e.Int("status") == 0 {
				acked[textOf[key]]++
				idOf[textOf[key]] = e.Str("message_id")
			}
		}
	}
	return
}

func TestPeerWindowTenThousand(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			p := peerSMSC(t, impl, "--dlr-delay", "-1")
			c := peerClient(t, p, client.Config{Session: session.Config{Window: 100}})
			const n = 10000
			ids, errs := submitAll(t, c, n, "w")
			for i, err := range errs {
				if err != nil {
					t.Fatalf("submit %d: %v", i, err)
				}
			}
			p.WaitEvents(t, "submit_resp", n)
			seen, acked, idOf := peerSubmits(p)
			for i := range n {
				k := fmt.Sprintf("w-%d", i)
				if seen[k] != 1 || acked[k] != 1 || idOf[k] != ids[i] {
					t.Fatalf("%s: seen %d acked %d id %q/%q", k, seen[k], acked[k], idOf[k], ids[i])
				}
			}
		})
	}
}

func TestPeerReceipts(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			p := peerSMSC(t, impl, "--dlr-delay", "20", "--id-format", "dec")
			got := make(chan *pdu.Receipt, 10)
			c := peerClient(t, p, client.Config{RegisteredDelivery: 1, Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
				if d.IsReceipt() && d.ReceiptErr == nil {
					got <- d.Receipt.Clone()
				}
				return nil
			})})
			ids, err := c.SendText(testCtx(t), "MyBrand", "+254700000001", "Your code is 123456")
			if err != nil {
				t.Fatal(err)
			}
			r := <-got
			if !pdu.MessageIDEqual(r.ID, ids[0]) || r.State != pdu.StateDelivered {
				t.Fatalf("receipt %+v for %v", r, ids)
			}
			p.WaitEvent(t, "deliver_sm_resp", func(e peers.Event) bool { return e.Int("status") == 0 })
		})
	}
}

func TestPeerDropMidLoad(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			p := peerSMSC(t, impl, "--dlr-delay", "-1", "--drop-after", "700", "--drop-count", "3")
			c := peerClient(t, p, client.Config{Session: session.Config{Window: 100}})
			const n = 4000
			ids, errs := submitAll(t, c, n, "d")
			ok := 0
			for i, err := range errs {
				var le *client.LostError
				if err == nil {
					ok++
				} else if !errors.As(err, &le) || !le.Sent {
					t.Fatalf("submit %d: %v", i, err)
				}
			}
			// The peer prints its events asynchronously: wait for all answers.
			want := map[string]bool{}
			for i, err := range errs {
				if err == nil {
					want[ids[i]] = true
				}
			}
			p.Await(0, func(evs []peers.Event) bool {
				n := 0
				for _, e := range peers.Filter(evs, "submit_resp") {
					if want[e.Str("message_id")] {
						n++
					}
				}
				return n >= len(want)
			})
			if drops := len(peers.Filter(p.Events(), "drop")); drops == 0 {
				t.Fatal("the peer never dropped")
			}
			if b := len(peers.Filter(p.Events(), "bound")); b < 2 {
				t.Fatalf("%d binds", b)
			}
			seen, acked, idOf := peerSubmits(p)
			for i := range n {
				k := fmt.Sprintf("d-%d", i)
				if seen[k] > 1 {
					t.Fatalf("%s sent %d times", k, seen[k])
				}
				if errs[i] == nil && (acked[k] != 1 || idOf[k] != ids[i]) {
					for _, e := range p.Events() {
						if e.Str("message_id") == ids[i] || e.Str("text") == k {
							t.Log(e)
						}
					}
					t.Fatalf("%s acknowledged to us as %s; peer acked %d as %s", k, ids[i], acked[k], idOf[k])
				}
			}
			t.Logf("%d of %d ok, the rest maybe sent", ok, n)
		})
	}
}

func TestPeerThrottle(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			p := peerSMSC(t, impl, "--dlr-delay", "-1", "--throttle-every", "3")
			c := peerClient(t, p, client.Config{RetryThrottled: true, MaxRetries: 100, ThrottleBackoff: time.Millisecond, MinRate: 500})
			const n = 300
			_, errs := submitAll(t, c, n, "t")
			for i, err := range errs {
				if err != nil {
					t.Fatalf("submit %d: %v", i, err)
				}
			}
			if st := c.Stats()[0]; st.Throttled == 0 || st.RateCuts == 0 {
				t.Fatalf("no slow-down: %+v", st)
			}
			// The peer prints its events asynchronously: wait for every answer.
			p.Await(0, func(evs []peers.Event) bool {
				ok := 0
				for _, e := range peers.Filter(evs, "submit_resp") {
					if e.Int("status") == 0 {
						ok++
					}
				}
				return ok >= n
			})
			_, acked, _ := peerSubmits(p)
			for i := range n {
				if k := fmt.Sprintf("t-%d", i); acked[k] != 1 {
					t.Fatalf("%s accepted %d times", k, acked[k])
				}
			}
		})
	}
}

func TestPeerFailover(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl, func(t *testing.T) {
			down := smpptest.NewServer(t, smpptest.Options{})
			downAddr := down.Addr
			down.Close()
			p := peerSMSC(t, impl, "--dlr-delay", "-1")
			c := dial(t, downAddr, client.Config{Logger: quiet, Endpoints: []client.Endpoint{{Addr: p.Addr()}}})
			_, errs := submitAll(t, c, 100, "f")
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestPeerLongMessage(t *testing.T) {
	for _, impl := range impls {
		for _, split := range []client.Split{client.SplitUDH8, client.SplitSAR} {
			t.Run(fmt.Sprint(impl, "/", split), func(t *testing.T) {
				p := peerSMSC(t, impl, "--dlr-delay", "-1")
				c := peerClient(t, p, client.Config{Split: split})
				text := longText()
				ids, err := c.SendText(testCtx(t), "+254700000002", "+254700000001", text)
				if err != nil {
					t.Fatal(err)
				}
				if want := segmentsUCS2(text); split == client.SplitUDH8 && len(ids) != want {
					t.Fatalf("%d segments, want %d", len(ids), want)
				}
				evs := p.WaitEvents(t, "submit_sm", len(ids))
				r := udh.NewReassembler(udh.Config{})
				var out []string
				for _, e := range evs {
					sm, _ := hex.DecodeString(e.Str("short_message_hex"))
					if len(sm) > 140 {
						t.Fatalf("segment of %d octets", len(sm))
					}
					part := udh.Part{Source: e.Str("source_addr"), Dest: e.Str("destination_addr"), UDHI: e.Int("esm_class")&0x40 != 0,
						DataCoding: byte(e.Int("data_coding")), ShortMessage: sm}
					if e.Has("sar_msg_ref_num") {
						part.TLVs.SetSAR(tlvSAR(e))
					}
					m, done, err := r.Add(part, time.Now())
					if err != nil {
						t.Fatal(err)
					}
					if done {
						s, _ := m.Text()
						out = append(out, s)
					}
				}
				if len(out) != 1 || out[0] != text {
					t.Fatalf("peer got %d messages; text equal: %v (%d runes)", len(out), len(out) == 1 && out[0] == text, utf8.RuneCountInString(text))
				}
			})
		}
	}
}

func TestPeerTLS(t *testing.T) {
	peers.Require(t, peers.Node)
	cert, pool, err := smpptest.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)
	p := peers.StartSMSC(t, peers.Node, "--system-id", "esme", "--password", "secret", "--tls", "--cert", certFile, "--key", keyFile, "--dlr-delay", "-1")
	c := peerClient(t, p, client.Config{TLS: &tls.Config{RootCAs: pool}})
	_, errs := submitAll(t, c, 1000, "tls")
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func tlvSAR(e peers.Event) tlv.SAR {
	return tlv.SAR{Ref: uint16(e.Int("sar_msg_ref_num")), Total: uint8(e.Int("sar_total_segments")), Seq: uint8(e.Int("sar_segment_seqnum"))}
}
