package cli_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBrowser drives the real storefront in Debian's Chromium through
// playwright-core (e2e/storefront.mjs): search, filters, sort, the variant
// picker with and without JavaScript, keyboard access and a phone screen.
// scripts/e2e-setup.sh installs Chromium and the npm package; without them
// the test skips, unless CI or OCEAN_REQUIRE_SERVICES is set.
func TestBrowser(t *testing.T) {
	t.Parallel() // its own shop: runs beside the other parallel tests, not ahead of all of them
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

// TestBrowserAccounts drives the account and admin pages in Chromium over
// HTTPS (e2e/accounts.mjs): registration with a refused common password,
// the address book, sign-out and sign-in with a new session id, keyboard
// use, and the owner reading the security log and the dev mailbox.
func TestBrowserAccounts(t *testing.T) {
	t.Parallel() // its own shop: runs beside the other parallel tests, not ahead of all of them
	e2e, _ := filepath.Abs("../../e2e")
	node, err := exec.LookPath("node")
	if err != nil || !exists("/usr/bin/chromium") && os.Getenv("CHROMIUM") == "" || !exists(filepath.Join(e2e, "node_modules", "playwright-core")) {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("node, Chromium or playwright-core is missing: run scripts/e2e-setup.sh (make test does)")
		}
		t.Skip("browser tests skipped: node, Chromium or playwright-core is missing (scripts/e2e-setup.sh installs them)")
	}
	const adminEmail, adminPassword = "owner@example.com", "owner passphrase for tests"
	s := start(t, map[string]string{"OCEAN_ADMIN_EMAIL": adminEmail, "OCEAN_ADMIN_PASSWORD": adminPassword, "OCEAN_SEED_DEMO": "false"})
	// The certificate is for localhost: use that name, not the bare address.
	base := strings.Replace(s.https, "127.0.0.1", "localhost", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "accounts.mjs", base, adminEmail, adminPassword)
	cmd.Dir = e2e
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}
}

// TestBrowserCheckout drives buying in Chromium over HTTPS against the
// embedded default shop with the demo catalog (e2e/checkout.mjs): a guest
// searches, adds to the cart, checks out through the sandbox gateway's
// hosted card page and sees the confirmation; a declined card keeps the
// cart; and the cart and checkout work from the keyboard on a phone.
func TestBrowserCheckout(t *testing.T) {
	t.Parallel() // its own shop: runs beside the other parallel tests, not ahead of all of them
	e2e, _ := filepath.Abs("../../e2e")
	node, err := exec.LookPath("node")
	if err != nil || !exists("/usr/bin/chromium") && os.Getenv("CHROMIUM") == "" || !exists(filepath.Join(e2e, "node_modules", "playwright-core")) {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("node, Chromium or playwright-core is missing: run scripts/e2e-setup.sh (make test does)")
		}
		t.Skip("browser tests skipped: node, Chromium or playwright-core is missing (scripts/e2e-setup.sh installs them)")
	}
	s := start(t, map[string]string{"OCEAN_ADMIN_EMAIL": "owner@example.com", "OCEAN_ADMIN_PASSWORD": "owner passphrase for tests"})
	// The certificate is for localhost: use that name, not the bare address.
	base := strings.Replace(s.https, "127.0.0.1", "localhost", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "checkout.mjs", base)
	cmd.Dir = e2e
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}
}
