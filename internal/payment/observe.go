package payment

import (
	"context"
	"errors"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Observer hears about one call to a gateway: op is "authorize",
// "capture", "void", "refund", "lookup" or "check_token". It returns the
// context for the call and the func that learns the call's error. Metrics
// and tracing are observers (internal/metrics, internal/observe).
type Observer func(ctx context.Context, gateway, op string) (context.Context, func(error))

// Observed returns g with every call reported to each observer, in order.
// It is a TokenChecker whatever g is: when g cannot check tokens, every
// token passes the check, as it would unwrapped.
func Observed(g Gateway, observers ...Observer) Gateway {
	if len(observers) == 0 {
		return g
	}
	return &observed{g: g, obs: observers}
}

type observed struct {
	g   Gateway
	obs []Observer
}

func (o *observed) call(ctx context.Context, op string, f func(context.Context) error) error {
	ends := make([]func(error), len(o.obs))
	for i, ob := range o.obs {
		ctx, ends[i] = ob(ctx, o.g.Name(), op)
	}
	err := f(ctx)
	for i := len(ends) - 1; i >= 0; i-- {
		ends[i](err)
	}
	return err
}

func (o *observed) auth(ctx context.Context, op string, f func(context.Context) (Authorization, error)) (Authorization, error) {
	var a Authorization
	err := o.call(ctx, op, func(ctx context.Context) (err error) {
		a, err = f(ctx)
		return err
	})
	return a, err
}

func (o *observed) Name() string { return o.g.Name() }

func (o *observed) Authorize(ctx context.Context, req AuthorizeRequest) (Authorization, error) {
	return o.auth(ctx, "authorize", func(ctx context.Context) (Authorization, error) { return o.g.Authorize(ctx, req) })
}

func (o *observed) Capture(ctx context.Context, id string) (Authorization, error) {
	return o.auth(ctx, "capture", func(ctx context.Context) (Authorization, error) { return o.g.Capture(ctx, id) })
}

func (o *observed) Void(ctx context.Context, id string) (Authorization, error) {
	return o.auth(ctx, "void", func(ctx context.Context) (Authorization, error) { return o.g.Void(ctx, id) })
}

func (o *observed) Refund(ctx context.Context, id string, amount int64, reference string) (Authorization, error) {
	return o.auth(ctx, "refund", func(ctx context.Context) (Authorization, error) { return o.g.Refund(ctx, id, amount, reference) })
}

func (o *observed) Lookup(ctx context.Context, reference string) (Authorization, error) {
	return o.auth(ctx, "lookup", func(ctx context.Context) (Authorization, error) { return o.g.Lookup(ctx, reference) })
}

func (o *observed) CheckToken(ctx context.Context, token string) error {
	tc, ok := o.g.(TokenChecker)
	if !ok {
		return nil
	}
	return o.call(ctx, "check_token", func(ctx context.Context) error { return tc.CheckToken(ctx, token) })
}

// The outcomes of a gateway call (Outcome).
const (
	Succeeded = "succeeded" // the gateway did it
	Declined  = "declined"  // the card was refused (*Decline)
	Failed    = "error"     // the gateway refused the request or was not reached; nothing was done
	Unknown   = "unknown"   // no answer: it may or may not have happened (the reconciler settles it)
)

// Outcome classifies a gateway call's error into an outcome and a reason
// from a fixed set, for metrics and traces: Succeeded with "none";
// Declined with the decline code (one of the codes this package has words
// for, else "other"); Failed with "rejected" (an *ocean.Error: not found,
// conflict, invalid) or "unavailable" (the gateway says nothing was done);
// Unknown with "timeout" or "no_answer".
func Outcome(err error) (outcome, reason string) {
	var d *Decline
	var oe *ocean.Error
	switch {
	case err == nil:
		return Succeeded, "none"
	case errors.As(err, &d):
		if _, ok := declineMessages[d.Code]; ok {
			return Declined, d.Code
		}
		return Declined, "other"
	case NothingDone(err):
		return Failed, "unavailable"
	case errors.As(err, &oe):
		return Failed, "rejected"
	case errors.Is(err, context.DeadlineExceeded):
		return Unknown, "timeout"
	default:
		return Unknown, "no_answer"
	}
}
