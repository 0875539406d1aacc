package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

func TestAccountPagesNeedHTTPSAwayFromThisMachine(t *testing.T) {
	w, err := New(Config{Catalog: catalog.NewService(sqlitetest.Open(t).Catalog(), nil), PublicURL: "https://shop.example/"})
	if err != nil {
		t.Fatal(err)
	}
	reached := false
	h := w.secureOnly(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))

	// Plain HTTP from the network: off to the public HTTPS origin.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://shop.example/account/signin?next=/account", nil))
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "https://shop.example/account/signin?next=/account" || reached {
		t.Fatalf("GET over http: %d %q reached=%v", rec.Code, rec.Header().Get("Location"), reached)
	}
	// A hand-made POST over plain HTTP does nothing.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "http://shop.example/account/signin", nil))
	if reached || rec.Code != http.StatusForbidden {
		t.Fatalf("a POST over plain http: %d, reached=%v", rec.Code, reached)
	}
	// This machine (browsers allow Secure cookies there) and HTTPS pass.
	for _, host := range []string{"localhost:8080", "127.0.0.1:8080", "[::1]:8080", "app.localhost"} {
		reached = false
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "http://"+host+"/account", nil))
		if !reached {
			t.Errorf("%s was redirected", host)
		}
	}
	reached = false
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "https://shop.example/account", nil))
	if !reached {
		t.Error("HTTPS was redirected")
	}
}
