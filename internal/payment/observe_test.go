package payment_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
)

// fake answers every call with err and counts them.
type fake struct {
	err   error
	calls []string
}

func (f *fake) Name() string { return "fake" }
func (f *fake) do(op string) (payment.Authorization, error) {
	f.calls = append(f.calls, op)
	return payment.Authorization{ID: "a1"}, f.err
}
func (f *fake) Authorize(context.Context, payment.AuthorizeRequest) (payment.Authorization, error) {
	return f.do("authorize")
}
func (f *fake) Capture(context.Context, string) (payment.Authorization, error) {
	return f.do("capture")
}
func (f *fake) Void(context.Context, string) (payment.Authorization, error) { return f.do("void") }
func (f *fake) Refund(context.Context, string, int64, string) (payment.Authorization, error) {
	return f.do("refund")
}
func (f *fake) Lookup(context.Context, string) (payment.Authorization, error) { return f.do("lookup") }

type checker struct{ fake }

func (c *checker) CheckToken(context.Context, string) error {
	c.calls = append(c.calls, "check_token")
	return c.err
}

type key struct{}

func TestObservedReportsEveryCall(t *testing.T) {
	var log []string
	observer := func(tag string) payment.Observer {
		return func(ctx context.Context, gateway, op string) (context.Context, func(error)) {
			log = append(log, tag+" start "+gateway+" "+op)
			ctx = context.WithValue(ctx, key{}, tag)
			return ctx, func(err error) { log = append(log, fmt.Sprintf("%s end %s %v", tag, op, err)) }
		}
	}
	g := &checker{fake{err: payment.NewDecline("card_declined")}}
	og := payment.Observed(g, observer("metrics"), observer("trace"))
	ctx := context.Background()
	a, err := og.Authorize(ctx, payment.AuthorizeRequest{})
	var d *payment.Decline
	if !errors.As(err, &d) || a.ID != "a1" || og.Name() != "fake" {
		t.Fatalf("Authorize through the observer: %+v %v", a, err)
	}
	_, _ = og.Capture(ctx, "a1")
	_, _ = og.Void(ctx, "a1")
	_, _ = og.Refund(ctx, "a1", 1, "r")
	_, _ = og.Lookup(ctx, "ref")
	if err := og.(payment.TokenChecker).CheckToken(ctx, "tok"); !errors.As(err, &d) {
		t.Errorf("CheckToken: %v", err)
	}
	if want := []string{"authorize", "capture", "void", "refund", "lookup", "check_token"}; !slices.Equal(g.calls, want) {
		t.Errorf("gateway calls %q, want %q", g.calls, want)
	}
	want := []string{"metrics start fake authorize", "trace start fake authorize",
		"trace end authorize payment declined: card_declined: " + d.Message, "metrics end authorize payment declined: card_declined: " + d.Message}
	if !slices.Equal(log[:4], want) || len(log) != 24 {
		t.Errorf("observers heard %q", log)
	}

	// A gateway that cannot check tokens lets every token through, as it
	// would unwrapped.
	plain := &fake{err: errors.New("down")}
	if err := payment.Observed(plain, observer("m")).(payment.TokenChecker).CheckToken(ctx, "tok"); err != nil || len(plain.calls) != 0 {
		t.Errorf("CheckToken on a gateway without it: %v, calls %q", err, plain.calls)
	}
	if payment.Observed(plain) != payment.Gateway(plain) {
		t.Error("no observers should leave the gateway as it is")
	}
}

type nothingDone struct{}

func (nothingDone) Error() string     { return "connection refused" }
func (nothingDone) NothingDone() bool { return true }

func TestOutcome(t *testing.T) {
	for _, c := range []struct {
		err             error
		outcome, reason string
	}{
		{nil, payment.Succeeded, "none"},
		{payment.NewDecline("insufficient_funds"), payment.Declined, "insufficient_funds"},
		{fmt.Errorf("wrapped: %w", payment.NewDecline("card_declined")), payment.Declined, "card_declined"},
		{&payment.Decline{Code: "made_up_by_a_gateway_123"}, payment.Declined, "other"},
		{nothingDone{}, payment.Failed, "unavailable"},
		{ocean.Errorf(ocean.ECONFLICT, "voided"), payment.Failed, "rejected"},
		{fmt.Errorf("post: %w", context.DeadlineExceeded), payment.Unknown, "timeout"},
		{errors.New("connection reset by peer"), payment.Unknown, "no_answer"},
	} {
		if o, r := payment.Outcome(c.err); o != c.outcome || r != c.reason {
			t.Errorf("Outcome(%v) = %s, %s; want %s, %s", c.err, o, r, c.outcome, c.reason)
		}
	}
}
