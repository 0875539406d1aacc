package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/web"
)

// TestBrowserOffline drives the offline journey in Debian's Chromium
// through playwright-core (e2e/offline.mjs), on a 390x844 phone and a
// 1280x800 desktop: the service worker installs,
// viewed pages open offline with the banner, an unkept page shows the
// offline page with what was viewed and the cart as last seen, an add to
// cart made offline is sent when back online and lands in the cart, and
// a new deploy's worker takes over and deletes the old caches.
//
// The storefront runs in-process on a real listener, over plain HTTP on
// localhost (a secure context, so service workers and the __Host- cookies
// work). Responses carry their sequence number in Test-Response; POST
// /__test/deploy swaps in a storefront built as the next
// release, as a deploy would. scripts/e2e-setup.sh installs Chromium and
// playwright-core; without them the test skips, unless CI or
// OCEAN_REQUIRE_SERVICES is set.
func TestBrowserOffline(t *testing.T) {
	e2e, _ := filepath.Abs("../../e2e")
	node, err := exec.LookPath("node")
	if err != nil || !fileExists("/usr/bin/chromium") && os.Getenv("CHROMIUM") == "" || !fileExists(filepath.Join(e2e, "node_modules", "playwright-core")) {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("node, Chromium or playwright-core is missing: run scripts/e2e-setup.sh (make test does)")
		}
		t.Skip("browser tests skipped: node, Chromium or playwright-core is missing (scripts/e2e-setup.sh installs them)")
	}
	// A fresh shop for each screen: the journey changes stock, carts and
	// the release.
	for _, size := range []string{"phone", "desktop"} {
		t.Run(size, func(t *testing.T) { browserOffline(t, node, e2e, size) })
	}
}

func browserOffline(t *testing.T, node, e2e, size string) {
	shop, cfg := newBuyParts(t)
	build := func(release string) http.Handler {
		c := cfg
		c.Release = release
		w, err := web.New(c)
		if err != nil {
			t.Fatal(err)
		}
		return shop.handler(w)
	}
	var current atomic.Pointer[http.Handler]
	first, next := build("1.0.0"), build("1.0.1")
	current.Store(&first)
	// Every response is numbered (Test-Response), so the journey can tell
	// a kept copy from a fresh one.
	var served atomic.Int64
	root := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/__test/deploy" && r.Method == http.MethodPost {
			current.Store(&next)
			rw.WriteHeader(http.StatusNoContent)
			return
		}
		rw.Header().Set("Test-Response", strconv.FormatInt(served.Add(1), 10))
		(*current.Load()).ServeHTTP(rw, r)
	})
	srv := httptest.NewServer(root)
	t.Cleanup(srv.Close)
	base := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "offline.mjs", base, size)
	cmd.Dir = e2e
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
