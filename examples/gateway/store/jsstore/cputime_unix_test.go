//go:build unix

package jsstore_test

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time the process (the servers in
// it included) has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}
