package tlsx

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNewSide: each OCEAN_TLS mode gives the plain listener its rules and
// the HTTPS listener its certificates; an unknown mode and unreadable files
// are refused at start.
func TestNewSide(t *testing.T) {
	shop := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "shop") })
	plainGet := func(s *Side, url string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.Plain(shop).ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
		return rec
	}
	if _, err := NewSide(SideOptions{Mode: "sometimes"}, discardLog()); err == nil || !strings.Contains(err.Error(), `OCEAN_TLS="sometimes"`) {
		t.Fatalf("unknown mode: %v", err)
	}
	if _, err := NewSide(SideOptions{Mode: ModeFiles, HTTPSAddr: ":0", CertFile: "/nonexistent/cert.pem", KeyFile: "/nonexistent/key.pem"}, discardLog()); err == nil {
		t.Fatal("files mode started without its files")
	}

	// Local mode without HTTPS: plain HTTP serves the shop, no certificates.
	dir := t.TempDir()
	s, err := NewSide(SideOptions{Mode: ModeLocal, PublicURL: "http://localhost:8080", DataDir: dir}, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	if s.Config != nil {
		t.Error("a TLS configuration without an HTTPS listener")
	}
	if rec := plainGet(s, "http://localhost:8080/"); rec.Code != 200 || rec.Body.String() != "shop" {
		t.Fatalf("local plain HTTP: %d %q", rec.Code, rec.Body)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("local mode without HTTPS made files: %v", entries)
	}

	// Local mode with HTTPS: the development CA is made in the data dir and
	// the listening line names it.
	s, err = NewSide(SideOptions{Mode: ModeLocal, HTTPSAddr: ":8443", PublicURL: "https://shop.localhost", DataDir: dir}, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := filepath.Abs(filepath.Join(dir, "ca.pem"))
	if s.Config == nil || fmt.Sprint(s.LogAttrs()) != fmt.Sprint([]any{"tls", ModeLocal, "ca", ca}) {
		t.Fatalf("local HTTPS: config %v, log %v", s.Config != nil, s.LogAttrs())
	}
	if _, err := os.Stat(ca); err != nil {
		t.Fatalf("no CA: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx, discardLog()); err != nil {
		t.Fatal(err)
	}
	cancel()
	s.Stop()

	// Files mode: the certificate from the files; plain HTTP redirects a
	// page to HTTPS for a real host.
	cert, key := pairFiles(t)
	certPEM, keyPEM := newTestCA(t).leaf(t, 1, time.Now().Add(time.Hour), "shop.example.com")
	writeFile(t, cert, certPEM)
	writeFile(t, key, keyPEM)
	s, err = NewSide(SideOptions{Mode: ModeFiles, HTTPSAddr: ":443", PublicURL: "https://shop.example.com", CertFile: cert, KeyFile: key}, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	if s.Config == nil || s.Config.MinVersion == 0 || len(s.LogAttrs()) != 6 || s.LogAttrs()[2] != "cert_file" {
		t.Fatalf("files: %v", s.LogAttrs())
	}
	if rec := plainGet(s, "http://shop.example.com/products"); rec.Code != http.StatusPermanentRedirect && rec.Code != http.StatusMovedPermanently {
		t.Fatalf("files mode plain HTTP page: %d, want a redirect to HTTPS", rec.Code)
	}
}

// TestPublicHost: the local CA's certificate names the public URL's host.
func TestPublicHost(t *testing.T) {
	for in, want := range map[string]string{"https://shop.localhost:8443/x": "[shop.localhost]", "": "[]", "::": "[]"} {
		if got := fmt.Sprint(PublicHost(in)); got != want {
			t.Errorf("PublicHost(%q) = %s, want %s", in, got, want)
		}
	}
}
