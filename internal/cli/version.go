package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Commit and BuildDate are set at build time, like Version:
//
//	go build -ldflags "-X github.com/oceanshop/ocean/internal/cli.Version=1.4.0
//	  -X github.com/oceanshop/ocean/internal/cli.Commit=$(git rev-parse HEAD)
//	  -X github.com/oceanshop/ocean/internal/cli.BuildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ./cmd/ocean
//
// Without them, the commit and date come from the VCS information the Go
// toolchain records in the binary (debug.ReadBuildInfo).
var (
	Commit    = ""
	BuildDate = ""
)

// versionInfo returns the version, commit and build date of this binary.
func versionInfo() (version, commit, date string) {
	version, commit, date = Version, Commit, BuildDate
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
		if modified && Commit == "" && commit != "" {
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

func versionLine() string {
	v, c, d := versionInfo()
	return fmt.Sprintf("ocean %s (commit %s, built %s, %s %s/%s)", v, c, d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
