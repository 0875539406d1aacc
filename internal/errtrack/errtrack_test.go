package errtrack_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

// shop is the real middleware around a test route table, as cli builds
// it, with the tracker over a real SQLite store.
type shop struct {
	h       http.Handler
	tracker *errtrack.Tracker
	store   errtrack.Store
	reg     *prometheus.Registry
}

func newShop(t *testing.T, routes func(mux *http.ServeMux)) *shop {
	t.Helper()
	store := sqlitetest.Open(t).Errors()
	reg := prometheus.NewRegistry()
	tr := errtrack.New(errtrack.Config{Store: store, Release: "v9.9.9", Metrics: reg,
		TraceID: func(context.Context) string { return "4bf92f3577b34da6a3ce929d0e0e4736" }})
	t.Cleanup(func() { tr.Close() })
	mux := http.NewServeMux()
	routes(mux)
	mux.Handle("POST "+errtrack.BrowserPath, tr.BrowserHandler(errtrack.PageTemplate(mux)))
	h := httpx.Chain(mux, httpx.WithRequestID, httpx.WithClientAddr(nil), httpx.SecurityHeaders,
		httpx.CaptureFailures(tr, errtrack.Route(mux)), httpx.Recover(slogDiscard(), nil), httpx.CheckRequest(nil), httpx.LimitBodies(nil))
	return &shop{h: h, tracker: tr, store: store, reg: reg}
}

func (s *shop) do(t *testing.T, method, target string, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w
}

func (s *shop) groups(t *testing.T) []errtrack.Group {
	t.Helper()
	if err := s.tracker.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	gs, err := s.store.Groups(context.Background(), errtrack.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return gs
}

//go:noinline
func explode(i int) {
	var a []int
	_ = a[i] // index out of range: a runtime.Error
}

func TestPanicsAndServerErrorsAreGroupedWithRouteStackAndTrace(t *testing.T) {
	s := newShop(t, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /p/{slug}", func(w http.ResponseWriter, r *http.Request) { explode(len(r.PathValue("slug"))) })
		mux.HandleFunc("GET /other", func(w http.ResponseWriter, r *http.Request) { panic("a different failure") })
		mux.HandleFunc("GET /fails", func(w http.ResponseWriter, r *http.Request) {
			httpx.Fail(w, r, nil, &ocean.Error{Code: ocean.EINTERNAL, Message: "Something went wrong.", Err: fmt.Errorf("load: %w", context.DeadlineExceeded)})
		})
		mux.HandleFunc("GET /busy", func(w http.ResponseWriter, r *http.Request) {
			httpx.Fail(w, r, nil, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "Not ready."})
		})
		mux.HandleFunc("GET /fine", func(w http.ResponseWriter, r *http.Request) {})
	})
	for _, p := range []string{"/p/abc", "/p/defgh", "/p/x", "/other", "/fails", "/fails", "/busy", "/fine"} {
		w := s.do(t, "GET", p, "")
		if p == "/fine" || p == "/busy" {
			continue
		}
		if w.Code != 500 {
			t.Fatalf("%s: %d, want 500", p, w.Code)
		}
	}
	gs := s.groups(t)
	if len(gs) != 3 {
		t.Fatalf("groups = %+v, want 3 (one panic site with three values, another panic, one server error; no 503, no 200)", gs)
	}
	byTitle := map[string]errtrack.Group{}
	for _, g := range gs {
		byTitle[g.Title] = g
	}
	var idx errtrack.Group
	for title, g := range byTitle {
		if strings.HasPrefix(title, "runtime.boundsError") {
			idx = g
		}
	}
	if idx.Count != 3 || idx.Kind != errtrack.Panic || idx.Release != "v9.9.9" || !strings.Contains(idx.Culprit, "errtrack_test.explode") {
		t.Fatalf("index panic group = %+v, want 3 panics from explode", idx)
	}
	_, events, err := s.store.Group(context.Background(), idx.ID)
	if err != nil {
		t.Fatal(err)
	}
	e := events[0]
	if e.Route != "GET /p/{slug}" || e.Method != "GET" || e.Status != 500 || e.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || e.RequestID == "" ||
		!strings.HasPrefix(e.Stack, "github.com/oceanshop/ocean/internal/errtrack_test.explode\n\tinternal/errtrack/errtrack_test.go:") {
		t.Fatalf("sample = %+v", e)
	}
	var srv errtrack.Group
	for _, g := range gs {
		if g.Kind == errtrack.Server {
			srv = g
		}
	}
	if srv.Count != 2 || !strings.HasPrefix(srv.Title, "context.deadlineExceededError: load: context deadline exceeded") {
		t.Fatalf("server group = %+v", srv)
	}
	if got := (counter(t, s.reg, "ocean_errors_captured_total", "panic")); got != 4 {
		t.Fatalf("captured panics = %v, want 4", got)
	}
}

