package cli_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/httpx/observatory"
)

// headerShop is the real handler of a wired App over HTTPS, reached under
// a public host name (shop.example) as a browser on the real domain would.
type headerShop struct {
	t   *testing.T
	app *cli.App
	srv *httptest.Server
	c   *http.Client
}

func newHeaderShop(t *testing.T, env map[string]string) *headerShop {
	t.Helper()
	env["OCEAN_DATA_DIR"] = seededDataDir(t)
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	srv := httptest.NewTLSServer(app.Handler)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: srv.Client().Transport, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &headerShop{t: t, app: app, srv: srv, c: c}
}

func (s *headerShop) do(method, path string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Host = "shop.example"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

var reCSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestSecurityHeadersScoreAPlus: the home page, a product page, the cart,
// sign-in, an account page and API responses each score at least 100
// (A+) by the HTTP Observatory's rules, and the personal ones are never
// stored by a cache.
func TestSecurityHeadersScoreAPlus(t *testing.T) {
	s := newHeaderShop(t, map[string]string{})
	_, b := s.do("GET", "/api/v1/products?limit=1", nil)
	var list struct {
		Items []struct{ Slug string } `json:"items"`
	}
	if json.Unmarshal(b, &list) != nil || len(list.Items) == 0 {
		t.Fatalf("no demo product: %s", b)
	}
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	signIn := func() {
		if _, err := s.app.Accounts.Register(context.Background(), "ada@example.com", "correct horse battery", "Ada", account.Meta{}); err != nil {
			t.Fatal(err)
		}
		res, b := s.do("GET", "/account/signin", nil)
		m := reCSRFField.FindSubmatch(b)
		if res.StatusCode != 200 || m == nil {
			t.Fatalf("sign-in page: %d", res.StatusCode)
		}
		form := url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}, "csrf": {html.UnescapeString(string(m[1]))}}
		if res, _ := s.do("POST", "/account/signin", strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded",
			"Origin", "https://shop.example"); res.StatusCode != 303 {
			t.Fatalf("sign in: %d", res.StatusCode)
		}
		_, b = s.do("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"ada@example.com","password":"correct horse battery"}`), "Content-Type", "application/json")
		_ = json.Unmarshal(b, &tk)

	}
	for _, p := range []struct {
		name, path string
		personal   bool
		hdr        []string
	}{
		{"home page", "/", false, nil},
		{"product page", "/p/" + list.Items[0].Slug, false, nil},
		{"cart", "/cart", true, nil},
		{"sign-in", "/account/signin", true, nil},
		{"account page", "/account", true, nil},
		{"API product list", "/api/v1/products", false, nil},
		{"API account", "/api/v1/me", true, nil},
	} {
		if p.name == "account page" {
			signIn()
		}
		if p.name == "API account" {
			p.hdr = []string{"Authorization", "Bearer " + tk.AccessToken}
		}
		res, body := s.do("GET", p.path, nil, p.hdr...)
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", p.name, res.StatusCode)
			continue
		}
		u, _ := url.Parse("https://shop.example" + p.path)
		score := observatory.Rate(observatory.Input{URL: u, Response: res, Body: body})
		t.Logf("%-18s %3d %s %v", p.name, score.Total, observatory.Grade(score.Total), score.Names())
		if score.Total < 100 {
			t.Errorf("%s scores %d (%s), want at least 100: %v", p.name, score.Total, observatory.Grade(score.Total), score.Failing())
		}
		h := res.Header
		for k, want := range map[string]string{"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Resource-Policy": "same-origin", "X-Content-Type-Options": "nosniff"} {
			if h.Get(k) != want {
				t.Errorf("%s: %s %q, want %q", p.name, k, h.Get(k), want)
			}
		}
		csp := h.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'", "'nonce-", "report-uri /csp-report", "report-to csp"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: CSP lacks %s: %s", p.name, d, csp)
			}
		}
		if !strings.Contains(h.Get("Permissions-Policy"), "camera=()") {
			t.Errorf("%s: Permissions-Policy %q", p.name, h.Get("Permissions-Policy"))
		}
		if p.personal && !strings.Contains(h.Get("Cache-Control"), "no-store") {
			t.Errorf("%s is personal but Cache-Control is %q", p.name, h.Get("Cache-Control"))
		}
	}
}

