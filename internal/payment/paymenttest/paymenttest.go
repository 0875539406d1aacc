// Package paymenttest is the contract every payment.Gateway keeps: what the
// checkout and reconciliation rely on. Each gateway's tests run it.
package paymenttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
)

// Tokens are the gateway's test tokens for each outcome.
type Tokens struct {
	Succeeds          string // authorizes
	Declined          string // declined: card_declined
	InsufficientFunds string // declined: insufficient_funds
	ProcessingError   string // declined: processing_error
	Unknown           string // never issued: invalid_token
}

// NewGateway returns the gateway under test, fresh or shared; the contract
// uses new references every time, so sharing is fine.
type NewGateway func(t *testing.T) payment.Gateway

// Ref returns a new unique payment reference.
func Ref(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

var ctx = context.Background()

func zar(amount int64) ocean.Money { return ocean.Money{Amount: amount, Currency: "ZAR"} }

// Authorize authorizes amount ZAR with the succeeding token under a new
// reference and fails the test on error.
func Authorize(t *testing.T, g payment.Gateway, tokens Tokens, amount int64) payment.Authorization {
	t.Helper()
	req := payment.AuthorizeRequest{Reference: Ref("ord"), Amount: zar(amount), Token: tokens.Succeeds, Email: "shopper@example.com", Description: "Order"}
	a, err := g.Authorize(ctx, req)
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	return a
}

// WantCode fails unless err carries the ocean error code.
func WantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := ocean.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if ocean.ErrorMessage(err) == "" {
		t.Fatalf("error %v has no message for people", err)
	}
}

// WantDecline fails unless err is a *payment.Decline with the code and a
// message a shopper can read.
func WantDecline(t *testing.T, err error, code string) {
	t.Helper()
	var d *payment.Decline
	if !errors.As(err, &d) {
		t.Fatalf("error = %v (%T), want a *payment.Decline %q", err, err, code)
	}
	if d.Code != code {
		t.Fatalf("decline code = %q, want %q", d.Code, code)
	}
	if len(d.Message) < 10 {
		t.Fatalf("decline %q has no message for people: %q", code, d.Message)
	}
}

