package cli

import (
	"net/http"

	"github.com/oceanshop/ocean/internal/upgrade"
)

// brokenAfter makes a deliberately broken build for the release drills
// (upgrade.ReleaseHandler): set only at link time
// (-ldflags "-X github.com/oceanshop/ocean/internal/cli.brokenAfter=3s"),
// never by configuration.
var brokenAfter string

// releaseHandler wraps the shop's handler with what releases need
// (upgrade.ReleaseHandler).
func (a *App) releaseHandler(h http.Handler) http.Handler {
	return upgrade.ReleaseHandler(h, a.readiness.Draining, brokenAfter)
}
