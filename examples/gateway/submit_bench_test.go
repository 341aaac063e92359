//go:build unix

package main

// BenchmarkSubmitPath times the ESME side of a submission alone: a raw
// plaintext ESME keeps 1000 submit_sm in flight to the gateway (Pebble
// store in a temporary folder, an unlimited account), which reads, checks,
// stores and answers each; its only upstream refuses connections, so no
// message goes further and no receipt comes back. It reports the CPU time
// of the whole process per message (cpu-us/msg) besides ns/op and
// allocs/op, which are of the whole process too (the ESME's share is a
// frame read per message).
//
//	cd examples && go test -run='^$' -bench=SubmitPath -benchtime=50000x ./gateway/

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/examples/gateway/internal/cputime"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

func BenchmarkSubmitPath(b *testing.B) {
	bannerOut = io.Discard
	cfg := defaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.PlaintextListen = "127.0.0.1:0"
	cfg.HTTPListen = ""
	cfg.DataDir = b.TempDir()
	cfg.Window = 1000
	cfg.Accounts = []AccountConfig{{SystemID: "bench", Password: "benchpw", Unlimited: true}}
	cfg.MORoutes = []MORouteConfig{{Prefix: "", Account: "bench"}}
	cfg.Upstreams = append(cfg.Upstreams, UpstreamConfig{Name: "dead", Addrs: []string{freePort(b)}, SystemID: "x", Password: "x"})
	cfg.Routes = []RouteConfig{{Prefix: "", Upstreams: []string{"dead"}}}
	if err := cfg.validate(); err != nil {
		b.Fatal(err)
	}
	a, err := start(cfg, quietLogger(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.shutdown(ctx)
	}()

	nc, err := net.Dial("tcp", a.PlainAddr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	rd := codec.NewReader(nc, 0)
	bind, _ := pdu.AppendPDU(nil, 1, 0, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "bench", Password: "benchpw", InterfaceVersion: 0x34})
	if _, err := nc.Write(bind); err != nil {
		b.Fatal(err)
	}
	if f, err := rd.Read(); err != nil || f.Status != pdu.ESME_ROK {
		b.Fatalf("bind: %v %v", f.Header, err)
	}

	// A typical submission: alphanumeric sender, a receipt asked for, a
	// user_message_reference.
	sm := &pdu.SubmitSM{ServiceType: "CMT", SourceAddrTON: 5, SourceAddr: "MyBrand", DestAddrTON: 1, DestAddrNPI: 1,
		DestinationAddr: "254700000001", RegisteredDelivery: 1,
		ShortMessage: []byte("Your code is 123456. It expires in ten minutes; do not share it."),
		TLVs:         tlv.List{{Tag: tlv.UserMessageReference, Value: []byte{0, 7}}}}
	frame, err := pdu.AppendPDU(nil, 0, 0, sm)
	if err != nil {
		b.Fatal(err)
	}

	const window = 1000
	slots := make(chan struct{}, window)
	werr := make(chan error, 1)
	b.ReportAllocs()
	cpu0 := cputime.Process()
	b.ResetTimer()
	go func() {
		// Frames go out in batches: as many as the window has room for.
		buf := make([]byte, 0, 64*len(frame))
		for i := 0; i < b.N; {
			slots <- struct{}{}
			buf = buf[:0]
			for n := 0; i < b.N && n < 64; n++ {
				if n > 0 {
					select {
					case slots <- struct{}{}:
					default:
						n = 64 // the window is full: send what there is
						continue
					}
				}
				i++
				buf = append(buf, frame...)
				binary.BigEndian.PutUint32(buf[len(buf)-len(frame)+12:], uint32(i+1))
			}
			if _, err := nc.Write(buf); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	for range b.N {
		f, err := rd.Read()
		if err != nil {
			b.Fatal(err)
		}
		if f.ID != pdu.SubmitSMRespID || f.Status != pdu.ESME_ROK {
			b.Fatalf("got %s %s", f.ID, f.Status)
		}
		<-slots
	}
	b.StopTimer()
	if err := <-werr; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(cputime.Process()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-us/msg")
}
