package observe

import (
	"encoding/hex"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TraceResponseHeader is the W3C Trace Context response header that tells
// the client which trace its request was: version-traceid-spanid-flags,
// the same shape as traceparent.
const TraceResponseHeader = "Traceresponse"

// Unrouted names requests the mux would not route (the metrics' label).
const Unrouted = "unrouted"

// Middleware gives every request its trace. It continues an incoming W3C
// traceparent; without one the request starts a new trace. With tracing
// on it starts the server span, named by the mux pattern that serves the
// request ("POST /api/v1/carts/{id}/checkout"), never the raw path; off,
// it only puts the trace id in the request's context (a random one when the
// caller sent none), for logs and problems. Either way the response says
// which trace it was (Traceresponse). It goes first in the chain, so
// refused and panicking requests are traced too.
func (t *Tracing) Middleware(mux *http.ServeMux) func(http.Handler) http.Handler {
	if !t.Enabled() {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx := r.Context()
				if r.Header.Get("Traceparent") != "" {
					ctx = propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))
				}
				sc := trace.SpanContextFromContext(ctx)
				if !sc.IsValid() {
					sc = newSpanContext()
					ctx = trace.ContextWithSpanContext(ctx, sc)
				}
				w.Header()[TraceResponseHeader] = []string{traceResponse(sc)} // canonical already
				next.ServeHTTP(w, r.WithContext(ctx))
			})
		}
	}
	route := func(r *http.Request) string {
		if _, p := mux.Handler(r); p != "" {
			return p
		}
		return Unrouted
	}
	server := otelhttp.NewMiddleware("http",
		otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.prop),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()), // metrics are Prometheus's (internal/metrics)
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return route(r) }))
	return func(next http.Handler) http.Handler {
		inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			span := trace.SpanFromContext(r.Context())
			span.SetAttributes(attribute.String("http.route", route(r)))
			w.Header().Set(TraceResponseHeader, traceResponse(span.SpanContext()))
			next.ServeHTTP(w, r)
		})
		return server(inner)
	}
}

// traceResponse formats sc as a traceparent value, in one allocation.
func traceResponse(sc trace.SpanContext) string {
	var b [55]byte // 00-<32 hex>-<16 hex>-<2 hex>
	tid, sid := sc.TraceID(), sc.SpanID()
	copy(b[:], "00-")
	hex.Encode(b[3:35], tid[:])
	b[35] = '-'
	hex.Encode(b[36:52], sid[:])
	copy(b[52:], "-00")
	if sc.IsSampled() {
		b[54] = '1'
	}
	return string(b[:])
}

// newTransport is the client side: spans for outgoing requests and the
// traceparent header on them.
func newTransport(t *Tracing, rt http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(rt, otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.prop),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "HTTP " + r.Method + " " + r.URL.Host }))
}
