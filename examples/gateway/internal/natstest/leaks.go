package natstest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs a package's tests and exits, failing the run if they leave
// goroutines of a module behind (the package's, the NATS servers', the
// connections'): all end with the tests that started them. The runtime's
// own (signals, the fuzzer's) do not count. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	deadline := time.Now().Add(10 * time.Second)
	for code == 0 {
		left := leftover()
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "goroutine leak: %d left\n%s\n", len(left), strings.Join(left, "\n\n"))
			code = 1
		}
		time.Sleep(10 * time.Millisecond)
	}
	os.Exit(code)
}

// leftover returns the stacks of the goroutines running code of a module,
// but for Main's.
func leftover() []string {
	buf := make([]byte, 1<<20)
	var left []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "github.com/") && !strings.Contains(g, "natstest.Main(") && !strings.Contains(g, ".TestMain(") {
			left = append(left, g)
		}
	}
	return left
}
