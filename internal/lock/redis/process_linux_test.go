package redis_test

import (
	"os/exec"
	"syscall"
)

// setHelperProcAttr makes the kernel kill a helper process when the test
// process dies (a go test timeout skips cleanups; a SIGSTOPped helper would
// otherwise linger).
func setHelperProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
