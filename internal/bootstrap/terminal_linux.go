package bootstrap

import "golang.org/x/sys/unix"

// isTerminal reports whether fd is a terminal (not a file, pipe or
// /dev/null, which stat as character devices too).
func isTerminal(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	return err == nil
}
