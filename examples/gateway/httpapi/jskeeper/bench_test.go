package jskeeper_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
	"github.com/esmsafrica/smpp/examples/gateway/httpapi/jskeeper"
	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
)

// BenchmarkMemory measures the server's heap and disk per million entries
// live: 100,000 answers (a send's answer, about 100 bytes) and as many
// references, the server in this process (go test -bench Memory
// -benchtime=1x -run '^$').
func BenchmarkMemory(b *testing.B) {
	const n = 100_000
	nc := natstest.Connect(b, natstest.Server(b))
	ctx := context.Background()
	k, err := jskeeper.Open(ctx, jskeeper.Options{Conn: nc, Bucket: "mem_http"})
	if err != nil {
		b.Fatal(err)
	}
	before := natstest.Heap()
	later := time.Now().Add(time.Hour)
	for b.Loop() {
		natstest.Fill(b, n, func(i int64) error {
			id := fmt.Sprintf("%016x", i)
			a := &httpapi.Answer{BodyHash: sha256.Sum256([]byte(id)), Status: 201, Expires: later,
				Body: []byte(`{"messages":[{"to":"+254700000001","ids":["` + id + `"]}],"segments":1,"encoding":"gsm7"}`)}
			if err := k.Put(ctx, "acct", "key-"+id, a); err != nil {
				return err
			}
			return k.PutReference(ctx, []string{id}, "order-"+id, later)
		})
	}
	f := natstest.Measure(b, nc, before, "KV_mem_http")
	perM := float64(f.Msgs) / 1e6
	b.ReportMetric(float64(f.Cold)/perM/(1<<20), "MB-heap/1M-entries")
	b.ReportMetric(float64(f.Hot)/perM/(1<<20), "MB-heap-hot/1M-entries")
	b.ReportMetric(float64(f.Bytes)/perM/(1<<20), "MB-disk/1M-entries")
}
