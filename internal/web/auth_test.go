package web

import (
	"crypto/tls"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "/account",
		"/":                     "/",
		"/account/orders?x=1#y": "/account/orders?x=1#y",
		"//evil.example":        "/account",
		"///evil.example":       "/account",
		`/\evil.example`:        "/account",
		`/a\b`:                  "/account",
		"https://evil.example":  "/account",
		"javascript:alert(1)":   "/account",
		"evil.example":          "/account",
		"/%2F%2Fevil.example":   "/account",
		"/a\nLocation: x":       "/account",
		"/\t/evil.example":      "/account",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSafeNext: whatever comes in, what goes out is a path on this site
// that no browser reads as another host.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "//x", `/\x`, "/a?b=//c", "https://x", "/%2f%2fx", "/\x00", "/a/../..//x", "/%5Cx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := safeNext(in)
		if out != in && out != "/account" {
			t.Fatalf("safeNext(%q) = %q: neither the input nor the fallback", in, out)
		}
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.ContainsAny(out, "\\\r\n\t\x00") {
			t.Fatalf("safeNext(%q) = %q", in, out)
		}
		// Resolved against our origin, as a browser does, it stays here.
		base, _ := url.Parse("https://shop.test/account/signin")
		ref, err := url.Parse(out)
		if err != nil {
			t.Fatalf("safeNext(%q) = %q does not parse: %v", in, out, err)
		}
		if got := base.ResolveReference(ref); got.Host != "shop.test" || got.Scheme != "https" {
			t.Fatalf("safeNext(%q) = %q leads to %s", in, out, got)
		}
		if u, _ := url.Parse(out); strings.HasPrefix(u.Path, "//") {
			t.Fatalf("safeNext(%q) = %q has a path starting //", in, out)
		}
	})
}

func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		origin, site string
		tls          bool
		want         bool
	}{
		{"", "", true, true},
		{"https://shop.test", "same-origin", true, true},
		{"https://SHOP.test", "", true, true},
		{"http://shop.test", "", true, false},
		{"https://shop.test", "", false, false},
		{"https://shop.test.evil.example", "", true, false},
		{"https://evil.example", "", true, false},
		{"null", "", true, false},
		{"https://shop.test/path", "", true, false},
		{"", "cross-site", true, false},
		{"https://shop.test", "cross-site", true, false},
		{"", "same-site", true, true},
	} {
		r := httptest.NewRequest("POST", "https://shop.test/account/signin", nil)
		if !c.tls {
			r.TLS = nil
		} else if r.TLS == nil {
			r.TLS = &tls.ConnectionState{}
		}
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if c.site != "" {
			r.Header.Set("Sec-Fetch-Site", c.site)
		}
		if got := sameOrigin(r); got != c.want {
			t.Errorf("Origin %q, Sec-Fetch-Site %q, TLS %v: %v, want %v", c.origin, c.site, c.tls, got, c.want)
		}
	}
}
