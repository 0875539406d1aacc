//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package bootstrap

// isTerminal is false where we cannot tell: a secret then goes to a 0600
// file rather than to a stream that may be a log.
func isTerminal(uintptr) bool { return false }
