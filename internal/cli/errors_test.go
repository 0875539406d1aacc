package cli_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/rum"
)

// The personal data and secrets a shopper's request carries, planted in
// every part of requests that fail, and searched for in what the error
// tracker stored and in the log.
var planted = map[string]string{
	"email":    "jane.roe@example.org",
	"password": "Tr0ub4dor-and-horse",
	"token":    "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNlY3JldA",
	"card":     "4242424242424242",
	"address":  "12 Harbour Road",
	"session":  "s3ss10n-c00k13-v4lu3-0123456789abcdef",
}

func TestErrorsCapturedWithoutPersonalData(t *testing.T) {
	logs := &syncBuffer{}
	cfg, _, err := config.Load(nil, func(k string) string { return map[string]string{"OCEAN_DATA_DIR": seededDataDir(t)}[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	// Test-only routes behind the real middleware: a careless handler
	// that panics, and one that fails, both with what the shopper sent in
	// their messages.
	app.HandleForTest("POST /test/panic/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		panic(fmt.Sprintf("checkout for %s with card %s to %q (password=%s) failed",
			r.Form.Get("email"), r.Form.Get("card"), r.Form.Get("address"), r.Form.Get("password")))
	}))
	app.HandleForTest("POST /test/fail", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		httpx.Fail(w, r, nil, &ocean.Error{Code: ocean.EINTERNAL, Message: "Something went wrong.",
			Err: fmt.Errorf("charge %s for %s at %q: bearer %s", r.Form.Get("card"), r.Form.Get("email"), r.Form.Get("address"), r.Header.Get("X-Token"))})
	}))
	form := url.Values{}
	for k, v := range planted {
		form.Set(k, v)
	}
	query := "?email=" + url.QueryEscape(planted["email"]) + "&token=" + planted["token"] + "&password=" + planted["password"]
	send := func(method, path, ctype, body string, hdr ...string) int {
		r := httptest.NewRequest(method, path+query, strings.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		r.Header.Set("Authorization", "Bearer "+planted["token"])
		r.Header.Set("Cookie", "ocean_session="+planted["session"])
		r.Header.Set("X-Token", planted["token"])
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		app.Handler.ServeHTTP(w, r)
		return w.Code
	}
	if code := send("POST", "/test/panic/"+url.PathEscape(planted["email"]), "application/x-www-form-urlencoded", form.Encode()); code != 500 {
		t.Fatalf("panic route: %d", code)
	}
	if code := send("POST", "/test/fail", "application/x-www-form-urlencoded", form.Encode()); code != 500 {
		t.Fatalf("failing route: %d", code)
	}
	browser := fmt.Sprintf(`{"kind":"error","message":"TypeError: cannot send %s card %s to \"%s\"","source":"/static/app.js?token=%s","line":3,"column":1,`+
		`"stack":"at send (/static/app.js?password=%s:3:1)","page":"/p/shirt?email=%s"}`,
		planted["email"], planted["card"], planted["address"], planted["token"], planted["password"], planted["email"])
	if code := send("POST", errtrack.BrowserPath, "application/json", browser, "Sec-Fetch-Site", "same-origin"); code != 204 {
		t.Fatalf("browser report: %d", code)
	}
	if err := app.Errors.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	store := app.DB.Errors()
	gs, err := store.Groups(context.Background(), errtrack.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[errtrack.Kind]bool{}
	var stored strings.Builder
	for _, g := range gs {
		kinds[g.Kind] = true
		_, events, err := store.Group(context.Background(), g.ID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&stored, "%+v\n%+v\n", g, events)
		for _, e := range events {
			if g.Kind == errtrack.Panic && (e.Route != "POST /test/panic/{id}" || e.RequestID == "" || len(e.TraceID) != 32 || !strings.Contains(e.Stack, "cli_test.TestErrorsCapturedWithoutPersonalData")) {
				t.Errorf("panic event lacks route, request id, trace id or stack: %+v", e)
			}
		}
	}
	if !kinds[errtrack.Panic] || !kinds[errtrack.Server] || !kinds[errtrack.Browser] {
		t.Fatalf("kinds stored = %v, want panic, server and browser", kinds)
	}
	if !strings.Contains(logs.String(), `"msg":"panic"`) || !strings.Contains(logs.String(), `"msg":"request failed"`) {
		t.Fatalf("the failures were not logged:\n%s", logs.String())
	}
	for name, v := range planted {
		for where, text := range map[string]string{"stored events": stored.String(), "log": logs.String()} {
			if strings.Contains(text, v) || strings.Contains(text, url.QueryEscape(v)) {
				t.Errorf("the planted %s (%s) is in the %s:\n%s", name, v, where, text)
			}
		}
	}
}

// TestBrowserRUM runs static/rum.js in Debian's Chromium (e2e/rum.mjs): a
// script error, an unhandled rejection and a page's Web Vitals reach the
// shop under its CSP, and land in the error tracker and the vitals store.
func TestBrowserRUM(t *testing.T) {
	t.Parallel() // its own shop: runs beside the other parallel tests, not ahead of all of them
	e2e, _ := filepath.Abs("../../e2e")
	node, err := exec.LookPath("node")
	if err != nil || !exists("/usr/bin/chromium") && os.Getenv("CHROMIUM") == "" || !exists(filepath.Join(e2e, "node_modules", "playwright-core")) {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("node, Chromium or playwright-core is missing: run scripts/e2e-setup.sh (make test does)")
		}
		t.Skip("browser tests skipped: node, Chromium or playwright-core is missing (scripts/e2e-setup.sh installs them)")
	}
	app := newApp(t)
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "rum.mjs", srv.URL)
	cmd.Dir = e2e
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
	if err := app.Errors.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	gs, err := app.DB.Errors().Groups(ctx, errtrack.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]bool{}
	for _, g := range gs {
		if g.Kind == errtrack.Browser {
			titles[g.Title] = true
		}
	}
	if !titles["TypeError: rum test: variants.map is not a function"] || !titles["Error: rum test: a promise nobody caught"] {
		t.Fatalf("browser groups = %v", titles)
	}
	if err := app.Vitals.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := rum.Summary(ctx, app.DB.Vitals(), time.Now(), 1)
	if err != nil {
		t.Fatal(err)
	}
	// The home page reports too, as the browser leaves it; the product
	// page reported once.
	var product *rum.Row
	for i := range rows {
		if rows[i].Template == "/p/{slug}" {
			product = &rows[i]
		}
	}
	if product == nil {
		t.Fatalf("vitals rows = %+v; want the product page template", rows)
	}
	for _, c := range product.Cells {
		if (c.Metric.Name == "lcp" || c.Metric.Name == "ttfb") && c.Samples != 1 {
			t.Errorf("%s: %d samples, want 1", c.Metric.Name, c.Samples)
		}
	}
}
