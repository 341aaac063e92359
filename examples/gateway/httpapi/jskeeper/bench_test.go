package jskeeper_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

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
	k, err := jskeepOpen(ctx, nc)
	if err != nil {
		b.Fatal(err)
	}
	before := heap()
	later := time.Now().Add(time.Hour)
	for b.Loop() {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for i := next.Add(1); i <= n; i = next.Add(1) {
					id := fmt.Sprintf("%016x", i)
					a := &httpapi.Answer{BodyHash: sha256.Sum256([]byte(id)), Status: 201, Expires: later,
						Body: []byte(`{"messages":[{"to":"+254700000001","ids":["` + id + `"]}],"segments":1,"encoding":"gsm7"}`)}
					if err := k.Put(ctx, "acct", "key-"+id, a); err != nil {
						b.Error(err)
						return
					}
					if err := k.PutReference(ctx, []string{id}, "order-"+id, later); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	str, err := js.Stream(ctx, "KV_mem_http")
	if err != nil {
		b.Fatal(err)
	}
	st := str.CachedInfo().State
	b.Logf("%d entries, %d bytes on disk", st.Msgs, st.Bytes)
	hot := heap()
	time.Sleep(12 * time.Second) // the file store drops its block caches after 10 s idle
	cold := heap()
	b.Logf("heap: %d MB before, %d MB after writing, %d MB once idle", before>>20, hot>>20, cold>>20)
	perM := float64(st.Msgs) / 1e6
	b.ReportMetric(float64(cold-before)/perM/(1<<20), "MB-heap/1M-entries")
	b.ReportMetric(float64(hot-before)/perM/(1<<20), "MB-heap-hot/1M-entries")
	b.ReportMetric(float64(st.Bytes)/perM/(1<<20), "MB-disk/1M-entries")
}

func jskeepOpen(ctx context.Context, nc *nats.Conn) (*jskeeper.Keeper, error) {
	return jskeeper.Open(ctx, jskeeper.Options{Conn: nc, Bucket: "mem_http"})
}

// heap returns the heap in use after a collection.
func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
