package ocean

import "context"

// SpanFunc starts a trace span named name, as a child of the span in ctx,
// with attributes given as key/value pairs ("lock.key", "cart:…"). It
// returns the context for the work inside the span and the func that ends
// the span with the work's error (nil for success). Business packages and
// adapters take one instead of importing a tracing library; internal/observe
// makes them. A nil SpanFunc traces nothing (see Span).
type SpanFunc func(ctx context.Context, name string, attrs ...string) (context.Context, func(error))

// Span calls f, or returns ctx and a no-op when f is nil.
func (f SpanFunc) Span(ctx context.Context, name string, attrs ...string) (context.Context, func(error)) {
	if f == nil {
		return ctx, noEnd
	}
	return f(ctx, name, attrs...)
}

func noEnd(error) {}
