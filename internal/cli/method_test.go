package cli_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWrongMethodIs405: a known API path with a method it does not serve
// is a 405 problem that says which methods it takes, not a 404 that says
// the path does not exist.
func TestWrongMethodIs405(t *testing.T) {
	app := newApp(t)
	for _, tc := range []struct{ method, path string }{
		{"POST", "/api/v1/products"},
		{"DELETE", "/api/v1/products/some-shirt"},
		{"PUT", "/api/v1/categories"},
		{"POST", "/api/v1/openapi.json"},
		{"POST", "/readyz"},
		{"DELETE", "/healthz"},
	} {
		rec := httptest.NewRecorder()
		app.Handler.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		var p problem
		err := json.Unmarshal(rec.Body.Bytes(), &p)
		if rec.Code != http.StatusMethodNotAllowed || err != nil || p.Status != 405 || p.Type == "" ||
			rec.Header().Get("Content-Type") != "application/problem+json" || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s = %d, Allow %q, %s %.200s", tc.method, tc.path, rec.Code, rec.Header().Get("Allow"),
				rec.Header().Get("Content-Type"), rec.Body)
		}
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/api/v1/no-such-thing", 404},
		{"GET", "/api/v1/no-such-thing", 404},
		{"HEAD", "/api/v1/categories", 200},
		{"GET", "/readyz", 200},
	} {
		rec := httptest.NewRecorder()
		app.Handler.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, rec.Code, tc.want)
		}
	}
}
