package jskeeper_test

import (
	"testing"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
)

// TestMain fails the run if the tests leave goroutines behind.
func TestMain(m *testing.M) { natstest.Main(m) }
