package cli_test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestConfigCommand: `ocean config check` is wired (its output and
// warnings are tested in internal/config), a bad setting exits 2 naming the
// variable, `config docs` prints the reference, anything else is a usage
// error.
func TestConfigCommand(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, map[string]string{"OCEAN_PUBLIC_URL": "http://shop.example.com", "OCEAN_RATE_LIMITS": "off"}, "config", "check")
	if code != 0 || !strings.Contains(out, "configuration is valid") || !strings.Contains(out, "warning: OCEAN_PUBLIC_URL is not https") {
		t.Fatalf("config check: %d %s", code, out)
	}
	code, _, errs := run(t, map[string]string{"OCEAN_BACKUP_KEEP": "none"}, "config", "check")
	if code != 2 || !strings.Contains(errs, "OCEAN_BACKUP_KEEP") {
		t.Fatalf("bad setting: exit %d %s", code, errs)
	}
	if code, out, _ := run(t, nil, "config", "docs"); code != 0 || !strings.Contains(out, "| `OCEAN_BACKUP_DIR`") {
		t.Fatalf("config docs: %d %s", code, out)
	}
	if code, _, errs := run(t, nil, "config", "frobnicate"); code != 1 || !strings.Contains(errs, "usage") {
		t.Fatalf("config frobnicate: %d %s", code, errs)
	}
}

// TestVersionFromLdflags: a release build's version, commit and date come
// from -ldflags -X; a plain build still names its commit (from the Go
// toolchain's VCS stamp) or says unknown.
func TestVersionFromLdflags(t *testing.T) {
	t.Parallel()
	bin := oceanBinary(t) // built with versionLdflags
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "ocean 1.2.3 (commit abc1234, built 2026-12-06T18:00:00Z, go") {
		t.Fatalf("version: %q %v", out, err)
	}
	code, out2, _ := run(t, nil, "version")
	if code != 0 || !regexp.MustCompile(`^ocean \S+ \(commit \S+, built \S+, go\S+ \w+/\w+\)\n$`).MatchString(out2) {
		t.Fatalf("version in tests: %q", out2)
	}
}
