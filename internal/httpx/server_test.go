package httpx_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/httpx"
)

// TestLimitListener: a client's connections beyond the cap are closed
// unanswered, a slot frees when one closes, and trusted proxies (which
// carry many clients) are not capped.
func TestLimitListener(t *testing.T) {
	for _, c := range []struct {
		name   string
		exempt []netip.Prefix
		capped bool
	}{
		{"client", nil, true},
		{"trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
			srv.Listener = httpx.LimitListener(srv.Listener, 2, c.exempt)
			srv.Start()
			defer srv.Close()
			addr := srv.Listener.Addr().String()
			get := func(conn net.Conn) string {
				io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				b := make([]byte, 512)
				n, _ := conn.Read(b)
				return string(b[:n])
			}
			var held []net.Conn
			for range 2 {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				if !strings.Contains(get(conn), "ok") {
					t.Fatal("a connection within the cap was not served")
				}
				held = append(held, conn)
			}
			third, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer third.Close()
			served := strings.Contains(get(third), "ok")
			if served == c.capped {
				t.Fatalf("third connection served: %v, want %v", served, !c.capped)
			}
			if !c.capped {
				return
			}
			// Closing one frees its slot (wait until the server notices).
			held[0].Close()
			for {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				ok := strings.Contains(get(conn), "ok")
				conn.Close()
				if ok {
					break
				}
			}
		})
	}
}

func TestBodyLimitClasses(t *testing.T) {
	for _, c := range []struct {
		path, ctype string
		want        int64
	}{
		{"/api/v1/auth/login", "application/json", httpx.MaxBodyBytes},
		{"/account/signin", "application/x-www-form-urlencoded", httpx.MaxBodyBytes},
		{"/admin/products", "application/x-www-form-urlencoded", httpx.MaxBodyBytes},
		{"/admin/products/1/images", "multipart/form-data; boundary=x", httpx.MaxUploadBytes},
		{"/api/v1/admin/products/1/images", "multipart/form-data; boundary=x", httpx.MaxUploadBytes},
		{"/api/v1/carts", "multipart/form-data; boundary=x", httpx.MaxBodyBytes},
		{"/account", "multipart/form-data; boundary=x", httpx.MaxBodyBytes},
		{"/webhooks/stripe", "application/json", httpx.MaxWebhookBytes},
		{"/api/v1/admin/products/import", "text/csv", httpx.MaxUploadBytes},
		{"/admin/products/import", "application/x-www-form-urlencoded", httpx.MaxUploadBytes},
		{"/api/v1/admin/products/export", "text/csv", httpx.MaxBodyBytes},
	} {
		r := httptest.NewRequest("POST", c.path, nil)
		r.Header.Set("Content-Type", c.ctype)
		if got := httpx.BodyLimit(r); got != c.want {
			t.Errorf("%s (%s): %d, want %d", c.path, c.ctype, got, c.want)
		}
	}
	h := httpx.LimitBodies(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "too big", http.StatusRequestEntityTooLarge)
		}
	}))
	for name, r := range map[string]*http.Request{
		"declared": httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(strings.Repeat("a", httpx.MaxBodyBytes+1))),
		"undeclared": func() *http.Request {
			r := httptest.NewRequest("POST", "/account/signin", io.NopCloser(strings.NewReader(strings.Repeat("a", httpx.MaxBodyBytes+1))))
			r.ContentLength = -1
			return r
		}(),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != 413 {
			t.Errorf("%s oversized body: %d, want 413", name, rec.Code)
		}
	}
}
