package cli

import "github.com/oceanshop/ocean/internal/buildinfo"

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

// versionLine is `ocean version` (internal/buildinfo).
func versionLine() string { return buildinfo.Line(Version, Commit, BuildDate) }
