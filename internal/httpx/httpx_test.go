package httpx_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
)

func page(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(httpx.Status(ocean.ErrorCode(err)))
	io.WriteString(w, "<p>Sorry. Request "+httpx.RequestID(r.Context())+"</p>")
}

func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv := httptest.NewServer(httpx.Chain(h, httpx.WithRequestID, httpx.SecurityHeaders, httpx.Recover(log, page), httpx.CheckRequest(page)))
	t.Cleanup(srv.Close)
	return srv
}

func TestPanicBecomes500WithRequestID(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	for _, path := range []string{"/api/v1/x", "/shop"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("%s: connection dropped: %v", path, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		id := res.Header.Get("X-Request-Id")
		if res.StatusCode != 500 || id == "" || !strings.Contains(string(body), id) {
			t.Fatalf("%s: status %d, id %q, body %s", path, res.StatusCode, id, body)
		}
		if strings.Contains(string(body), "boom") {
			t.Fatalf("%s: panic value leaked to the client: %s", path, body)
		}
		wantType := "text/html; charset=utf-8"
		if strings.HasPrefix(path, "/api/") {
			wantType = "application/problem+json"
		}
		if ct := res.Header.Get("Content-Type"); ct != wantType {
			t.Fatalf("%s: content type %q, want %q", path, ct, wantType)
		}
	}
}

func TestProblemShape(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, ocean.Invalid("Bad.", ocean.FieldError{Field: "sort", Message: "unknown"}))
	})
	res, err := http.Get(srv.URL + "/api/v1/x")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p httpx.Problem
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 400 || p.Status != 400 || p.Type != "/problems/invalid" || p.Title == "" || p.Detail != "Bad." ||
		len(p.Errors) != 1 || p.Errors[0].Field != "sort" || p.RequestID != res.Header.Get("X-Request-Id") {
		t.Fatalf("problem = %+v", p)
	}
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, errors.New("pq: password authentication failed for user shop"))
	})
	res, _ := http.Get(srv.URL + "/api/v1/x")
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 500 || strings.Contains(string(body), "password") {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}

func TestCheckRequest(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for name, q := range map[string]string{
		"10 KB query":      "q=" + strings.Repeat("a", 10<<10),
		"bad percent":      "q=%zz",
		"invalid utf-8 ok": "", // the handler validates decoded values; see catalog tests
	} {
		if q == "" {
			continue
		}
		res, err := http.Get(srv.URL + "/api/v1/products?" + q)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s", name, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, httpx.Nonce(r.Context())) })
	get := func() (*http.Response, string) {
		res, err := http.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	res, nonce := get()
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "'nonce-"+nonce+"'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("csp = %q (nonce %q)", csp, nonce)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") == "" {
		t.Fatalf("headers = %v", res.Header)
	}
	if _, again := get(); again == nonce {
		t.Fatal("nonce reused across requests")
	}
}

// TestErrorLogsUseTheServersLogger: with OCEAN_LOG_FORMAT=json every line
// about a failed request is JSON in the server's log, the line for the
// failed request included (it used to go to slog's default text logger).
func TestErrorLogsUseTheServersLogger(t *testing.T) {
	var logs strings.Builder
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	h := httpx.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/down" {
			httpx.WriteProblem(w, r, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "Down.", Err: errors.New("dial tcp: refused")})
			return
		}
		panic("boom")
	}), httpx.WithRequestID, httpx.Recover(log, page))
	for _, path := range []string{"/api/v1/x", "/shop", "/api/v1/down"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct {
			Msg  string `json:"msg"`
			Path string `json:"path"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		msgs = append(msgs, rec.Msg+" "+rec.Path)
	}
	for _, want := range []string{"panic /api/v1/x", "request failed /api/v1/x", "request failed /shop", "request failed /api/v1/down"} {
		if !slices.Contains(msgs, want) {
			t.Errorf("no %q line in the server's log; lines: %q", want, msgs)
		}
	}
}

// TestClientAddr: X-Forwarded-For is believed only from a trusted proxy,
// and FromTrustedProxy says so; without the middleware the peer is the
// client.
func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, c := range []struct {
		peer, xff string
		want      string
		proxy     bool
	}{
		{"10.1.2.3:5000", "203.0.113.9", "203.0.113.9", true},
		{"10.1.2.3:5000", "198.51.100.1, 203.0.113.9", "203.0.113.9", true},
		{"10.1.2.3:5000", "", "10.1.2.3", true},
		{"198.51.100.1:5000", "203.0.113.9", "198.51.100.1", false},
		{"[::ffff:198.51.100.1]:5000", "203.0.113.9", "198.51.100.1", false},
	} {
		var got string
		var proxy bool
		h := httpx.WithClientAddr(trusted)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			got, proxy = httpx.ClientAddr(r), httpx.FromTrustedProxy(r)
		}))
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got != c.want || proxy != c.proxy {
			t.Errorf("peer %s, X-Forwarded-For %q: %s (proxy %v), want %s (proxy %v)", c.peer, c.xff, got, proxy, c.want, c.proxy)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:5000"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	if got := httpx.ClientAddr(r); got != "10.1.2.3" || httpx.FromTrustedProxy(r) {
		t.Errorf("without the middleware: %s, proxy %v; want the peer, not a proxy", got, httpx.FromTrustedProxy(r))
	}
}
