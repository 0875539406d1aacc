//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package bootstrap

import "golang.org/x/sys/unix"

// isTerminal reports whether fd is a terminal (not a file, pipe or
// /dev/null, which stat as character devices too).
func isTerminal(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TIOCGETA)
	return err == nil
}