// TestCSPReports: both report formats are counted by directive and
// answered 204; garbage is a 400 and counts nothing; a flood is rate
// limited with the API's budget.
func TestCSPReports(t *testing.T) {
	s := newHeaderShop(t, map[string]string{"OCEAN_RATE_LIMIT_API": "4/min"})
	old := `{"csp-report":{"document-uri":"https://shop.example/","violated-directive":"script-src-elem","effective-directive":"script-src-elem","blocked-uri":"https://evil.example/x.js"}}`
	batch := `[{"type":"csp-violation","body":{"documentURL":"https://shop.example/","effectiveDirective":"img-src","blockedURL":"https://evil.example/p.gif"}},` +
		`{"type":"csp-violation","body":{"effectiveDirective":"made-up-directive"}}]`
	for body, ct := range map[string]string{old: "application/csp-report", batch: "application/reports+json"} {
		if res, b := s.do("POST", "/csp-report", strings.NewReader(body), "Content-Type", ct); res.StatusCode != 204 {
			t.Errorf("%s report: %d %s", ct, res.StatusCode, b)
		}
	}
	if res, _ := s.do("POST", "/csp-report", strings.NewReader("not json"), "Content-Type", "application/csp-report"); res.StatusCode != 400 {
		t.Errorf("garbage report: %d", res.StatusCode)
	}
	got := map[string]float64{}
	mfs, err := s.app.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "ocean_csp_reports_total" {
			continue
		}
		for _, m := range mf.Metric {
			got[label(m, "directive")] = m.GetCounter().GetValue()
		}
	}
	if got["script-src-elem"] != 1 || got["img-src"] != 1 || got["other"] != 1 || len(got) != 3 {
		t.Errorf("ocean_csp_reports_total: %v", got)
	}
	// Three reports so far; the fourth fits the budget of 4, the fifth not.
	codes := []int{}
	for range 2 {
		res, _ := s.do("POST", "/csp-report", strings.NewReader(old), "Content-Type", "application/csp-report")
		codes = append(codes, res.StatusCode)
	}
	if codes[0] != 204 || codes[1] != 429 {
		t.Errorf("reports over the budget: %v, want [204 429]", codes)
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestCORS: only the listed origins may call the API from a browser; a
// preflight from one is answered with what the API takes, from another
// refused; credentials and wildcards are never allowed.
func TestCORS(t *testing.T) {
	s := newHeaderShop(t, map[string]string{"OCEAN_CORS_ORIGINS": "https://app.example.com"})
	pre := func(origin string) *http.Response {
		res, _ := s.do("OPTIONS", "/api/v1/auth/login", nil, "Origin", origin, "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "content-type, authorization")
		return res
	}
	res := pre("https://app.example.com")
	h := res.Header
	if res.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		h.Get("Access-Control-Allow-Credentials") != "" || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
		t.Errorf("allowed preflight: %d %v", res.StatusCode, h)
	}
	if res := pre("https://evil.example"); res.StatusCode != 403 || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	res, _ = s.do("GET", "/api/v1/products", nil, "Origin", "https://app.example.com")
	if res.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || res.Header.Get("Access-Control-Allow-Credentials") != "" ||
		!strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "RateLimit") {
		t.Errorf("allowed GET: %v", res.Header)
	}
	res, _ = s.do("GET", "/api/v1/products", nil, "Origin", "https://evil.example")
	if res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET from another origin allowed: %q", res.Header.Get("Access-Control-Allow-Origin"))
	}
	// Pages are not the API: no CORS there.
	res, _ = s.do("GET", "/", nil, "Origin", "https://app.example.com")
	if res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("a page answered with CORS headers")
	}
	// The setting refuses a wildcard.
	for _, bad := range []string{"*", "https://*.example.com", "app.example.com", "https://app.example.com/path"} {
		if _, _, err := config.Load(nil, func(k string) string { return map[string]string{"OCEAN_CORS_ORIGINS": bad}[k] }); err == nil || !strings.Contains(err.Error(), "OCEAN_CORS_ORIGINS") {
			t.Errorf("OCEAN_CORS_ORIGINS=%s: %v", bad, err)
		}
	}
}
