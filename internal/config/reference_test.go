package config

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md from Settings")

// TestReference: docs/configuration.md is what Reference generates from
// the settings the code knows.
func TestReference(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "configuration.md")
	if *update {
		if err := os.WriteFile(path, []byte(Reference()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != Reference() {
		t.Fatal("docs/configuration.md is out of date with internal/config's Settings: run go test ./internal/config -run TestReference -update")
	}
}

// notSettings are OCEAN_ variables the docs may name that are not shop
// settings: the test harness's and the service scripts', and those of the
// `ocean mcp` client configuration (docs/mcp.md), which an MCP client
// passes to the command rather than the shop reading them at start.
var notSettings = regexp.MustCompile(`^OCEAN_(TEST_.*|MCP_(USER|TOKEN)|REQUIRE_SERVICES|SERVICES_DIR|.*_PORTS?|SENTINEL_DIR|LOCK_HELPER|BIN|NGINX_.*|DRILL_.*|BENCH_.*|BLUE_.*|GREEN_.*|UPGRADE_.*)$`)

// TestDocsMatchSettings: README's settings table names every setting, and
// README, docs/ and the example environment files name no OCEAN_ variable
// the code does not know (a renamed or removed setting left in the docs).
func TestDocsMatchSettings(t *testing.T) {
	known := map[string]bool{}
	for _, s := range Settings {
		known[s.Env] = true
		if FileSettings[s.Env] {
			known[s.Env+"_FILE"] = true
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings {
		// The table groups related settings in one row: OCEAN_RATE_LIMIT_API, _SIGNIN…
		short := "_" + s.Env[strings.LastIndex(s.Env, "_")+1:]
		if !strings.Contains(string(readme), "`"+s.Env+"`") && !strings.Contains(string(readme), s.Env) && !strings.Contains(string(readme), "`"+short+"`") {
			t.Errorf("README.md does not document %s", s.Env)
		}
	}
	files := []string{filepath.Join("..", "..", "README.md")}
	for _, glob := range []string{"docs/*.md", "docs/*/*.md", "deploy/env/*.env", "deploy/*/*.yaml", "deploy/*/*.service"} {
		m, _ := filepath.Glob(filepath.Join("..", "..", glob))
		files = append(files, m...)
	}
	name := regexp.MustCompile(`OCEAN_[A-Z0-9_]*[A-Z0-9]`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var unknown []string
		for _, n := range name.FindAllString(string(b), -1) {
			if !known[n] && !notSettings.MatchString(n) && !prefixOfKnown(n, known) {
				unknown = append(unknown, n)
			}
		}
		sort.Strings(unknown)
		if len(unknown) > 0 {
			t.Errorf("%s names variables the code does not know: %v", f, unknown)
		}
	}
}

// prefixOfKnown accepts a family name like OCEAN_RATE_LIMIT (for
// OCEAN_RATE_LIMIT_API, _SIGNIN…).
func prefixOfKnown(n string, known map[string]bool) bool {
	for k := range known {
		if strings.HasPrefix(k, n+"_") {
			return true
		}
	}
	return false
}

// TestUsage: `ocean help` shows every setting with its variable, flag and
// default (an empty default as ""), and says how secrets come from files.
func TestUsage(t *testing.T) {
	var b strings.Builder
	Usage(&b)
	out := b.String()
	for _, s := range Settings {
		def := s.Default
		if def == "" {
			def = `""`
		}
		if !strings.Contains(out, "  "+s.Env+", --"+s.Flag+" (default "+def+")\n      "+s.Help+"\n") {
			t.Errorf("help does not show %s as documented", s.Env)
		}
	}
	if !strings.Contains(out, "OCEAN_<NAME>_FILE=/path") || !strings.HasSuffix(out, "https://localhost:8443.\n") {
		t.Errorf("help's closing notes missing:\n%s", out)
	}
}
