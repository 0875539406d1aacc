package cli_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
	"github.com/oceanshop/ocean/internal/redis/redistest"
)

// TestFleetSeesWritesAtOnce: two instances of one shop on one PostgreSQL
// and one Redis, each with its cache warm. A product renamed through one is
// renamed on the other within a second, not when its cache happens to fill
// up: the write's invalidation travels through Redis, and the pages the
// other keeps rendered follow it.
func TestFleetSeesWritesAtOnce(t *testing.T) {
	t.Parallel()
	dbURL, redisURL := pgtest.URL(t), redistest.URL(t)
	keys := fleetKeys(t)
	env := map[string]string{"OCEAN_DATABASE_URL": dbURL, "OCEAN_REDIS_URL": redisURL, "OCEAN_SEED_DEMO": "true", "OCEAN_DATA_DIR": t.TempDir(),
		"OCEAN_ENCRYPTION_KEY": keys["OCEAN_ENCRYPTION_KEY"], "OCEAN_TOKEN_KEYS": keys["OCEAN_TOKEN_KEYS"]}
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	// Instance A: an App in process, whose catalog service the admin uses.
	a, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// Instance B: the real `ocean serve`, configured only by environment.
	b := start(t, map[string]string{"OCEAN_DATABASE_URL": dbURL, "OCEAN_REDIS_URL": redisURL, "OCEAN_HTTPS_ADDR": "off",
		"OCEAN_ENCRYPTION_KEY": keys["OCEAN_ENCRYPTION_KEY"], "OCEAN_TOKEN_KEYS": keys["OCEAN_TOKEN_KEYS"]})
	for wait := time.Now().Add(30 * time.Second); !strings.Contains(b.log.String(), "catalog cache live"); {
		if time.Now().After(wait) {
			t.Fatalf("instance B does not say its catalog cache hears the fleet through Redis:\n%s", b.log)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if res, body := b.get(t, "/readyz"); res.StatusCode != 200 {
		t.Fatalf("instance B /readyz = %d %s", res.StatusCode, body)
	}

	page, err := a.Catalog.Search(context.Background(), mustQuery(t, "sort=newest&limit=1"))
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("search on A: %v", err)
	}
	slug := page.Items[0].Slug
	// The API's pages, and the storefront's pages B keeps rendered (the
	// product, a search, the home page's "New in"): kept only while B's
	// catalog cache gives what they were rendered from.
	paths := []string{"/api/v1/products?sort=newest&limit=1", "/api/v1/products/" + slug, "/p/" + slug, "/search?sort=newest", "/"}
	for _, p := range paths { // warm B's caches
		for range 2 {
			if res, body := b.get(t, p); res.StatusCode != 200 {
				t.Fatalf("B %s = %d %s", p, res.StatusCode, body)
			}
		}
	}

	name := "Quokka-proof rain shell"
	p, err := a.Catalog.Product(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Catalog.UpdateProduct(context.Background(), p.ID, catalog.ProductUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for _, path := range paths {
		for {
			_, body := b.get(t, path)
			if strings.Contains(string(body), name) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance B still serves the old product a second after the rename on A: %s: %.300s", path, body)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// fleetKeys runs `ocean keys generate` and returns the settings it prints.
func fleetKeys(t *testing.T) map[string]string { return fleetKeysTB(t) }

func fleetKeysTB(t testing.TB) map[string]string {
	t.Helper()
	var out strings.Builder
	if code := cli.Run(context.Background(), []string{"keys", "generate"}, func(string) string { return "" }, &out, io.Discard); code != 0 {
		t.Fatalf("keys generate: exit %d", code)
	}
	keys := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, _ := strings.Cut(line, "=")
		keys[k] = v
	}
	if keys["OCEAN_ENCRYPTION_KEY"] == "" || keys["OCEAN_TOKEN_KEYS"] == "" {
		t.Fatalf("keys generate printed %q", out.String())
	}
	return keys
}

// TestFleetNeedsSharedKeys: with Redis (several instances) the keys must
// come from configuration; two instances with the same keys and database
// accept each other's tokens and read each other's encrypted fields, and an
// instance with keys of its own does not.
func TestFleetNeedsSharedKeys(t *testing.T) {
	t.Parallel()
	code, _, stderr := run(t, map[string]string{"OCEAN_REDIS_URL": "redis://127.0.0.1:6379/0"}, "serve")
	if code != 2 || !strings.Contains(stderr, "OCEAN_ENCRYPTION_KEY and OCEAN_TOKEN_KEYS") {
		t.Fatalf("a fleet instance without shared keys started: %d %s", code, stderr)
	}
	keys := fleetKeys(t)
	dbURL := pgtest.URL(t)
	shared := map[string]string{"OCEAN_DATABASE_URL": dbURL, "OCEAN_ENCRYPTION_KEY": keys["OCEAN_ENCRYPTION_KEY"], "OCEAN_TOKEN_KEYS": keys["OCEAN_TOKEN_KEYS"]}
	a, b := newAPIShop(t, shared), newAPIShop(t, shared) // separate data dirs
	tk := a.register("fleet@example.com")
	a.call("POST", "/api/v1/me/addresses", tk.AccessToken, map[string]any{"name": "F", "line1": "9 Shared Road", "city": "Cape Town", "postal_code": "8001", "country": "ZA", "phone": "+27 21 555 0100"}, 201, nil)
	var addrs struct {
		Items []struct{ Line1 string } `json:"items"`
	}
	b.call("GET", "/api/v1/me/addresses", tk.AccessToken, nil, 200, &addrs)
	if len(addrs.Items) != 1 || addrs.Items[0].Line1 != "9 Shared Road" {
		t.Fatalf("instance B reads %+v", addrs.Items)
	}
	loner := newAPIShop(t, map[string]string{"OCEAN_DATABASE_URL": dbURL}) // keys from its own data dir
	loner.call("GET", "/api/v1/me", tk.AccessToken, nil, 401, nil)
}
