package cli_test

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the kernel kill a child process (a shop, a Redis) when
// the test process dies, so a test killed by a timeout leaves nothing running.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
