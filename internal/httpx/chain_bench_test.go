package httpx_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/httpx"
)

type discardCapturer struct{}

func (discardCapturer) Capture(*http.Request, string, httpx.Failure) {}

// discardWriter is the least a ResponseWriter can be, so the benchmark
// counts the middleware's own cost.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkChain is the httpx part of the serving chain (in the order
// internal/cli builds it) around a handler that writes a cached JSON
// body: what each API request pays before and after its handler
// (docs/performance.md, "What the profiles changed").
func BenchmarkChain(b *testing.B) {
	body := []byte(`{"items":[]}`)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/products", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSONBytes(w, http.StatusOK, body)
	})
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h := httpx.Chain(mux,
		httpx.WithRequestID,
		httpx.WithClientAddr(nil),
		httpx.SecurityHeaders,
		httpx.CaptureFailures(discardCapturer{}, func(*http.Request) string { return "" }),
		httpx.Recover(log, nil),
		httpx.CheckRequest(nil),
		httpx.LimitBodies(nil),
		httpx.CORS(nil),
		httpx.RateLimit(mux, nil, nil, log),
	)
	r := httptest.NewRequest("GET", "/api/v1/products?limit=24", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(&discardWriter{h: make(http.Header)}, r)
	}
}

// A request served through the chain from inside another's handler (an
// error page rendered by the app, say) has its own id, nonce and client,
// and the outer request keeps its own once the inner one is done: what the
// middleware learns about a request is kept per request, not shared.
func TestChainInsideARequestKeepsEachRequestsOwn(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	chain := func(h http.HandlerFunc) http.Handler {
		return httpx.Chain(h, httpx.WithRequestID, httpx.WithClientAddr(nil), httpx.SecurityHeaders,
			httpx.CaptureFailures(discardCapturer{}, func(*http.Request) string { return "" }), httpx.Recover(log, nil))
	}
	var innerID, innerNonce, innerClient string
	inner := chain(func(w http.ResponseWriter, r *http.Request) {
		innerID, innerNonce, innerClient = httpx.RequestID(r.Context()), httpx.Nonce(r.Context()), httpx.ClientAddr(r)
	})
	var outerBefore, outerAfter [3]string
	outer := chain(func(w http.ResponseWriter, r *http.Request) {
		outerBefore = [3]string{httpx.RequestID(r.Context()), httpx.Nonce(r.Context()), httpx.ClientAddr(r)}
		in := r.Clone(r.Context())
		in.RemoteAddr = "198.51.100.9:1234"
		inner.ServeHTTP(httptest.NewRecorder(), in)
		outerAfter = [3]string{httpx.RequestID(r.Context()), httpx.Nonce(r.Context()), httpx.ClientAddr(r)}
	})
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "203.0.113.7:4321"
	outer.ServeHTTP(rec, r)
	if outerAfter != outerBefore {
		t.Fatalf("the outer request's id, nonce and client changed from %q to %q after the inner request", outerBefore, outerAfter)
	}
	if outerBefore[0] != rec.Header().Get("X-Request-Id") || outerBefore[0] == "" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "'nonce-"+outerBefore[1]+"'") {
		t.Fatalf("outer id %q and nonce %q are not the response's headers %v", outerBefore[0], outerBefore[1], rec.Header())
	}
	if innerID == outerBefore[0] || innerNonce == outerBefore[1] || innerClient != "198.51.100.9" || outerBefore[2] != "203.0.113.7" {
		t.Fatalf("inner request saw id %q nonce %q client %q; outer %q", innerID, innerNonce, innerClient, outerBefore)
	}
}
