// Package buildinfo says which build a binary is: version, commit and
// build date, from link-time values or the Go toolchain's VCS stamp.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Info returns the version, commit and build date of this binary: the
// values set at link time (version "dev" and empty ones when not), else
// what the Go toolchain recorded (debug.ReadBuildInfo), else "unknown".
func Info(linkVersion, linkCommit, linkDate string) (version, commit, date string) {
	version, commit, date = linkVersion, linkCommit, linkDate
	if bi, ok := debug.ReadBuildInfo(); ok {
		var modified bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.time":
				if date == "" {
					date = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		if modified && linkCommit == "" && commit != "" {
			commit += "-dirty"
		}
	}
	if commit == "" {
		commit = "unknown"
	}
	if date == "" {
		date = "unknown"
	}
	return version, commit, date
}

// Line is `ocean version`'s line for the link-time values.
func Line(linkVersion, linkCommit, linkDate string) string {
	v, c, d := Info(linkVersion, linkCommit, linkDate)
	return fmt.Sprintf("ocean %s (commit %s, built %s, %s %s/%s)", v, c, d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
