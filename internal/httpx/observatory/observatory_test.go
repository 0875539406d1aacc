package observatory

import (
	"net/http"
	"net/url"
	"testing"
)

func rate(t *testing.T, hdr map[string]string, body string, plain *http.Response) Score {
	t.Helper()
	u, _ := url.Parse("https://shop.example/")
	res := &http.Response{Header: http.Header{}}
	for k, v := range hdr {
		res.Header.Set(k, v)
	}
	return Rate(Input{URL: u, Response: res, Body: []byte(body), PlainHTTP: plain})
}

func good() map[string]string {
	return map[string]string{
		"Content-Security-Policy":   "default-src 'none'; script-src 'self' 'nonce-abc'; object-src 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "strict-origin-when-cross-origin",
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		"Set-Cookie":                "__Host-s_session=x; Path=/; Secure; HttpOnly; SameSite=Lax",
	}
}

// TestRate: a well-configured response is A+ (100 + bonuses), and each
// weakness costs what the Observatory charges for it.
func TestRate(t *testing.T) {
	if s := rate(t, good(), "<script src=/app.js></script>", nil); s.Total != 125 || Grade(s.Total) != "A+" {
		t.Fatalf("good response: %d %v", s.Total, s.Names())
	}
	for name, c := range map[string]struct {
		change map[string]string
		body   string
		want   int
	}{
		"no CSP":             {map[string]string{"Content-Security-Policy": ""}, "", 100 - 25 - 20},
		"unsafe-inline":      {map[string]string{"Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'"}, "", 100 - 20},
		"unsafe-eval":        {map[string]string{"Content-Security-Policy": "default-src 'none'; script-src 'self' 'unsafe-eval'; object-src 'none'; frame-ancestors 'none'"}, "", 100 - 10 + 5 + 5 + 5},
		"object-src open":    {map[string]string{"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"}, "", 100 - 20},
		"no nosniff":         {map[string]string{"X-Content-Type-Options": ""}, "", 100 - 5 + 25},
		"unsafe referrer":    {map[string]string{"Referrer-Policy": "unsafe-url"}, "", 100 - 5 + 20},
		"short HSTS":         {map[string]string{"Strict-Transport-Security": "max-age=300"}, "", 100 - 10 + 25},
		"no HSTS":            {map[string]string{"Strict-Transport-Security": ""}, "", 100 - 20},
		"insecure cookie":    {map[string]string{"Set-Cookie": "s_session=x; HttpOnly"}, "", 100 - 40},
		"external no SRI":    {nil, `<script src="https://cdn.example/x.js"></script>`, 100 - 5 + 25},
		"external with SRI":  {nil, `<script src="https://cdn.example/x.js" integrity="sha384-x" crossorigin></script>`, 130},
		"external over http": {nil, `<script src="http://cdn.example/x.js"></script>`, 100 - 50},
	} {
		h := good()
		for k, v := range c.change {
			if v == "" {
				delete(h, k)
			} else {
				h[k] = v
			}
		}
		if s := rate(t, h, c.body, nil); s.Total != c.want {
			t.Errorf("%s: %d, want %d (%v)", name, s.Total, c.want, s.Names())
		}
	}
	// Redirection from plain HTTP.
	req, _ := http.NewRequest("GET", "http://shop.example/", nil)
	for loc, want := range map[string]int{"https://shop.example/": 125, "http://shop.example/x": 80, "https://other.example/": 120} {
		plain := &http.Response{StatusCode: 308, Header: http.Header{"Location": {loc}}, Request: req}
		if s := rate(t, good(), "", plain); s.Total != want {
			t.Errorf("redirect to %s: %d, want %d", loc, s.Total, want)
		}
	}
	if s := rate(t, good(), "", &http.Response{StatusCode: 200, Request: req}); s.Total != 80 {
		t.Errorf("no redirect: %d", s.Total)
	}
}
