package httpx_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/httpx"
)

// busyShop serves every request by waiting for its gate, and counts the
// requests its handler saw.
type busyShop struct {
	gate    chan struct{}
	entered chan string
	h       http.Handler
	logs    *bytes.Buffer
	adm     *httpx.Admission
}

func newBusyShop(t *testing.T, limit int, wait time.Duration) *busyShop {
	t.Helper()
	s := &busyShop{gate: make(chan struct{}), entered: make(chan string, 100), logs: &bytes.Buffer{}}
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, s.logs}, nil))
	s.adm = httpx.NewAdmission(limit, wait, log)
	page := func(w http.ResponseWriter, _ *http.Request, err error) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<p>"+err.Error()+"</p>")
	}
	s.h = httpx.Shed(s.adm, page)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.entered <- r.Method + " " + r.URL.Path
		<-s.gate
		_, _ = io.WriteString(w, "ok")
	}))
	return s
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// serve sends a request in the background; its answer arrives on the channel.
func (s *busyShop) serve(method, path string) <-chan *httptest.ResponseRecorder {
	out := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		out <- rec
	}()
	return out
}

// TestShedKeepsRoomForBuyers: with room for 4, three pages being browsed
// fill browsing's share; a fourth page waits, then gets 503 with
// Retry-After, while adding to a cart still gets in; with all 4 taken a
// payment is turned away too. Health checks, static files and an MCP
// client's event stream always pass.
func TestShedKeepsRoomForBuyers(t *testing.T) {
	s := newBusyShop(t, 4, 50*time.Millisecond)
	var held []<-chan *httptest.ResponseRecorder
	for range 3 {
		held = append(held, s.serve("GET", "/p/linen-shirt"))
		<-s.entered
	}
	page := <-s.serve("GET", "/c/shirts")
	if page.Code != http.StatusServiceUnavailable || page.Header().Get("Retry-After") != "1" {
		t.Fatalf("a fourth page with browsing's room full: %d, Retry-After %q; want 503, 1", page.Code, page.Header().Get("Retry-After"))
	}
	if !strings.Contains(page.Body.String(), "very busy") {
		t.Errorf("people get the error page saying why: %q", page.Body.String())
	}
	api := <-s.serve("GET", "/api/v1/products")
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if api.Code != http.StatusServiceUnavailable || api.Header().Get("Content-Type") != "application/problem+json" ||
		json.Unmarshal(api.Body.Bytes(), &p) != nil || p.Status != 503 || !strings.Contains(p.Detail, "very busy") {
		t.Errorf("the API: %d %q %s; want a 503 problem", api.Code, api.Header().Get("Content-Type"), api.Body)
	}

	held = append(held, s.serve("POST", "/api/v1/carts/c1/items"))
	if got := <-s.entered; got != "POST /api/v1/carts/c1/items" {
		t.Fatalf("entered %q, want the add to cart", got)
	}
	pay := <-s.serve("POST", "/api/v1/carts/c1/checkout")
	if pay.Code != http.StatusServiceUnavailable {
		t.Errorf("a payment with every room taken: %d, want 503", pay.Code)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/static/app.1a2b.css", "/mcp"} {
		ch := s.serve("GET", path)
		if got := <-s.entered; got != "GET "+path {
			t.Errorf("entered %q, want %s, which is never held back", got, path)
		}
		held = append(held, ch)
	}
	if n := s.adm.Shed(); n != 3 {
		t.Errorf("Shed() = %d, want 3", n)
	}
	close(s.gate)
	for _, ch := range held {
		if rec := <-ch; rec.Code != http.StatusOK {
			t.Errorf("an admitted request answered %d", rec.Code)
		}
	}
	if n := strings.Count(s.logs.String(), "turned away"); n != 1 {
		t.Errorf("%d log lines for 3 requests turned away, want 1: %s", n, s.logs)
	}
}

// TestShedAdmitsAWaiterWhenRoomFrees: a request that finds no room waits;
// when a request ends within the wait, the waiter is served, not refused.
func TestShedAdmitsAWaiterWhenRoomFrees(t *testing.T) {
	s := newBusyShop(t, 1, time.Minute)
	first := s.serve("GET", "/")
	<-s.entered
	second := s.serve("GET", "/search?q=linen")
	// The second waits for room: nothing of it reaches the handler yet.
	select {
	case got := <-s.entered:
		t.Fatalf("%q entered while the only room was taken", got)
	case <-time.After(20 * time.Millisecond):
	}
	s.gate <- struct{}{} // the first ends
	if rec := <-first; rec.Code != http.StatusOK {
		t.Fatalf("first: %d", rec.Code)
	}
	if got := <-s.entered; got != "GET /search" {
		t.Fatalf("entered %q, want the waiting search", got)
	}
	close(s.gate)
	if rec := <-second; rec.Code != http.StatusOK {
		t.Errorf("the waiter answered %d, want 200", rec.Code)
	}
}

// TestShedOff: no bound admits everything.
func TestShedOff(t *testing.T) {
	if httpx.NewAdmission(0, time.Second, nil) != nil {
		t.Fatal("limit 0 made an admission")
	}
	h := httpx.Shed(nil, nil)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("%d", rec.Code)
	}
}
