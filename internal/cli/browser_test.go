package cli_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestBrowser drives the real storefront in Debian's Chromium through
// playwright-core (e2e/storefront.mjs): search, filters, sort, the variant
// picker with and without JavaScript, keyboard access and a phone screen.
// scripts/e2e-setup.sh installs Chromium and the npm package; without them
// the test skips, unless CI or OCEAN_REQUIRE_SERVICES is set.
func TestBrowser(t *testing.T) {
	e2e, _ := filepath.Abs("../../e2e")
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node"
	case !exists("/usr/bin/chromium") && os.Getenv("CHROMIUM") == "":
		missing = "/usr/bin/chromium"
	case !exists(filepath.Join(e2e, "node_modules", "playwright-core")):
		missing = "e2e/node_modules/playwright-core"
	}
	if missing != "" {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatalf("%s is missing: run scripts/e2e-setup.sh (make test does)", missing)
		}
		t.Skipf("browser tests skipped: %s is missing (scripts/e2e-setup.sh installs it)", missing)
	}
	s := start(t, map[string]string{"OCEAN_HTTPS_ADDR": "off"})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "storefront.mjs", s.http)
	cmd.Dir = e2e
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
