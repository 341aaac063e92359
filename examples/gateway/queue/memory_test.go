package queue_test

import (
	"testing"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/queue/queuetest"
)

func TestMemoryConformance(t *testing.T) {
	queuetest.Run(t, queuetest.Harness{
		Open: func(t *testing.T, cfg queuetest.Config) (queue.Queue, func() queue.Queue) {
			return queue.NewMemory(queue.Options{Lease: cfg.Lease, MaxLen: cfg.MaxLen}), nil
		},
		StrictLeases: true,
		Bubble:       true,
	})
}
