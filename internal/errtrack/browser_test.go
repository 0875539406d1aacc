package errtrack_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/errtrack"
)

func TestBrowserReportsAreStoredSameOriginOnly(t *testing.T) {
	s := newShop(t, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /p/{slug}", func(http.ResponseWriter, *http.Request) {})
	})
	report := `{"kind":"error","message":"Uncaught TypeError: variants.map is not a function","source":"https://shop.example/static/app.1a2b3c4d.js","line":12,"column":5,` +
		`"stack":"TypeError: variants.map is not a function\n    at pick (https://shop.example/static/app.1a2b3c4d.js:12:5)\n    at HTMLFormElement.<anonymous> (https://shop.example/static/app.1a2b3c4d.js:40:3)","page":"/p/linen-shirt"}`
	for _, tc := range []struct {
		name   string
		body   string
		hdr    []string
		status int
	}{
		{"same origin by Sec-Fetch-Site", report, []string{"Sec-Fetch-Site", "same-origin", "Content-Type", "text/plain;charset=UTF-8"}, 204},
		{"same origin by Origin", strings.ReplaceAll(report, "app.1a2b3c4d", "app.99999999"), []string{"Origin", "http://example.com"}, 204},
		{"another site", report, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 403},
		{"another origin, old browser", report, []string{"Origin", "https://evil.example"}, 403},
		{"no origin at all", report, nil, 403},
		{"not JSON", "message=x", []string{"Sec-Fetch-Site", "same-origin"}, 400},
		{"unknown field", `{"message":"x","user":"jane"}`, []string{"Sec-Fetch-Site", "same-origin"}, 400},
		{"empty", `{}`, []string{"Sec-Fetch-Site", "same-origin"}, 400},
		{"too large", `{"message":"` + strings.Repeat("x", 9000) + `"}`, []string{"Sec-Fetch-Site", "same-origin"}, 413},
		{"form post", report, []string{"Sec-Fetch-Site", "same-origin", "Content-Type", "application/x-www-form-urlencoded"}, 400},
	} {
		if w := s.do(t, "POST", errtrack.BrowserPath, tc.body, tc.hdr...); w.Code != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.status)
		}
	}
	gs := s.groups(t)
	// The two accepted reports differ only in the asset's fingerprint (a
	// new release): one group.
	if len(gs) != 1 || gs[0].Count != 2 || gs[0].Kind != errtrack.Browser || gs[0].Title != "TypeError: variants.map is not a function" {
		t.Fatalf("groups = %+v, want one browser group counted twice", gs)
	}
	_, events, err := s.store.Group(context.Background(), gs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	e := events[0]
	if e.Route != "/p/{slug}" || e.Request["Template"] != "/p/{slug}" || gs[0].Culprit != "pick (/static/app.js)" ||
		!strings.Contains(e.Stack, "pick\n\t/static/app.js:12") || strings.Contains(e.Stack, "shop.example") || strings.Contains(e.Route, "linen") {
		t.Fatalf("event = %+v", e)
	}
}