// Contract runs every check against a gateway that keeps state.
func Contract(t *testing.T, newGateway NewGateway, tokens Tokens) {
	t.Run("AuthorizeHoldsTheAmount", func(t *testing.T) {
		g := newGateway(t)
		ref := Ref("ord")
		a, err := g.Authorize(ctx, payment.AuthorizeRequest{Reference: ref, Amount: zar(129900), Token: tokens.Succeeds, Email: "a@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if a.ID == "" || a.Reference != ref || a.Amount != zar(129900) || a.Status != payment.Authorized || a.Refunded != 0 {
			t.Fatalf("authorization = %+v", a)
		}
		if a.Card == "" {
			t.Error("authorization has no card description for the receipt")
		}
	})

	t.Run("AuthorizeRefusesBadRequests", func(t *testing.T) {
		g := newGateway(t)
		for name, req := range map[string]payment.AuthorizeRequest{
			"no reference":   {Amount: zar(100), Token: tokens.Succeeds},
			"zero amount":    {Reference: Ref("ord"), Amount: zar(0), Token: tokens.Succeeds},
			"negative":       {Reference: Ref("ord"), Amount: zar(-5), Token: tokens.Succeeds},
			"no currency":    {Reference: Ref("ord"), Amount: ocean.Money{Amount: 100}, Token: tokens.Succeeds},
			"lower currency": {Reference: Ref("ord"), Amount: ocean.Money{Amount: 100, Currency: "zar"}, Token: tokens.Succeeds},
		} {
			_, err := g.Authorize(ctx, req)
			if ocean.ErrorCode(err) != ocean.EINVALID {
				t.Errorf("%s: err = %v, want EINVALID", name, err)
			}
		}
	})

	t.Run("AuthorizeIsIdempotentOnReference", func(t *testing.T) {
		g := newGateway(t)
		req := payment.AuthorizeRequest{Reference: Ref("ord"), Amount: zar(5000), Token: tokens.Succeeds}
		first, err := g.Authorize(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := g.Authorize(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID {
			t.Fatalf("a retry made a second hold: %s then %s", first.ID, again.ID)
		}
		// The same reference for another amount is a mistake, not a retry.
		other := req
		other.Amount = zar(9999)
		_, err = g.Authorize(ctx, other)
		WantCode(t, err, ocean.ECONFLICT)
	})

	t.Run("ConcurrentAuthorizeMakesOneHold", func(t *testing.T) {
		g := newGateway(t)
		req := payment.AuthorizeRequest{Reference: Ref("ord"), Amount: zar(7000), Token: tokens.Succeeds}
		const n = 10
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := g.Authorize(ctx, req)
				ids[i], errs[i] = a.ID, err
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			if ids[i] != ids[0] {
				t.Fatalf("concurrent calls made two holds: %s and %s", ids[0], ids[i])
			}
		}
		found, err := g.Lookup(ctx, req.Reference)
		if err != nil || found.ID != ids[0] {
			t.Fatalf("Lookup = %+v, %v; want %s", found, err, ids[0])
		}
	})

	t.Run("Declines", func(t *testing.T) {
		g := newGateway(t)
		for _, c := range []struct{ token, code string }{
			{tokens.Declined, "card_declined"},
			{tokens.InsufficientFunds, "insufficient_funds"},
			{tokens.ProcessingError, "processing_error"},
			{tokens.Unknown, "invalid_token"},
			{"", "invalid_token"},
		} {
			ref := Ref("ord")
			_, err := g.Authorize(ctx, payment.AuthorizeRequest{Reference: ref, Amount: zar(1000), Token: c.token})
			WantDecline(t, err, c.code)
			// A decline leaves no authorization to reconcile.
			_, err = g.Lookup(ctx, ref)
			WantCode(t, err, ocean.ENOTFOUND)
		}
		if tc, ok := g.(payment.TokenChecker); ok {
			if err := tc.CheckToken(ctx, tokens.Succeeds); err != nil {
				t.Errorf("CheckToken(%s) = %v", tokens.Succeeds, err)
			}
			if err := tc.CheckToken(ctx, tokens.Declined); err != nil {
				t.Errorf("CheckToken(%s) = %v; a declining token still exists", tokens.Declined, err)
			}
			WantDecline(t, tc.CheckToken(ctx, tokens.Unknown), "invalid_token")
		}
	})

	t.Run("CaptureTakesTheMoneyOnce", func(t *testing.T) {
		g := newGateway(t)
		a := Authorize(t, g, tokens, 2500)
		c, err := g.Capture(ctx, a.ID)
		if err != nil || c.Status != payment.Captured || c.Amount != a.Amount || c.ID != a.ID {
			t.Fatalf("Capture = %+v, %v", c, err)
		}
		again, err := g.Capture(ctx, a.ID)
		if err != nil || again.Status != payment.Captured {
			t.Fatalf("a retried capture = %+v, %v; want the captured payment", again, err)
		}
		_, err = g.Void(ctx, a.ID)
		WantCode(t, err, ocean.ECONFLICT)
		if l, err := g.Lookup(ctx, a.Reference); err != nil || l.Status != payment.Captured {
			t.Fatalf("Lookup after capture = %+v, %v", l, err)
		}
	})

	t.Run("VoidReleasesTheHold", func(t *testing.T) {
		g := newGateway(t)
		a := Authorize(t, g, tokens, 2500)
		v, err := g.Void(ctx, a.ID)
		if err != nil || v.Status != payment.Voided {
			t.Fatalf("Void = %+v, %v", v, err)
		}
		again, err := g.Void(ctx, a.ID)
		if err != nil || again.Status != payment.Voided {
			t.Fatalf("a retried void = %+v, %v; want the voided payment", again, err)
		}
		_, err = g.Capture(ctx, a.ID)
		WantCode(t, err, ocean.ECONFLICT)
		_, err = g.Refund(ctx, a.ID, 100, Ref("rf"))
		WantCode(t, err, ocean.ECONFLICT)
	})

	t.Run("CaptureOrVoidNotBoth", func(t *testing.T) {
		g := newGateway(t)
		a := Authorize(t, g, tokens, 2500)
		var wg sync.WaitGroup
		var capErr, voidErr error
		wg.Add(2)
		go func() { defer wg.Done(); _, capErr = g.Capture(ctx, a.ID) }()
		go func() { defer wg.Done(); _, voidErr = g.Void(ctx, a.ID) }()
		wg.Wait()
		if (capErr == nil) == (voidErr == nil) {
			t.Fatalf("capture err %v, void err %v: exactly one must win", capErr, voidErr)
		}
		l, err := g.Lookup(ctx, a.Reference)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]payment.Status{true: payment.Captured, false: payment.Voided}[capErr == nil]; l.Status != want {
			t.Fatalf("status = %s, want %s", l.Status, want)
		}
	})

	t.Run("RefundOnlyWhatWasCaptured", func(t *testing.T) {
		g := newGateway(t)
		a := Authorize(t, g, tokens, 1000)
		_, err := g.Refund(ctx, a.ID, 100, Ref("rf"))
		WantCode(t, err, ocean.ECONFLICT) // not captured yet
		if _, err := g.Capture(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		for _, amount := range []int64{0, -1} {
			_, err = g.Refund(ctx, a.ID, amount, Ref("rf"))
			WantCode(t, err, ocean.EINVALID)
		}
		_, err = g.Refund(ctx, a.ID, 1001, Ref("rf"))
		WantCode(t, err, ocean.EUNPROCESSABLE)

		ref := Ref("rf")
		r, err := g.Refund(ctx, a.ID, 300, ref)
		if err != nil || r.Refunded != 300 || r.Status != payment.Captured {
			t.Fatalf("Refund 300 = %+v, %v", r, err)
		}
		r, err = g.Refund(ctx, a.ID, 300, ref)
		if err != nil || r.Refunded != 300 {
			t.Fatalf("a retried refund = %+v, %v; want 300 refunded once", r, err)
		}
		_, err = g.Refund(ctx, a.ID, 400, ref)
		WantCode(t, err, ocean.ECONFLICT) // the reference names another refund

		_, err = g.Refund(ctx, a.ID, 701, Ref("rf"))
		WantCode(t, err, ocean.EUNPROCESSABLE)
		r, err = g.Refund(ctx, a.ID, 700, Ref("rf"))
		if err != nil || r.Refunded != 1000 {
			t.Fatalf("Refund the rest = %+v, %v", r, err)
		}
		_, err = g.Refund(ctx, a.ID, 1, Ref("rf"))
		WantCode(t, err, ocean.EUNPROCESSABLE)
		if l, err := g.Lookup(ctx, a.Reference); err != nil || l.Refunded != 1000 {
			t.Fatalf("Lookup after refunds = %+v, %v", l, err)
		}
	})

	t.Run("ConcurrentRefundsNeverExceedTheAmount", func(t *testing.T) {
		g := newGateway(t)
		a := Authorize(t, g, tokens, 1000)
		if _, err := g.Capture(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		const n = 10
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := g.Refund(ctx, a.ID, 300, Ref("rf"))
				mu.Lock()
				defer mu.Unlock()
				switch ocean.ErrorCode(err) {
				case "":
					ok++
				case ocean.EUNPROCESSABLE:
				default:
					t.Errorf("Refund: %v", err)
				}
			}()
		}
		wg.Wait()
		l, err := g.Lookup(ctx, a.Reference)
		if err != nil {
			t.Fatal(err)
		}
		if ok != 3 || l.Refunded != 900 {
			t.Fatalf("%d refunds of 300 went through, refunded %d; want 3 and 900", ok, l.Refunded)
		}
	})

	t.Run("UnknownIDsAndReferences", func(t *testing.T) {
		g := newGateway(t)
		_, err := g.Capture(ctx, "missing")
		WantCode(t, err, ocean.ENOTFOUND)
		_, err = g.Void(ctx, "missing")
		WantCode(t, err, ocean.ENOTFOUND)
		_, err = g.Refund(ctx, "missing", 100, Ref("rf"))
		WantCode(t, err, ocean.ENOTFOUND)
		_, err = g.Lookup(ctx, Ref("never"))
		WantCode(t, err, ocean.ENOTFOUND)
	})
}

// Stateless runs the checks that hold against a gateway simulator that
// keeps no state between calls, such as stripe-mock: it answers every
// call with a valid object, never a decline or a refusal, so idempotency,
// declines, illegal transitions, refund limits and Lookup cannot be
// observed there. Those are covered by Contract on the sandbox and, for
// the Stripe gateway, by its tests with scripted Stripe answers.
func Stateless(t *testing.T, newGateway NewGateway, tokens Tokens) {
	t.Run("AuthorizeHoldsTheAmount", func(t *testing.T) {
		g := newGateway(t)
		ref := Ref("ord")
		a, err := g.Authorize(ctx, payment.AuthorizeRequest{Reference: ref, Amount: zar(129900), Token: tokens.Succeeds, Description: "Order 1001"})
		if err != nil {
			t.Fatal(err)
		}
		if a.ID == "" || a.Reference != ref || a.Amount != zar(129900) || a.Status != payment.Authorized {
			t.Fatalf("authorization = %+v", a)
		}
		if a.Card == "" {
			t.Error("authorization has no card description for the receipt")
		}
	})
	t.Run("AuthorizeRefusesBadRequests", func(t *testing.T) {
		g := newGateway(t)
		for name, req := range map[string]payment.AuthorizeRequest{
			"no reference": {Amount: zar(100), Token: tokens.Succeeds},
			"zero amount":  {Reference: Ref("ord"), Amount: zar(0), Token: tokens.Succeeds},
			"no currency":  {Reference: Ref("ord"), Amount: ocean.Money{Amount: 100}, Token: tokens.Succeeds},
		} {
			_, err := g.Authorize(ctx, req)
			if ocean.ErrorCode(err) != ocean.EINVALID {
				t.Errorf("%s: err = %v, want EINVALID", name, err)
			}
		}
		_, err := g.Authorize(ctx, payment.AuthorizeRequest{Reference: Ref("ord"), Amount: zar(100)})
		WantDecline(t, err, "invalid_token")
	})
	t.Run("CaptureVoidRefund", func(t *testing.T) {
		g := newGateway(t)
		a := Authorize(t, g, tokens, 2500)
		c, err := g.Capture(ctx, a.ID)
		if err != nil || c.Status != payment.Captured {
			t.Fatalf("Capture = %+v, %v", c, err)
		}
		r, err := g.Refund(ctx, a.ID, 1000, Ref("rf"))
		if err != nil || r.Status != payment.Captured {
			t.Fatalf("Refund = %+v, %v", r, err)
		}
		for _, amount := range []int64{0, -1} {
			_, err = g.Refund(ctx, a.ID, amount, Ref("rf"))
			WantCode(t, err, ocean.EINVALID)
		}
		b := Authorize(t, g, tokens, 2500)
		v, err := g.Void(ctx, b.ID)
		if err != nil || v.Status != payment.Voided {
			t.Fatalf("Void = %+v, %v", v, err)
		}
	})
}
