package stripe_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/payment/paymenttest"
	"github.com/oceanshop/ocean/internal/payment/stripe"
)

var ctx = context.Background()

var tokens = paymenttest.Tokens{
	Succeeds:          "tok_visa",
	Declined:          "tok_chargeDeclined",
	InsufficientFunds: "tok_chargeDeclinedInsufficientFunds",
	ProcessingError:   "tok_chargeDeclinedProcessingError",
	Unknown:           "tok_neverIssued",
}

func onMock(t *testing.T) (*stripe.Gateway, *mockAdapter) {
	t.Helper()
	m := &mockAdapter{}
	g, err := stripe.New(stripe.Config{Key: "sk_test_123", URL: mockURL(t), HTTPClient: &http.Client{Transport: m, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return g, m
}

// stripe-mock is stateless: see paymenttest.Stateless for what that
// leaves out, and the scripted tests below for those cases.
func TestStripeMockContract(t *testing.T) {
	paymenttest.Stateless(t, func(t *testing.T) payment.Gateway { g, _ := onMock(t); return g }, tokens)
}

func TestAuthorizeRequest(t *testing.T) {
	g, m := onMock(t)
	ref := paymenttest.Ref("ord")
	a, err := g.Authorize(ctx, payment.AuthorizeRequest{Reference: ref, Amount: ocean.Money{Amount: 129900, Currency: "ZAR"}, Token: "tok_visa", Email: "shopper@example.com", Description: "Order 1001"})
	if err != nil {
		t.Fatal(err)
	}
	c := m.last(t, "POST", "/v1/payment_intents")
	if c.Status != 200 {
		t.Fatalf("stripe-mock refused the request: %d", c.Status)
	}
	for k, want := range map[string]string{
		"amount": "129900", "currency": "zar", "capture_method": "manual", "confirm": "true",
		"payment_method": "tok_visa", "metadata[ocean_reference]": ref, "payment_method_types[0]": "card",
		"description": "Order 1001",
	} {
		if got := c.Form.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if c.IdempotencyKey != ref {
		t.Errorf("Idempotency-Key = %q, want the reference %q", c.IdempotencyKey, ref)
	}
	for k := range c.Form {
		if strings.Contains(k, "email") {
			t.Errorf("the shopper's email is sent to Stripe as %s", k)
		}
	}
	if !strings.HasPrefix(a.ID, "pi_") || a.Card != "Visa ending 4242" {
		t.Errorf("authorization = %+v", a)
	}
}

func TestCaptureVoidRefundRequests(t *testing.T) {
	g, m := onMock(t)
	a := paymenttest.Authorize(t, g, tokens, 5000)
	if _, err := g.Capture(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	c := m.last(t, "POST", "/v1/payment_intents/"+a.ID+"/capture")
	if c.IdempotencyKey != "capture-"+a.ID {
		t.Errorf("capture Idempotency-Key = %q", c.IdempotencyKey)
	}
	ref := paymenttest.Ref("rf")
	if _, err := g.Refund(ctx, a.ID, 1200, ref); err != nil {
		t.Fatal(err)
	}
	c = m.last(t, "POST", "/v1/refunds")
	if c.Form.Get("payment_intent") != a.ID || c.Form.Get("amount") != "1200" || c.IdempotencyKey != "refund-"+ref || c.Status != 200 {
		t.Errorf("refund request = %+v", c)
	}
	b := paymenttest.Authorize(t, g, tokens, 5000)
	if _, err := g.Void(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	c = m.last(t, "POST", "/v1/payment_intents/"+b.ID+"/cancel")
	if c.IdempotencyKey != "void-"+b.ID || c.Status != 200 {
		t.Errorf("cancel request = %+v", c)
	}
}

func TestLookupSearchesMetadata(t *testing.T) {
	g, m := onMock(t)
	ref := "ord_it's"
	_, err := g.Lookup(ctx, ref)
	// stripe-mock's search fixture is some other PaymentIntent, so the
	// gateway must not take it for ours.
	paymenttest.WantCode(t, err, ocean.ENOTFOUND)
	c := m.last(t, "GET", "/v1/payment_intents/search")
	if q := c.Form.Get("query"); q != `metadata['ocean_reference']:'ord_it\'s'` || c.Status != 200 {
		t.Errorf("search query = %q (status %d)", q, c.Status)
	}
}

// scripted is a fake Stripe API that answers each request with the
// status and JSON body the test scripts, for the answers stripe-mock
// never gives (declines, refusals, state errors).
func scripted(t *testing.T, answer func(r *http.Request) (int, string)) *stripe.Gateway {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, body := answer(r)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Stripe-Should-Retry", "false")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	g, err := stripe.New(stripe.Config{Key: "sk_test_123", URL: srv.URL, MaxNetworkRetries: new(int64)})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func cardError(code, declineCode string) string {
	return fmt.Sprintf(`{"error": {"type": "card_error", "code": %q, "decline_code": %q, "message": "Your card was declined."}}`, code, declineCode)
}

func pi(id, status string) string {
	return fmt.Sprintf(`{"id": %q, "object": "payment_intent", "status": %q, "amount": 5000, "currency": "zar", "metadata": {"ocean_reference": "ord_1"},
		"latest_charge": {"id": "ch_1", "object": "charge", "amount_refunded": 700}}`, id, status)
}

func TestDeclineMapping(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		code   string
	}{
		{402, cardError("card_declined", "generic_decline"), "card_declined"},
		{402, cardError("card_declined", "insufficient_funds"), "insufficient_funds"},
		{402, cardError("expired_card", ""), "expired_card"},
		{402, cardError("incorrect_cvc", ""), "incorrect_cvc"},
		{402, cardError("processing_error", ""), "processing_error"},
		{402, cardError("card_declined", "fraudulent"), "card_declined"},
		{400, `{"error": {"type": "invalid_request_error", "code": "resource_missing", "param": "payment_method", "message": "No such PaymentMethod: 'tok_x'"}}`, "invalid_token"},
		{200, `{"id": "pi_1", "object": "payment_intent", "status": "requires_payment_method", "last_payment_error": {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"}}`, "insufficient_funds"},
		{200, `{"id": "pi_1", "object": "payment_intent", "status": "requires_action"}`, "authentication_required"},
	} {
		g := scripted(t, func(r *http.Request) (int, string) {
			if strings.HasSuffix(r.URL.Path, "/cancel") {
				return 200, pi("pi_1", "canceled")
			}
			return c.status, c.body
		})
		_, err := g.Authorize(ctx, payment.AuthorizeRequest{Reference: "ord_1", Amount: ocean.Money{Amount: 5000, Currency: "ZAR"}, Token: "tok_x"})
		paymenttest.WantDecline(t, err, c.code)
	}
}

func TestStateAnswers(t *testing.T) {
	unexpected := `{"error": {"type": "invalid_request_error", "code": "payment_intent_unexpected_state", "message": "This PaymentIntent could not be captured because it has a status of succeeded."}}`
	missing := `{"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such payment_intent: 'pi_x'"}}`

	// Capturing twice returns the captured payment.
	g := scripted(t, func(r *http.Request) (int, string) {
		if r.Method == "GET" {
			return 200, pi("pi_1", "succeeded")
		}
		return 400, unexpected
	})
	a, err := g.Capture(ctx, "pi_1")
	if err != nil || a.Status != payment.Captured || a.Refunded != 700 || a.Reference != "ord_1" || a.Amount != (ocean.Money{Amount: 5000, Currency: "ZAR"}) {
		t.Fatalf("second capture = %+v, %v", a, err)
	}
	// Voiding a captured payment is an illegal transition.
	_, err = g.Void(ctx, "pi_1")
	paymenttest.WantCode(t, err, ocean.ECONFLICT)

	// Capturing a voided one too.
	g = scripted(t, func(r *http.Request) (int, string) {
		if r.Method == "GET" {
			return 200, pi("pi_1", "canceled")
		}
		return 400, unexpected
	})
	_, err = g.Capture(ctx, "pi_1")
	paymenttest.WantCode(t, err, ocean.ECONFLICT)
	_, err = g.Refund(ctx, "pi_1", 100, "rf_1")
	paymenttest.WantCode(t, err, ocean.ECONFLICT)

	// Unknown ids.
	g = scripted(t, func(*http.Request) (int, string) { return 404, missing })
	for name, f := range map[string]func() error{
		"capture": func() error { _, err := g.Capture(ctx, "pi_x"); return err },
		"void":    func() error { _, err := g.Void(ctx, "pi_x"); return err },
		"refund":  func() error { _, err := g.Refund(ctx, "pi_x", 1, "rf"); return err },
	} {
		if err := f(); ocean.ErrorCode(err) != ocean.ENOTFOUND {
			t.Errorf("%s: %v, want ENOTFOUND", name, err)
		}
	}

	// A refund above what is left.
	g = scripted(t, func(r *http.Request) (int, string) {
		if r.Method == "GET" {
			return 200, pi("pi_1", "succeeded")
		}
		return 400, `{"error": {"type": "invalid_request_error", "code": "amount_too_large", "param": "amount", "message": "Refund amount is greater than unrefunded amount on charge"}}`
	})
	_, err = g.Refund(ctx, "pi_1", 4301, "rf_1")
	paymenttest.WantCode(t, err, ocean.EUNPROCESSABLE)
	if !strings.Contains(ocean.ErrorMessage(err), "R43.00") {
		t.Errorf("message %q does not say what is left", ocean.ErrorMessage(err))
	}

	// The same reference for a different payment.
	g = scripted(t, func(*http.Request) (int, string) {
		return 400, `{"error": {"type": "idempotency_error", "message": "Keys for idempotent requests can only be used with the same parameters they were first used with."}}`
	})
	_, err = g.Authorize(ctx, payment.AuthorizeRequest{Reference: "ord_1", Amount: ocean.Money{Amount: 1, Currency: "ZAR"}, Token: "tok_visa"})
	paymenttest.WantCode(t, err, ocean.ECONFLICT)

	// A Stripe outage is neither a decline nor a business answer: the
	// caller may retry.
	g = scripted(t, func(*http.Request) (int, string) {
		return 500, `{"error": {"type": "api_error", "message": "Something went wrong."}}`
	})
	_, err = g.Authorize(ctx, payment.AuthorizeRequest{Reference: "ord_1", Amount: ocean.Money{Amount: 1, Currency: "ZAR"}, Token: "tok_visa"})
	var d *payment.Decline
	if err == nil || errors.As(err, &d) || ocean.ErrorCode(err) != ocean.EINTERNAL {
		t.Errorf("outage: %v", err)
	}
}

func TestLookupFindsTheReference(t *testing.T) {
	var searches atomic.Int32
	g := scripted(t, func(r *http.Request) (int, string) {
		searches.Add(1)
		if !strings.Contains(r.URL.Query().Get("query"), "'ord_1'") {
			return 200, `{"object": "search_result", "data": [], "has_more": false}`
		}
		// A look-alike first: search matches loosely, the gateway checks.
		other := strings.Replace(pi("pi_0", "requires_capture"), `"ord_1"`, `"ord_10"`, 1)
		return 200, `{"object": "search_result", "data": [` + other + `, ` + pi("pi_1", "requires_capture") + `], "has_more": false}`
	})
	a, err := g.Lookup(ctx, "ord_1")
	if err != nil || a.ID != "pi_1" || a.Status != payment.Authorized {
		t.Fatalf("Lookup = %+v, %v", a, err)
	}
	_, err = g.Lookup(ctx, "ord_2")
	paymenttest.WantCode(t, err, ocean.ENOTFOUND)
}

func TestNewChecksSettings(t *testing.T) {
	if _, err := stripe.New(stripe.Config{}); err == nil || !strings.Contains(err.Error(), "OCEAN_STRIPE_KEY") {
		t.Errorf("no key: %v", err)
	}
	if _, err := stripe.New(stripe.Config{Key: "sk_test_1", URL: "ftp://x"}); err == nil || !strings.Contains(err.Error(), "OCEAN_STRIPE_URL") {
		t.Errorf("bad URL: %v", err)
	}
	g, err := stripe.New(stripe.Config{Key: "sk_test_1"})
	if err != nil || g.Name() != "stripe" {
		t.Errorf("defaults: %v", err)
	}
}
