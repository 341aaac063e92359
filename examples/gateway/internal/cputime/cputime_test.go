package cputime

import (
	"runtime"
	"testing"
)

// TestProcessGrows: busy work shows as CPU time (where it is read).
func TestProcessGrows(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		if Process() != 0 {
			t.Fatal("Process is not 0 where it is not read")
		}
		return
	}
	// Each call is a system call: calling it until the time grows is the
	// busy work.
	before := Process()
	for i := 0; Process() <= before && i < 1e8; i++ {
	}
	if Process() <= before {
		t.Fatalf("CPU time %v after busy work, was %v", Process(), before)
	}
}
