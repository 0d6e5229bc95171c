//go:build linux

package awstest

import (
	"syscall"
)

// sysProcAttr makes the kernel kill moto_server if the test binary dies
// without running its deferred clean-up (a panic, os.Exit, a kill).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
