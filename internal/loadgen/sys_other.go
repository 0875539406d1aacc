//go:build !unix

package loadgen

func fdLimit() uint64 { return 0 }

// RaiseFDLimit does nothing where there is no RLIMIT_NOFILE.
func RaiseFDLimit(uint64) uint64 { return 0 }

func cpuSeconds() float64 { return 0 }
