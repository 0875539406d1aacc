//go:build unix

package loadgen

import "syscall"

// fdLimit is this process's open-file limit (soft).
func fdLimit() uint64 {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	return l.Cur
}

// RaiseFDLimit lifts the soft open-file limit toward want (at most the
// hard limit): every session's keep-alive connection is a descriptor.
func RaiseFDLimit(want uint64) uint64 {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	if l.Cur < want {
		l.Cur = min(want, l.Max)
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l) // best effort; the report shows the limit in force
	}
	return fdLimit()
}

// cpuSeconds is the CPU time (user + system) this process used so far.
func cpuSeconds() float64 {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return float64(u.Utime.Nano()+u.Stime.Nano()) / 1e9
}
