//go:build unix && !linux

package redis_test

import "os/exec"

// setHelperProcAttr: no parent-death signal outside Linux; the tests'
// cleanups kill their helpers.
func setHelperProcAttr(*exec.Cmd) {}
