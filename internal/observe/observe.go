// Package observe is Ocean's tracing: OpenTelemetry set up from the
// standard OTEL_* variables, the HTTP middleware that continues an incoming
// W3C traceparent and starts the server span, and the spans of the
// adapters (SQL statements, Redis commands, locks, payment gateway calls).
// TraceID gives the trace id of a request to whoever logs or reports it.
// LogLimiter thins a warning that can recur many times a second to a few
// lines a period, with a count of the rest.
//
// Tracing is off unless an OTLP endpoint is configured. Off, no span is
// made and nothing is wrapped; a request still gets a trace id (the
// caller's, from traceparent, or a fresh random one) so logs, problems and
// error reports can name it.
//
// Business packages never import this package or OpenTelemetry: the one
// span a business package makes (checkout) goes through a plain func
// (see Tracing.Span).
package observe

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/oceanshop/ocean/internal/ocean"
)

// TraceID returns the hex trace id of the request (or span) in ctx, or ""
// when ctx carries none.
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.TraceID().IsValid() {
		return ""
	}
	return sc.TraceID().String()
}

// instrumentation is the name Ocean's tracer reports.
const instrumentation = "github.com/oceanshop/ocean"

// Tracing is the tracer provider and propagator of one App. The zero value
// and nil are tracing off.
type Tracing struct {
	provider trace.TracerProvider
	tracer   trace.Tracer
	sdk      *sdktrace.TracerProvider // nil unless New built one
	prop     propagation.TextMapPropagator
}

// Enabled reports whether spans are recorded.
func (t *Tracing) Enabled() bool { return t != nil && t.tracer != nil }

// Configured reports whether getenv asks for trace export: an OTLP
// endpoint is set and the SDK is not disabled.
func Configured(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if e := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); e != "" && e != "otlp" {
		return false // "none", or an exporter Ocean does not ship
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// New returns tracing off unless the process environment configures an
// OTLP endpoint (Configured), and then an SDK provider that batches spans
// to it over OTLP/HTTP. The exporter, sampler, batcher and resource read
// the standard OTEL_* variables themselves; version is the service.version.
// Shutdown flushes what is left.
func New(ctx context.Context, version string) (*Tracing, error) {
	if !Configured(os.Getenv) {
		return nil, nil
	}
	if p := strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL") + os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")); p != "" && !strings.HasPrefix(p, "http/protobuf") {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: Ocean exports traces over http/protobuf only", p)
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry OTLP exporter: %w", err)
	}
	// Later options win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
	// override the defaults.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "ocean"), attribute.String("service.version", version)),
		resource.WithTelemetrySDK(), resource.WithHost(), resource.WithFromEnv())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("OpenTelemetry resource (OTEL_RESOURCE_ATTRIBUTES): %w", err)
	}
	// Without WithSampler the SDK reads OTEL_TRACES_SAMPLER; its default
	// is parent-based always-on.
	sdk := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t := NewWithProvider(sdk)
	t.sdk = sdk
	return t, nil
}

// NewWithProvider returns tracing that records spans with p (tests use the
// SDK's in-memory exporter).
func NewWithProvider(p trace.TracerProvider) *Tracing {
	return &Tracing{provider: p, tracer: p.Tracer(instrumentation), prop: propagation.TraceContext{}}
}

// Shutdown exports the spans still buffered and stops the exporter,
// giving up after ShutdownTimeout (a collector that is down must not hold
// up a stopping shop).
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.sdk == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, ShutdownTimeout)
	defer cancel()
	return t.sdk.Shutdown(ctx)
}

// ShutdownTimeout bounds Shutdown.
const ShutdownTimeout = 5 * time.Second

// Provider returns the tracer provider: a no-op one when tracing is off.
func (t *Tracing) Provider() trace.TracerProvider {
	if !t.Enabled() {
		return trace.NewNoopTracerProvider() //nolint:staticcheck // the API's own no-op, as cheap as noop.NewTracerProvider
	}
	return t.provider
}

// Span starts a span named name under the one in ctx, with attrs as
// key/value pairs, and returns the context to pass on and the func that
// ends it (recording a non-nil error). It is an ocean.SpanFunc: business
// packages and adapters take it as a plain func, so they trace without
// importing OpenTelemetry. Off, it returns ctx and a no-op.
func (t *Tracing) Span(ctx context.Context, name string, attrs ...string) (context.Context, func(error)) {
	if !t.Enabled() {
		return ctx, noEnd
	}
	var opts []trace.SpanStartOption
	if len(attrs) > 0 {
		kv := make([]attribute.KeyValue, 0, len(attrs)/2)
		for i := 0; i+1 < len(attrs); i += 2 {
			kv = append(kv, attribute.String(attrs[i], attrs[i+1]))
		}
		opts = append(opts, trace.WithAttributes(kv...))
	}
	ctx, span := t.tracer.Start(ctx, name, opts...)
	return ctx, func(err error) { end(span, err) }
}

// SpanFunc returns Span as an ocean.SpanFunc, or nil when tracing is off
// (so the callers skip even the call).
func (t *Tracing) SpanFunc() ocean.SpanFunc {
	if !t.Enabled() {
		return nil
	}
	return t.Span
}

func noEnd(error) {}

// end marks span failed when err is not nil (with the error's type only:
// messages can hold personal data) and ends it.
func end(span trace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, fmt.Sprintf("%T", err))
	}
	span.End()
}

// Transport wraps rt (nil: http.DefaultTransport) so outgoing requests
// carry the trace (traceparent) and get client spans. Off, it returns rt.
func (t *Tracing) Transport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	if !t.Enabled() {
		return rt
	}
	return newTransport(t, rt)
}

// Client returns an HTTP client with timeout whose requests carry the trace
// and get client spans, or nil when tracing is off (callers then use their
// own default client).
func (t *Tracing) Client(timeout time.Duration) *http.Client {
	if !t.Enabled() {
		return nil
	}
	return &http.Client{Timeout: timeout, Transport: t.Transport(nil)}
}

// newSpanContext is a fresh, unsampled root for a request when tracing is
// off and the caller sent no traceparent: it only names the request.
func newSpanContext() trace.SpanContext {
	var b [24]byte
	_, _ = rand.Read(b[:])
	var tid trace.TraceID
	var sid trace.SpanID
	copy(tid[:], b[:16])
	copy(sid[:], b[16:])
	if binary.BigEndian.Uint64(sid[:]) == 0 {
		sid[7] = 1 // an all-zero span id is invalid
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid})
}
