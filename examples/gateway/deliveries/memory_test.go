package deliveries_test

import (
	"testing"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/deliveries/deliveriestest"
)

func TestMemoryConformance(t *testing.T) {
	deliveriestest.Run(t, deliveriestest.Harness{
		Open: func(t *testing.T, cfg deliveriestest.Config) (deliveries.Queue, func() deliveries.Queue) {
			return deliveries.NewMemory(deliveries.Options{Lease: cfg.Lease}), nil
		},
		StrictLeases: true,
		Bubble:       true,
	})
}
