package config

import (
	"fmt"
	"io"
	"strings"
)

// Reference renders docs/configuration.md from Settings: the page is
// generated, and a test fails when the file differs (regenerate it with
// `go test ./internal/config -run TestReference -update`, or
// `ocean config docs > docs/configuration.md`).
func Reference() string {
	var b strings.Builder
	b.WriteString(`# Configuration reference

<!-- Generated from internal/config (Settings) by ` + "`ocean config docs`" + `. Do not edit by hand:
     go test ./internal/config -run TestReference -update -->

Every setting is an environment variable and a flag (flags win). A bad
value stops the start with a message naming the variable. ` + "`ocean config check`" + `
validates a configuration without starting anything and shows where each
value came from (secrets hidden).

Settings marked *file* may instead be given as the content of a file, by
appending ` + "`_FILE`" + ` to the variable (` + "`OCEAN_STRIPE_KEY_FILE=/run/secrets/stripe-key`" + `):
the way Docker and Kubernetes mount secrets, so the value is never in the
environment or a process listing. The file's final line break is dropped;
setting both the variable and its ` + "`_FILE`" + ` is an error.

Examples per environment: [deploy/env/](../deploy/env/).

| variable | flag | default | |
|---|---|---|---|
`)
	for _, s := range Settings {
		def := "`" + s.Default + "`"
		if s.Default == "" {
			def = "(empty)"
		}
		notes := ""
		if FileSettings[s.Env] {
			notes += " *file*"
		}
		if secretSettings[s.Env] {
			notes += " *secret*"
		}
		fmt.Fprintf(&b, "| `%s`%s | `--%s` | %s | %s |\n", s.Env, notes, s.Flag, cell(def), cell(s.Help))
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Usage writes the settings part of `ocean help`: every setting with its
// variable, flag, default and help, then how settings are given.
func Usage(w io.Writer) {
	for _, s := range Settings {
		def := s.Default
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  %s, --%s (default %s)\n      %s\n", s.Env, s.Flag, def, s.Help)
	}
	fmt.Fprint(w, `
Flags override environment variables. Secret settings (passwords, keys,
URLs with credentials) may be read from a file: OCEAN_<NAME>_FILE=/path. With no settings, ocean serves a demo
shop from ./ocean-data at http://localhost:8080 and https://localhost:8443.
`)
}
