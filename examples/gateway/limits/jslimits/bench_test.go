package jslimits_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/limits"
	"github.com/esmsafrica/smpp/examples/gateway/limits/jslimits"
)

// BenchmarkBind measures a bind and its release, counted over the nodes,
// on one server (R1) and on three (R3); and Allow, which is the local
// share's.
//
//	cd examples && go test -run='^$' -bench=. ./gateway/limits/jslimits/
func BenchmarkBind(b *testing.B) {
	for _, replicas := range []int{1, 3} {
		b.Run(fmt.Sprintf("R%d", replicas), func(b *testing.B) {
			var nc *nats.Conn
			if replicas == 1 {
				nc = natstest.Connect(b, natstest.Server(b))
			} else {
				nc = natstest.Connect(b, natstest.Cluster(b, 3)[0])
			}
			l := open(b, nc, jslimits.Options{Replicas: replicas})
			l.Set("a", limits.Limit{MaxBinds: 1 << 20})
			ctx := context.Background()
			for b.Loop() {
				release, err := l.Bind(ctx, "a")
				if err != nil {
					b.Fatal(err)
				}
				release()
			}
		})
	}
}

// BenchmarkAllow measures Allow on an account with a rate.
func BenchmarkAllow(b *testing.B) {
	l := open(b, natstest.Connect(b, natstest.Server(b)), jslimits.Options{})
	l.Set("a", limits.Limit{Rate: 1e9, Burst: 1e6})
	b.ReportAllocs()
	for b.Loop() {
		l.Allow("a")
	}
}
