package observe

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/oceanshop/ocean/internal/payment"
)

// Gateway is a payment.Observer: each gateway call is a client span
// ("payment.authorize") with the gateway's name and the call's outcome and
// reason (payment.Outcome). A declined card is an answer, not a failed
// span; an error or an unknown outcome is.
func (t *Tracing) Gateway(ctx context.Context, gateway, op string) (context.Context, func(error)) {
	if !t.Enabled() {
		return ctx, noEnd
	}
	ctx, span := t.tracer.Start(ctx, "payment."+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("payment.gateway", gateway)))
	return ctx, func(err error) {
		outcome, reason := payment.Outcome(err)
		span.SetAttributes(attribute.String("payment.outcome", outcome), attribute.String("payment.reason", reason))
		if outcome == payment.Failed || outcome == payment.Unknown {
			span.SetStatus(codes.Error, outcome+": "+reason)
		}
		span.End()
	}
}
