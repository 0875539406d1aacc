package cli_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
)

func newApp(t testing.TB) *cli.App {
	t.Helper()
	cfg, _, err := config.Load(nil, func(k string) string {
		return map[string]string{"OCEAN_DATA_DIR": seededDataDir(t)}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

// TestListPageQueries counts the SQL behind one product-list page: a cold
// page runs a bounded number of queries, a repeated one none at all, and a
// catalog write makes the next page fresh.
func TestListPageQueries(t *testing.T) {
	app := newApp(t)
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()
	get := func(path string) int64 {
		before := app.DB.Queries()
		// A returning visitor: a first visit's count is written (once a
		// second at most) by the visit counter, not by the page.
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("User-Agent", "query-count-test")
		req.AddCookie(&http.Cookie{Name: "__Host-ocean_visit", Value: "1"})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		return app.DB.Queries() - before
	}
	cold := get("/api/v1/products?q=cotton&sort=price_asc")
	t.Logf("cold product-list page: %d SQL queries", cold)
	if cold > 4 {
		t.Errorf("a cold product-list page ran %d queries; want at most 4 (tree, ids, cards, facets)", cold)
	}
	if warm := get("/api/v1/products?q=cotton&sort=price_asc"); warm != 0 {
		t.Errorf("a repeated product-list page ran %d queries; want 0 (cached)", warm)
	}
	next := get("/api/v1/products?q=cotton&sort=price_desc")
	t.Logf("same search, other sort: %d SQL queries", next)
	if next > 2 {
		t.Errorf("same search in another order ran %d queries; want at most 2 (ids, cards not cached yet)", next)
	}
	// 6 for the page, the product cards' photo snapshot, which every card
	// of every page shares and reads at most once a second, and the
	// footer's notices (settings, the home zone's methods, its tax rate),
	// which every page shares and reads at most once a second too.
	html := get("/")
	t.Logf("home page: %d SQL queries", html)
	if html > 10 {
		t.Errorf("home page ran %d queries; want at most 10", html)
	}
	// The same page again: the catalog is kept, so at most the two
	// once-a-second reads run again (the photo snapshot and the three
	// notices), on a machine slow enough for a second to have passed.
	again := get("/")
	t.Logf("home page again: %d SQL queries", again)
	if again > 4 {
		t.Errorf("a repeated home page ran %d queries; want at most 4 (0 within the second)", again)
	}
}

// TestWritesInvalidateCachedPages: after a product is renamed, the cached
// list, search and product pages show the new name at once.
func TestWritesInvalidateCachedPages(t *testing.T) {
	app := newApp(t)
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()
	ctx := context.Background()
	body := func(path string) string {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	page, err := app.Catalog.Search(ctx, mustQuery(t, "sort=newest&limit=1"))
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("search: %v", err)
	}
	slug := page.Items[0].Slug
	// Warm every cache.
	body("/api/v1/products?sort=newest&limit=1")
	body("/api/v1/products/" + slug)
	body("/api/v1/products?q=zanzibarite")
	name := "Zanzibarite travel kettle"
	p, err := app.Catalog.Product(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Catalog.UpdateProduct(ctx, p.ID, catalog.ProductUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/products?sort=newest&limit=1", "/api/v1/products/" + slug, "/api/v1/products?q=zanzibarite"} {
		if b := body(path); !strings.Contains(b, name) {
			t.Errorf("%s still shows the old name: %.300s", path, b)
		}
	}
}

func mustQuery(t *testing.T, raw string) catalog.Query {
	v, _ := url.ParseQuery(raw)
	q, err := catalog.ParseQuery(v)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestDemoCodesOnlyOnSeededShops: the demo discount codes come with the
// demo catalog (first start of a demo shop, `ocean seed`), never on a shop
// that was not seeded.
func TestDemoCodesOnlyOnSeededShops(t *testing.T) {
	ctx := context.Background()
	codes := func(app *cli.App) []string {
		ds, err := app.Checkout.Discounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, d.Code)
		}
		slices.Sort(out)
		return out
	}
	if got := codes(newApp(t)); !slices.Equal(got, []string{"FREESHIP", "WELCOME10"}) {
		t.Errorf("demo shop's codes: %v", got)
	}
	dir := t.TempDir()
	env := map[string]string{"OCEAN_DATA_DIR": dir, "OCEAN_SEED_DEMO": "false"}
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := cli.NewApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := codes(app); len(got) != 0 {
		t.Errorf("a shop that was not seeded has discount codes %v", got)
	}
	app.Close()
	var out strings.Builder
	if code := cli.Run(ctx, []string{"seed"}, func(k string) string { return env[k] }, &out, io.Discard); code != 0 {
		t.Fatalf("ocean seed: exit %d: %s", code, out.String())
	}
	if app, err = cli.NewApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if got := codes(app); !slices.Equal(got, []string{"FREESHIP", "WELCOME10"}) {
		t.Errorf("codes after ocean seed: %v", got)
	}
}
