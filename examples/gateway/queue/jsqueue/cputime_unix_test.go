//go:build unix

package jsqueue_test

import (
	"syscall"
	"time"
)

// processCPU returns the user and system CPU time the process has used
// (the servers' included: they run in the test process).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}
