// Package ocean carries the project's documentation into the binary: the
// README and docs/ (guides, runbooks, decision records), which the MCP
// server serves as resources and from which it seeds the team's knowledge
// graph. The shop's code lives under internal/ and cmd/.
package ocean

import "embed"

// Docs holds README.md and every file under docs/.
//
//go:embed README.md docs
var Docs embed.FS
