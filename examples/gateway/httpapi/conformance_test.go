package httpapi_test

import (
	"testing"

	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
	"github.com/esmsafrica/smpp/examples/gateway/httpapi/keepertest"
)

// TestConformance runs the Keeper and References suite against the
// backends of this package (the JetStream one runs it in jskeeper).
func TestConformance(t *testing.T) {
	t.Run("Memory", func(t *testing.T) {
		keepertest.Run(t, func(t *testing.T) keepertest.Backend { return &httpapi.Memory{} })
	})
	t.Run("Pebble", func(t *testing.T) {
		keepertest.Run(t, func(t *testing.T) keepertest.Backend {
			p, err := httpapi.OpenPebble(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			return p
		})
	})
}
