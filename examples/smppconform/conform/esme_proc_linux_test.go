//go:build interop && linux

package conform

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the peer process get SIGKILL when the test binary
// exits, also when it is killed (a timeout), so that no peer outlives it.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
