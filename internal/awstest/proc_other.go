//go:build !linux

package awstest

import "syscall"

// sysProcAttr has nothing to add outside Linux: there the server is
// stopped only by Main's deferred clean-up.
func sysProcAttr() *syscall.SysProcAttr { return nil }
