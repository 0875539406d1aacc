package observe_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/oceanshop/ocean/internal/observe"
)

const (
	parentTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceparent = "00-" + parentTrace + "-00f067aa0ba902b7-01"
)

func newMux(seen *string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /p/{slug}", func(w http.ResponseWriter, r *http.Request) { *seen = observe.TraceID(r.Context()) })
	return mux
}

func serve(h http.Handler, path, tp string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if tp != "" {
		req.Header.Set("Traceparent", tp)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestOffContinuesTraceparentAndNamesEveryRequest(t *testing.T) {
	var tr *observe.Tracing // off
	if tr.Enabled() {
		t.Fatal("nil tracing is enabled")
	}
	var seen string
	mux := newMux(&seen)
	h := tr.Middleware(mux)(mux)

	rec := serve(h, "/p/blue-mug", traceparent)
	if seen != parentTrace {
		t.Errorf("handler saw trace id %q, want the caller's %q", seen, parentTrace)
	}
	if got := rec.Header().Get(observe.TraceResponseHeader); !strings.HasPrefix(got, "00-"+parentTrace+"-") {
		t.Errorf("traceresponse = %q, want the caller's trace", got)
	}

	serve(h, "/p/blue-mug", "")
	first := seen
	serve(h, "/p/blue-mug", "00-zzzz-bad")
	if len(first) != 32 || len(seen) != 32 || first == seen || first == parentTrace {
		t.Errorf("requests without (or with a broken) traceparent got trace ids %q and %q, want two fresh ones", first, seen)
	}
}

func TestOnStartsServerSpanNamedByRoute(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tr := observe.NewWithProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	var seen string
	mux := newMux(&seen)
	h := tr.Middleware(mux)(mux)

	resp := serve(h, "/p/blue-mug", traceparent)
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("got %d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name() != "GET /p/{slug}" {
		t.Errorf("span name %q, want the route pattern", s.Name())
	}
	if s.SpanContext().TraceID().String() != parentTrace || s.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("span %v (parent %v) does not continue the caller's trace", s.SpanContext().TraceID(), s.Parent().SpanID())
	}
	if seen != parentTrace {
		t.Errorf("handler saw trace id %q", seen)
	}
	want := "00-" + parentTrace + "-" + s.SpanContext().SpanID().String() + "-01"
	if got := resp.Header().Get(observe.TraceResponseHeader); got != want {
		t.Errorf("traceresponse = %q, want %q", got, want)
	}

	// Made-up paths are named by the pattern that answers them, never by
	// themselves.
	serve(h, "/no/such/page/123", "")
	if n := rec.Ended()[1].Name(); n != observe.Unrouted {
		t.Errorf("unrouted request span name %q", n)
	}
}

func TestSpanRecordsErrorsWithoutMessages(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tr := observe.NewWithProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	ctx, end := tr.SpanFunc()(context.Background(), "lock.acquire", "lock.key", "cart:1")
	if observe.TraceID(ctx) == "" {
		t.Error("no trace id inside the span")
	}
	end(errors.New("secret@example.com was refused"))
	s := rec.Ended()[0]
	if s.Status().Code != codes.Error || strings.Contains(s.Status().Description, "example.com") {
		t.Errorf("status %+v: want an error without the message", s.Status())
	}
	if len(s.Attributes()) != 1 || s.Attributes()[0].Value.AsString() != "cart:1" {
		t.Errorf("attributes %v", s.Attributes())
	}

	var off *observe.Tracing
	if off.SpanFunc() != nil {
		t.Error("tracing off gives a span func")
	}
	if ctx, end := off.Span(context.Background(), "x"); observe.TraceID(ctx) != "" || end == nil {
		t.Error("off Span made a trace")
	}
}

func TestConfigured(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, c := range []struct {
		env  func(string) string
		want bool
	}{
		{env(), false},
		{env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"), true},
		{env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces"), true},
		{env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", "OTEL_SDK_DISABLED", "TRUE"), false},
		{env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", "OTEL_TRACES_EXPORTER", "none"), false},
	} {
		if got := observe.Configured(c.env); got != c.want {
			t.Errorf("Configured = %v, want %v", got, c.want)
		}
	}
}

// BenchmarkMiddleware shows what tracing costs per request: off (the
// default) against no middleware at all, and on with a sampler that drops
// everything and one that records everything.
func BenchmarkMiddleware(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /p/{slug}", func(http.ResponseWriter, *http.Request) {})
	req := httptest.NewRequest(http.MethodGet, "/p/blue-mug", nil)
	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		w := httptest.NewRecorder()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	}
	b.Run("none", func(b *testing.B) { run(b, mux) })
	var off *observe.Tracing
	b.Run("off", func(b *testing.B) { run(b, off.Middleware(mux)(mux)) })
	never := observe.NewWithProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())))
	b.Run("on-unsampled", func(b *testing.B) { run(b, never.Middleware(mux)(mux)) })
	always := observe.NewWithProvider(sdktrace.NewTracerProvider()) // records, exports nowhere
	b.Run("on-recorded", func(b *testing.B) { run(b, always.Middleware(mux)(mux)) })
}

// TestClientPropagates: an outgoing request made inside a span carries its
// trace (traceparent) and is a client span of it; off, there is no client.
func TestClientPropagates(t *testing.T) {
	var got string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("Traceparent") }))
	defer upstream.Close()
	rec := tracetest.NewSpanRecorder()
	tr := observe.NewWithProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	ctx, end := tr.Span(context.Background(), "payment.authorize")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, upstream.URL, nil)
	res, err := tr.Client(time.Second).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	end(nil)
	if !strings.HasPrefix(got, "00-"+observe.TraceID(ctx)+"-") {
		t.Errorf("upstream got traceparent %q, want trace %s", got, observe.TraceID(ctx))
	}
	if n := len(rec.Ended()); n != 2 {
		t.Errorf("%d spans, want the client span and its parent", n)
	}
	var off *observe.Tracing
	if off.Client(time.Second) != nil {
		t.Error("tracing off made a client")
	}
}