func counter(t *testing.T, reg *prometheus.Registry, name, kind string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if kind == "" || m.GetLabel()[0].GetValue() == kind {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no %s{%s}", name, kind)
	return 0
}

func TestFingerprintIgnoresValuesAndLinesButNotPlaces(t *testing.T) {
	frames := func(fns ...string) []errtrack.Frame {
		var fs []errtrack.Frame
		for i, fn := range fns {
			fs = append(fs, errtrack.Frame{Function: "github.com/oceanshop/ocean/internal/" + fn, File: "internal/x.go", Line: 10 + i, InApp: true})
		}
		return fs
	}
	a := errtrack.Fingerprint(errtrack.Panic, "runtime.boundsError", "index out of range [7] with length 3", frames("web.a", "web.b"), "GET /x")
	moved := frames("web.a", "web.b")
	moved[0].Line = 99
	if b := errtrack.Fingerprint(errtrack.Panic, "runtime.boundsError", "index out of range [9] with length 1", moved, "GET /y"); a != b {
		t.Fatal("the same place with other values and lines must be one group")
	}
	if b := errtrack.Fingerprint(errtrack.Panic, "runtime.boundsError", "x", frames("web.c", "web.b"), "GET /x"); a == b {
		t.Fatal("another function must be another group")
	}
	if b := errtrack.Fingerprint(errtrack.Server, "runtime.boundsError", "x", frames("web.a", "web.b"), "GET /x"); a == b {
		t.Fatal("another kind must be another group")
	}
	// Without in-app frames the normalised message and route decide.
	x := errtrack.Fingerprint(errtrack.Browser, "TypeError", "x is undefined at 12", nil, "/p/{slug}")
	if y := errtrack.Fingerprint(errtrack.Browser, "TypeError", "x is undefined at 13", nil, "/p/{slug}"); x != y {
		t.Fatal("numbers must not split a group")
	}
	if y := errtrack.Fingerprint(errtrack.Browser, "TypeError", "y is undefined", nil, "/p/{slug}"); x == y {
		t.Fatal("another message must be another group")
	}
	if got := errtrack.Normalize(`index 7 at 0xc000123 for "jane" and 'x'`); got != "index 0 at X for ? and ?" {
		t.Fatalf("Normalize = %q", got)
	}
}

// stuckStore blocks every Record until released: the queue fills.
type stuckStore struct {
	errtrack.Store
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *stuckStore) Record(ctx context.Context, es []errtrack.Event, n int) error {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return errors.New("down")
}

func TestCaptureNeverBlocksAndCountsDrops(t *testing.T) {
	st := &stuckStore{entered: make(chan struct{}), release: make(chan struct{})}
	reg := prometheus.NewRegistry()
	tr := errtrack.New(errtrack.Config{Store: st, Queue: 2, Metrics: reg, Log: slogDiscard()})
	r := httptest.NewRequest("GET", "/x", nil)
	// The writer takes the first and blocks in Record; two wait in the
	// queue; the other eight are dropped, at once.
	tr.Capture(r, "GET /x", httpx.Failure{Status: 500})
	<-st.entered
	for range 10 {
		tr.Capture(r, "GET /x", httpx.Failure{Status: 500})
	}
	if dropped := counter(t, reg, "ocean_errors_dropped_total", ""); dropped != 8 {
		t.Fatalf("dropped = %v, want 8 of 10 behind a stuck store with a queue of 2", dropped)
	}
	close(st.release)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if got := counter(t, reg, "ocean_errors_captured_total", "server"); got != 11 {
		t.Fatalf("captured = %v, want 11", got)
	}
}
