package checkout_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/pricing"
)

func TestCheckoutPaysCapturesAndConfirms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cartID := e.newCart(0, e.tee, 2)
	o, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
	if err != nil {
		t.Fatal(err)
	}
	// 2 × 200.00, free shipping above 1000.00 does not apply: 60.00; VAT 15% on top.
	if o.Status != order.Paid || o.PaymentStatus != order.PaymentCaptured || o.PaidAt == nil || o.Card == "" {
		t.Fatalf("order %+v", o)
	}
	if got := o.Totals.Total.Amount; got != (40000+6000)*115/100 {
		t.Errorf("total %d", got)
	}
	if o.Address.Line1 != "1 Long Street" || o.SealedAddress == "" || strings.Contains(o.SealedAddress, "Long Street") {
		t.Errorf("address %+v sealed as %q", o.Address, o.SealedAddress)
	}
	if e.stock(e.tee) != 8 || e.cartStatus(cartID) != cart.Ordered || e.changed.Load() == 0 {
		t.Errorf("stock %d, cart %s, stock-changed calls %d", e.stock(e.tee), e.cartStatus(cartID), e.changed.Load())
	}
	// The catalog hears which variant sold, so it drops that product's
	// entries and not the whole catalog.
	if calls := e.stockCalls(); len(calls) != 1 || !slices.Equal(calls[0].variants, []int64{e.tee}) || !calls[0].sold {
		t.Errorf("stock-changed calls %+v, want one sale of variant %d", calls, e.tee)
	}
	if a := e.auth(o); a.Status != payment.Captured || a.Amount != o.Totals.Total {
		t.Errorf("gateway has %+v", a)
	}
	m := e.sentMails()
	if len(m) != 1 || m[0].to != "ann@example.com" || !strings.Contains(m[0].subject, o.Number()) ||
		!strings.Contains(m[0].text, "2 × Tee (size: M)") || !strings.Contains(m[0].text, "Flat 2") ||
		!strings.Contains(m[0].text, "https://shop.example/orders/"+o.PublicID) || !strings.Contains(m[0].text, "VAT 15%") {
		t.Errorf("confirmation %+v", m)
	}
}

func TestCheckoutMailWithDiscountAndIncludedTax(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The shop's settings say prices include tax.
	st, err := e.svc.Settings(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.PricesIncludeTax = true
	if _, err := e.svc.UpdateSettings(e.ctx, *st, pricing.Actor{}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CreateDiscount(e.ctx, &pricing.Discount{Code: "ten", Kind: pricing.Percent, Value: 10}); err != nil {
		t.Fatal(err)
	}
	ds, err := e.svc.Discounts(e.ctx)
	if err != nil || len(ds) != 1 || ds[0].Code != "TEN" {
		t.Fatalf("discounts %+v %v", ds, err)
	}
	cartID := e.newCart(0, e.tee, 1)
	if _, err := e.carts.ApplyDiscount(e.ctx, cartID, 0, "TEN"); err != nil {
		t.Fatal(err)
	}
	e.mailErr = errors.New("smtp: connection refused")
	r := e.request(cartID, 0, "tok_visa")
	r.Address.Line2 = ""
	o, err := e.svc.Checkout(e.ctx, r)
	if err != nil {
		t.Fatal(err) // a failed confirmation mail does not fail the order
	}
	if o.DiscountCode != "TEN" || o.Totals.Discount.Amount != 2000 || !o.Totals.TaxIncluded || o.CustomerKey != "email:ann@example.com" {
		t.Errorf("order %+v", o)
	}
	m := e.sentMails()
	if len(m) != 1 || !strings.Contains(m[0].text, "Discount (TEN): -") || !strings.Contains(m[0].text, "Includes VAT 15%") {
		t.Errorf("mail %+v", m)
	}
	if !e.log.has("order confirmation not sent") {
		t.Error("the failed mail was not logged")
	}
	// The create refuses an invalid code.
	wantCode(t, e.svc.CreateDiscount(e.ctx, &pricing.Discount{Code: "", Kind: pricing.Percent, Value: 500}), ocean.EINVALID)
}

func TestCheckoutRefusesBadRequestsBeforeWriting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cartID := e.newCart(0, e.tee, 1)
	check := func(name string, r checkout.Request, code string) {
		t.Helper()
		_, err := e.svc.Checkout(e.ctx, r)
		if ocean.ErrorCode(err) != code {
			t.Errorf("%s: %v, want %s", name, err, code)
		}
	}
	r := e.request(cartID, 0, "tok_visa")
	r.IdempotencyKey = "short"
	check("bad key", r, ocean.EINVALID)
	r = e.request(cartID, 0, "tok_visa")
	r.Email = "not an address"
	check("bad email", r, ocean.EUNPROCESSABLE)
	r = e.request("not-a-cart", 0, "tok_visa")
	check("bad cart id", r, ocean.ENOTFOUND)
	r = e.request(cart.NewID(), 0, "tok_visa")
	check("unknown cart", r, ocean.ENOTFOUND)
	check("someone else's cart", e.request(e.newCart(e.user("bob@example.com"), e.tee, 1), 0, "tok_visa"), ocean.ENOTFOUND)
	r = e.request(cartID, 0, "tok_visa")
	r.Address.Country = "XX"
	r.ShippingMethod = "standard"
	check("method not offered there", r, ocean.EUNPROCESSABLE)
	r = e.request(cartID, 0, "tok_unknown")
	check("token the gateway does not know", r, ocean.EUNPROCESSABLE)
	if e.stock(e.tee) != 10 || e.cartStatus(cartID) != cart.Open || e.gw.count("authorize") != 0 {
		t.Fatalf("a refused request wrote: stock %d, cart %s", e.stock(e.tee), e.cartStatus(cartID))
	}
	os := e.rows(order.Filter{})
	if len(os) != 0 {
		t.Fatalf("%d orders written", len(os))
	}
}

func TestCheckoutRefusesCartsThatCannotBeOrdered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Empty cart.
	v, _ := e.carts.Create(e.ctx, 0)
	_, err := e.svc.Checkout(e.ctx, e.request(v.ID, 0, "tok_visa"))
	wantCode(t, err, ocean.EUNPROCESSABLE)

	// More than the stock: the shortage names the variant.
	cartID := e.newCart(0, e.cap, 3)
	if _, err := e.inv.Adjust(e.ctx, e.cap, -2, "damaged", "test"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
	if f := ocean.ErrorFields(err); ocean.ErrorCode(err) != ocean.ECONFLICT || len(f) != 1 || f[0].Message != "TEE-L only 1 left" {
		t.Fatalf("%v %+v", err, f)
	}

	// A discount that no longer applies.
	min := &pricing.Discount{Code: "BIG", Kind: pricing.Fixed, Value: 1000, Currency: "ZAR", MinSubtotal: 30000}
	if err := e.svc.CreateDiscount(e.ctx, min); err != nil {
		t.Fatal(err)
	}
	cartID = e.newCart(0, e.tee, 2)
	if _, err := e.carts.ApplyDiscount(e.ctx, cartID, 0, "BIG"); err != nil {
		t.Fatal(err)
	}
	v2, _ := e.carts.Get(e.ctx, cartID, 0)
	if _, err := e.carts.SetQuantity(e.ctx, cartID, 0, v2.Lines[0].ID, 1); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
	if f := ocean.ErrorFields(err); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE || len(f) != 1 || f[0].Field != "discount" {
		t.Fatalf("%v %+v", err, f)
	}

	// Nothing to pay: a 100% discount and free collection.
	all := &pricing.Discount{Code: "ALL", Kind: pricing.Percent, Value: 100}
	if err := e.svc.CreateDiscount(e.ctx, all); err != nil {
		t.Fatal(err)
	}
	cartID = e.newCart(0, e.tee, 1)
	if _, err := e.carts.ApplyDiscount(e.ctx, cartID, 0, "ALL"); err != nil {
		t.Fatal(err)
	}
	r := e.request(cartID, 0, "tok_visa")
	r.ShippingMethod = "collect"
	_, err = e.svc.Checkout(e.ctx, r)
	wantCode(t, err, ocean.EUNPROCESSABLE)
	if e.gw.count("authorize") != 0 {
		t.Fatal("the gateway was called")
	}
}

func TestCheckoutDeclines(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, token, code string
		gateway           error // instead of the sandbox's own answer
	}{
		{"card declined", "tok_chargeDeclined", "card_declined", nil},
		{"insufficient funds", "tok_chargeDeclinedInsufficientFunds", "insufficient_funds", nil},
		{"processing error", "tok_processingError", "processing_error", nil},
		{"expired card", "tok_visa", "expired_card", payment.NewDecline("expired_card")},
		{"incorrect cvc", "tok_visa", "incorrect_cvc", payment.NewDecline("incorrect_cvc")},
		{"authentication required", "tok_visa", "authentication_required", payment.NewDecline("authentication_required")},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if c.gateway != nil {
				e.gw.set("authorize", fail(c.gateway))
			}
			cartID := e.newCart(0, e.tee, 2)
			r := e.request(cartID, 0, c.token)
			_, err := e.svc.Checkout(e.ctx, r)
			var d *checkout.DeclineError
			if !errors.As(err, &d) || d.Code != c.code || d.Message != payment.NewDecline(c.code).Message || d.Order == nil {
				t.Fatalf("%v (%+v)", err, d)
			}
			if d.Order.Status != order.Cancelled || d.Order.PaymentStatus != order.PaymentDeclined || d.Order.DeclineCode != c.code ||
				d.Order.Address.City != "Cape Town" {
				t.Errorf("declined order %+v", d.Order)
			}
			// The stock is back and the cart open: the shopper tries again
			// with another card and a new key.
			if e.stock(e.tee) != 10 || e.cartStatus(cartID) != cart.Open {
				t.Errorf("stock %d, cart %s", e.stock(e.tee), e.cartStatus(cartID))
			}
			// The same request again replays the decline without calling the gateway.
			n := e.gw.count("authorize")
			_, err = e.svc.Checkout(e.ctx, r)
			if !errors.As(err, &d) || d.Code != c.code || e.gw.count("authorize") != n {
				t.Errorf("replay: %v, %d gateway calls", err, e.gw.count("authorize")-n)
			}
			e.gw.set("authorize", nil)
			o, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
			if err != nil || o.Status != order.Paid || e.stock(e.tee) != 8 {
				t.Fatalf("second attempt: %v %+v", err, o)
			}
			// The shopper's list holds the order placed, not the declined attempt.
			if len(e.sentMails()) != 1 {
				t.Errorf("%d mails", len(e.sentMails()))
			}
		})
	}
}

func TestCheckoutTokenGoneAtAuthorization(t *testing.T) {
	t.Parallel()
	// The token passed the check, then the gateway no longer knows it: the
	// reservation goes and the shopper is asked for the card again.
	e := newEnv(t)
	e.gw.set("authorize", fail(payment.NewDecline("invalid_token")))
	cartID := e.newCart(0, e.tee, 1)
	r := e.request(cartID, 0, "tok_visa")
	_, err := e.svc.Checkout(e.ctx, r)
	if f := ocean.ErrorFields(err); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE || len(f) != 1 || f[0].Field != "payment.token" {
		t.Fatalf("%v", err)
	}
	if e.stock(e.tee) != 10 || e.cartStatus(cartID) != cart.Open {
		t.Fatal("reservation kept")
	}
	_, err = e.svc.Checkout(e.ctx, r) // replay
	if f := ocean.ErrorFields(err); len(f) != 1 || f[0].Field != "payment.token" {
		t.Fatalf("replay: %v", err)
	}
}

func TestCheckoutTokenCheckFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gw.set("checktoken", fail(errTimeout))
	_, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	if !errors.Is(err, errTimeout) || e.stock(e.tee) != 10 {
		t.Fatalf("%v, stock %d", err, e.stock(e.tee))
	}
}

func TestCheckoutGatewayFailureThatDidNothing(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		err  error
	}{{"nothing done", nothingDone{}}, {"timeout before the gateway acted", errTimeout}} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.gw.set("authorize", fail(c.err))
			cartID := e.newCart(0, e.tee, 2)
			r := e.request(cartID, 0, "tok_visa")
			_, err := e.svc.Checkout(e.ctx, r)
			wantCode(t, err, ocean.EUNAVAILABLE)
			if !strings.Contains(err.Error(), "Nothing was charged") || e.gw.count("lookup") != 1 {
				t.Errorf("%v; %d lookups", err, e.gw.count("lookup"))
			}
			// The gateway has no record of the reference, so the reservation went at once.
			if e.stock(e.tee) != 10 || e.cartStatus(cartID) != cart.Open {
				t.Errorf("stock %d cart %s", e.stock(e.tee), e.cartStatus(cartID))
			}
			_, err = e.svc.Checkout(e.ctx, r) // the same key tells the same
			wantCode(t, err, ocean.EUNAVAILABLE)
			e.gw.set("authorize", nil)
			if _, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCheckoutTimeoutAfterAuthorizationIsSettledByReconciler(t *testing.T) {
	t.Parallel()
	// The gateway authorized but the answer was lost: the order must not be
	// released (the money is held), and the reconciler completes it once.
	e := newEnv(t)
	e.gw.set("authorize", actThenTimeout)
	cartID := e.newCart(0, e.tee, 1)
	r := e.request(cartID, 0, "tok_visa")
	_, err := e.svc.Checkout(e.ctx, r)
	wantCode(t, err, ocean.EUNAVAILABLE)
	os := e.rows(order.Filter{})
	if len(os) != 1 || os[0].Status != order.PendingPayment || e.stock(e.tee) != 9 || e.cartStatus(cartID) != cart.Checkout {
		t.Fatalf("orders %+v stock %d", os, e.stock(e.tee))
	}
	o := &os[0]
	if a := e.auth(o); a.Status != payment.Authorized {
		t.Fatalf("gateway %+v", a)
	}
	// Before the reservation runs out the reconciler leaves it alone.
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 0 {
		t.Fatalf("reconcile before expiry: %d %v", n, err)
	}
	e.clock.Add(11 * time.Minute)
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 1 {
		t.Fatalf("reconcile: %d %v", n, err)
	}
	got := e.order(o.ID)
	if got.Status != order.Paid || got.PaymentStatus != order.PaymentCaptured || e.auth(got).Status != payment.Captured {
		t.Fatalf("after reconcile %+v", got)
	}
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 0 || e.gw.count("capture") != 1 {
		t.Fatalf("second reconcile changed %d (%v); %d captures", n, err, e.gw.count("capture"))
	}
	// The shopper's retry with the same key now sees the paid order.
	replayed, err := e.svc.Checkout(e.ctx, r)
	if err != nil || replayed.ID != o.ID || replayed.Status != order.Paid {
		t.Fatalf("replay %v %+v", err, replayed)
	}
	if !e.log.has("reconcile: completed an order") || len(e.sentMails()) != 1 {
		t.Error("completion not logged or not confirmed")
	}
}

func TestCheckoutGatewayAndLookupDown(t *testing.T) {
	t.Parallel()
	// Neither the authorization nor the lookup answers: the reservation is
	// kept until the reconciler can ask; while the gateway is down the
	// reconciler keeps asking, and when it answers "no record" it releases.
	e := newEnv(t)
	e.gw.set("authorize", fail(errTimeout))
	e.gw.set("lookup", fail(errTimeout))
	cartID := e.newCart(0, e.tee, 1)
	_, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
	wantCode(t, err, ocean.EUNAVAILABLE)
	if e.stock(e.tee) != 9 {
		t.Fatalf("reservation released although the outcome is unknown")
	}
	e.clock.Add(11 * time.Minute)
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 0 || !e.log.has("gateway lookup failed") {
		t.Fatalf("reconcile with the gateway down: %d %v", n, err)
	}
	e.gw.set("lookup", nil)
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 1 {
		t.Fatalf("reconcile: %d %v", n, err)
	}
	os := e.rows(order.Filter{})
	if os[0].Status != order.Cancelled || os[0].DeclineCode != "expired" || e.stock(e.tee) != 10 || e.cartStatus(cartID) != cart.Open {
		t.Fatalf("%+v stock %d", os[0], e.stock(e.tee))
	}
}

func TestCheckoutReleaseFailsAfterDecline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boom := errors.New("database is locked")
	e.store.set("Release", func() error { return boom })
	_, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_chargeDeclined"))
	if !errors.Is(err, boom) {
		t.Fatalf("%v", err)
	}
}

func TestCheckoutReservationExpiresDuringPayment(t *testing.T) {
	t.Parallel()
	// The gateway is slow; meanwhile the reservation runs out and the
	// reconciler (another instance) releases it. When the authorization
	// comes back the order cannot be paid: the hold is voided and the
	// shopper told nothing was charged.
	e := newEnv(t)
	e.gw.set("authorize", func(real func() (payment.Authorization, error)) (payment.Authorization, error) {
		e.clock.Add(11 * time.Minute)
		if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 1 {
			t.Errorf("reconcile during payment: %d %v", n, err)
		}
		return real()
	})
	cartID := e.newCart(0, e.tee, 1)
	_, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
	wantCode(t, err, ocean.ECONFLICT)
	if !strings.Contains(err.Error(), "reservation expired") {
		t.Errorf("%v", err)
	}
	os := e.rows(order.Filter{})
	if len(os) != 1 || os[0].Status != order.Cancelled || os[0].PaidAt != nil || e.auth(&os[0]).Status != payment.Voided {
		t.Fatalf("%+v", os)
	}
	if e.stock(e.tee) != 10 || e.cartStatus(cartID) != cart.Open {
		t.Fatalf("stock %d cart %s", e.stock(e.tee), e.cartStatus(cartID))
	}
}

func TestCheckoutVoidFailsAfterExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gw.set("void", fail(errTimeout))
	e.gw.set("authorize", func(real func() (payment.Authorization, error)) (payment.Authorization, error) {
		e.clock.Add(11 * time.Minute)
		_, _ = e.svc.Reconcile(e.ctx)
		return real()
	})
	_, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	wantCode(t, err, ocean.ECONFLICT)
	if !e.log.has("void after expired reservation failed") {
		t.Error("the failed void was not logged")
	}
}

func TestCheckoutCrashAfterAuthorization(t *testing.T) {
	t.Parallel()
	// The process dies between the authorization and the order's commit.
	// The reconciler finds the authorization and completes the order
	// exactly once, even when a webhook for the same payment races it.
	e := newEnv(t)
	e.cfg.AfterAuthorize = func(context.Context, *order.Order) { runtime.Goexit() }
	e.svc = checkout.New(e.cfg)
	cartID := e.newCart(0, e.tee, 3)
	r := e.request(cartID, 0, "tok_visa")
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = e.svc.Checkout(e.ctx, r)
		t.Error("checkout returned; the crash did not happen")
	}()
	<-done
	e.cfg.AfterAuthorize = nil
	e.svc = checkout.New(e.cfg) // the restarted process

	os := e.rows(order.Filter{})
	if len(os) != 1 || os[0].Status != order.PendingPayment || e.auth(&os[0]).Status != payment.Authorized {
		t.Fatalf("after the crash: %+v", os)
	}
	o := os[0]
	e.clock.Add(11 * time.Minute)
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 1 {
		t.Fatalf("reconcile: %d %v", n, err)
	}
	if err := e.svc.HandleEvent(e.ctx, "sandbox", payment.Event{ID: "evt_1", Type: "payment.authorized", Reference: o.PaymentRef}); err != nil {
		t.Fatal(err)
	}
	got := e.order(o.ID)
	if got.Status != order.Paid || got.PaymentStatus != order.PaymentCaptured || e.gw.count("capture") != 1 || e.stock(e.tee) != 7 {
		t.Fatalf("%+v, %d captures", got, e.gw.count("capture"))
	}
	if len(e.sentMails()) != 1 {
		t.Errorf("%d confirmations", len(e.sentMails()))
	}
	if replay, err := e.svc.Checkout(e.ctx, r); err != nil || replay.ID != o.ID {
		t.Fatalf("replay %v", err)
	}
}

func TestCheckoutLateAuthorizationAfterReleaseIsVoided(t *testing.T) {
	t.Parallel()
	// The authorization request got no answer and the gateway had no
	// record yet, so the reservation was released. The request lands later:
	// the reconciler finds the hold and voids it.
	e := newEnv(t)
	var late payment.AuthorizeRequest
	e.gw.set("authorize", fail(errTimeout))
	cartID := e.newCart(0, e.tee, 1)
	_, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
	wantCode(t, err, ocean.EUNAVAILABLE)
	os := e.rows(order.Filter{})
	o := os[0]
	if o.Status != order.Cancelled || o.PaymentStatus != order.PaymentFailed || o.DeclineCode != "gateway_unavailable" || e.stock(e.tee) != 10 {
		t.Fatalf("%+v", o)
	}
	// Nothing at the gateway yet: the reconciler leaves it.
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 0 {
		t.Fatalf("%d %v", n, err)
	}
	late = payment.AuthorizeRequest{Reference: o.PaymentRef, Amount: o.Totals.Total, Token: "tok_visa", Email: o.Email}
	if _, err := e.sb.Authorize(e.ctx, late); err != nil {
		t.Fatal(err)
	}
	// The void fails once: it is tried again next time.
	e.gw.set("void", fail(errTimeout))
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 0 || !e.log.has("late authorization not voided") {
		t.Fatalf("%d %v", n, err)
	}
	e.gw.set("void", nil)
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 1 {
		t.Fatalf("reconcile: %d %v", n, err)
	}
	if got := e.order(o.ID); got.PaymentStatus != order.PaymentVoided || got.Status != order.Cancelled || e.auth(got).Status != payment.Voided {
		t.Fatalf("%+v", got)
	}
	if n, _ := e.svc.Reconcile(e.ctx); n != 0 {
		t.Fatalf("voided twice")
	}
}

func TestCheckoutCaptureFailureIsRetriedByReconciler(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		capture func(func() (payment.Authorization, error)) (payment.Authorization, error)
		store   error
	}{
		{"capture refused by the network", fail(errTimeout), nil},
		{"capture made, answer lost", actThenTimeout, nil},
		{"capture made, not recorded", nil, errors.New("database is locked")},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.gw.set("capture", c.capture)
			if c.store != nil {
				e.store.set("SetPayment", once(func() error { return c.store }))
			}
			o, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
			if err != nil || o.Status != order.Paid || o.PaymentStatus != order.PaymentAuthorized {
				t.Fatalf("%v %+v", err, o)
			}
			if !e.log.has("the reconciler retries") {
				t.Error("not logged")
			}
			e.gw.set("capture", nil)
			if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 1 {
				t.Fatalf("%d %v", n, err)
			}
			if got := e.order(o.ID); got.PaymentStatus != order.PaymentCaptured || e.auth(got).Status != payment.Captured {
				t.Fatalf("%+v", got)
			}
		})
	}
}

func TestCheckoutIdempotentReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cartID := e.newCart(0, e.tee, 1)
	r := e.request(cartID, 0, "tok_visa")
	first, err := e.svc.Checkout(e.ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	// Same key, same body (white space and case the normalizer removes): the same order, nothing charged again.
	again := r
	again.Email = " " + r.Email + " "
	again.Address.Country = "za"
	o, err := e.svc.Checkout(e.ctx, again)
	if err != nil || o.ID != first.ID || o.Status != order.Paid || e.gw.count("authorize") != 1 || e.stock(e.tee) != 9 {
		t.Fatalf("%v %+v; %d authorizations", err, o, e.gw.count("authorize"))
	}
	// Same key, different body: refused, nothing changed.
	other := r
	other.ShippingMethod = "collect"
	_, err = e.svc.Checkout(e.ctx, other)
	if f := ocean.ErrorFields(err); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE || len(f) != 1 || f[0].Field != "Idempotency-Key" {
		t.Fatalf("%v", err)
	}
	// A new key on the ordered cart: already ordered.
	_, err = e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
	wantCode(t, err, ocean.ECONFLICT)
	if !strings.Contains(err.Error(), "already been ordered") {
		t.Errorf("%v", err)
	}
	// A key is scoped to its cart: the same key on another cart is a new checkout.
	r2 := r
	r2.CartID = e.newCart(0, e.tee, 1)
	if o2, err := e.svc.Checkout(e.ctx, r2); err != nil || o2.ID == first.ID {
		t.Fatalf("%v", err)
	}
}

func TestCheckoutReplayWaitsForTheFirstAttempt(t *testing.T) {
	t.Parallel()
	// A double click: the second request with the same key arrives while
	// the first holds the cart's lock (it queues, then finds the order), or
	// while the first is at the gateway (it waits on the pending order).
	// Either way it answers with the first's order and charges nothing.
	for _, at := range []string{"Reserve", "authorize"} {
		t.Run("during "+at, func(t *testing.T) {
			e := newEnv(t)
			cartID := e.newCart(0, e.tee, 1)
			r := e.request(cartID, 0, "tok_visa")
			type result struct {
				o   *order.Order
				err error
			}
			second := make(chan result, 1)
			start := func() {
				go func() {
					o, err := e.svc.Checkout(e.ctx, r)
					second <- result{o, err}
				}()
			}
			if at == "Reserve" {
				e.store.set("Reserve", once(func() error { start(); return nil }))
			} else {
				e.gw.set("authorize", func(real func() (payment.Authorization, error)) (payment.Authorization, error) {
					start()
					return real()
				})
			}
			first, err := e.svc.Checkout(e.ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			got := <-second
			if got.err != nil || got.o.ID != first.ID || got.o.Status != order.Paid {
				t.Fatalf("second: %v %+v", got.err, got.o)
			}
			if e.gw.count("authorize") != 1 || e.stock(e.tee) != 9 {
				t.Fatalf("%d authorizations, stock %d", e.gw.count("authorize"), e.stock(e.tee))
			}
		})
	}
}

func TestCheckoutSecondKeyWhilePaymentRuns(t *testing.T) {
	t.Parallel()
	// Another attempt (new key) on the cart while its payment runs is told
	// to wait, and does not reserve twice; it runs without the lock, as
	// when the lock service failed over and lost its keys.
	e := newEnv(t)
	cartID := e.newCart(0, e.tee, 1)
	e.gw.set("authorize", func(real func() (payment.Authorization, error)) (payment.Authorization, error) {
		e.locker.set("TryLock", lock.ErrUnavailable)
		_, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
		e.locker.set("TryLock", nil)
		if ocean.ErrorCode(err) != ocean.ECONFLICT || !strings.Contains(err.Error(), "already in progress") {
			t.Errorf("second attempt: %v", err)
		}
		return real()
	})
	if _, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa")); err != nil {
		t.Fatal(err)
	}
	if e.stock(e.tee) != 9 || !e.log.has("lock service unavailable") || !e.log.has("lock service reachable again") {
		t.Fatalf("stock %d", e.stock(e.tee))
	}
}

func TestCheckoutDuplicateKeyRace(t *testing.T) {
	t.Parallel()
	// Two instances pass the key check at once; the database's unique key
	// lets one reserve, the other answers with its order.
	e := newEnv(t)
	cartID := e.newCart(0, e.tee, 1)
	r := e.request(cartID, 0, "tok_visa")
	var firstID int64
	e.store.set("Reserve", once(func() error {
		o, err := e.svc.Checkout(e.ctx, r)
		if err != nil {
			t.Errorf("the other instance: %v", err)
			return nil
		}
		firstID = o.ID
		return nil
	}))
	e.locker.set("TryLock", lock.ErrUnavailable) // no queue in front of the database
	o, err := e.svc.Checkout(e.ctx, r)
	if err != nil || o.ID != firstID || e.gw.count("authorize") != 1 {
		t.Fatalf("%v %+v (first %d)", err, o, firstID)
	}
}

func TestCheckoutStockGoneWhileReserving(t *testing.T) {
	t.Parallel()
	// The cart showed enough stock; by the reservation another shopper took
	// it. The conditional update refuses and nothing is written.
	e := newEnv(t, withLocks)
	cartID := e.newCart(0, e.cap, 2)
	e.store.set("Reserve", once(func() error {
		_, err := e.inv.Adjust(e.ctx, e.cap, -2, "sold in the shop", "test")
		return err
	}))
	_, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
	if f := ocean.ErrorFields(err); ocean.ErrorCode(err) != ocean.ECONFLICT || len(f) != 1 || !strings.Contains(f[0].Message, "only 1 left") {
		t.Fatalf("%v %+v", err, f)
	}
	if e.stock(e.cap) != 1 || e.cartStatus(cartID) != cart.Open || e.gw.count("authorize") != 0 {
		t.Fatalf("stock %d cart %s", e.stock(e.cap), e.cartStatus(cartID))
	}
	if e.locker.count("AcquireMany") != 1 {
		t.Errorf("variant locks taken %d times", e.locker.count("AcquireMany"))
	}
}

func TestCheckoutFencedOut(t *testing.T) {
	t.Parallel()
	// The variant lock was lost mid-reservation and a newer holder wrote
	// first: the store refuses with ErrFenced and nothing is charged.
	e := newEnv(t, withLocks)
	e.store.set("Reserve", func() error { return lock.ErrFenced })
	_, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	wantCode(t, err, ocean.EUNAVAILABLE)
	if !errors.Is(err, lock.ErrFenced) || e.gw.count("authorize") != 0 {
		t.Fatalf("%v", err)
	}
}

func TestCheckoutLockFailures(t *testing.T) {
	t.Parallel()
	t.Run("busy", func(t *testing.T) {
		e := newEnv(t)
		e.locker.set("TryLock", lock.ErrNotAcquired)
		e.locker.set("Acquire", errors.New("lock: wait: context deadline exceeded"))
		_, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
		wantCode(t, err, ocean.EUNAVAILABLE)
		if !strings.Contains(err.Error(), "very busy") || e.stock(e.tee) != 10 {
			t.Fatalf("%v", err)
		}
	})
	t.Run("queued then granted", func(t *testing.T) {
		e := newEnv(t)
		e.locker.set("TryLock", lock.ErrNotAcquired)
		if _, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa")); err != nil {
			t.Fatal(err)
		}
		if e.locker.count("Acquire") == 0 {
			t.Fatal("did not wait in the queue")
		}
	})
	t.Run("shopper gone", func(t *testing.T) {
		e := newEnv(t)
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		e.locker.set("TryLock", context.Canceled)
		_, err := e.svc.Checkout(ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("lock service down", func(t *testing.T) {
		// The database alone decides; after the first failure the
		// variant locks are not even asked for.
		e := newEnv(t, withLocks)
		e.locker.set("TryLock", lock.ErrUnavailable)
		if _, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa")); err != nil {
			t.Fatal(err)
		}
		if e.locker.count("AcquireMany") != 0 {
			t.Errorf("variant locks asked for while the lock service is down")
		}
	})
	t.Run("variant queue too long", func(t *testing.T) {
		e := newEnv(t, withLocks)
		e.locker.set("AcquireMany", lock.ErrUnavailable)
		if _, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("variant locks: shopper gone", func(t *testing.T) {
		e := newEnv(t, withLocks)
		ctx, cancel := context.WithCancel(e.ctx)
		e.store.set("OrderByKey", func() error {
			if e.locker.count("TryLock") > 0 {
				cancel() // after the cart lock: the shopper leaves
			}
			return nil
		})
		e.locker.set("AcquireMany", context.Canceled)
		_, err := e.svc.Checkout(ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
		if !errors.Is(err, context.Canceled) || e.stock(e.tee) != 10 {
			t.Fatalf("%v", err)
		}
	})
}

func TestCheckoutStoreFailures(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk I/O error")
	for _, c := range []struct {
		method string
		after  int // real calls before the failure
	}{
		{"OrderByKey", 0}, {"Reserve", 0}, {"MarkPaid", 0}, {"Order", 0},
	} {
		t.Run(c.method, func(t *testing.T) {
			e := newEnv(t)
			n := 0
			e.store.set(c.method, func() error {
				n++
				if n > c.after {
					return boom
				}
				return nil
			})
			_, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
			if !errors.Is(err, boom) {
				t.Fatalf("%v", err)
			}
		})
	}
	t.Run("seal", func(t *testing.T) {
		e := newEnv(t)
		e.seal.failSeal.Store(true)
		if _, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa")); err == nil || e.stock(e.tee) != 10 {
			t.Fatalf("%v", err)
		}
	})
	t.Run("duplicate key, order unreadable", func(t *testing.T) {
		e := newEnv(t)
		e.store.set("Reserve", func() error { return checkout.ErrDuplicateKey })
		calls := 0
		e.store.set("OrderByKey", func() error {
			if calls++; calls > 2 {
				return boom
			}
			return nil
		})
		if _, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa")); !errors.Is(err, boom) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("order unreadable while waiting", func(t *testing.T) {
		e := newEnv(t)
		e.gw.set("authorize", actThenTimeout)
		e.gw.set("lookup", fail(errTimeout))
		r := e.request(e.newCart(0, e.tee, 1), 0, "tok_visa")
		_, _ = e.svc.Checkout(e.ctx, r) // leaves a pending order
		e.store.set("Order", func() error { return boom })
		if _, err := e.svc.Checkout(e.ctx, r); !errors.Is(err, boom) {
			t.Fatalf("%v", err)
		}
		e.store.set("Order", nil)
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		if _, err := e.svc.Checkout(ctx, r); !errors.Is(err, context.Canceled) {
			t.Fatalf("%v", err)
		}
	})
}

func TestQuoteAndShippingMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cartID := e.newCart(0, e.tee, 1)
	v, tot, err := e.svc.Quote(e.ctx, cartID, 0, "ZA", "standard")
	if err != nil || len(v.Lines) != 1 || tot.Total.Amount != (20000+6000)*115/100 || tot.TaxName != "VAT 15%" {
		t.Fatalf("%v %+v", err, tot)
	}
	// A country without tax pays none; an unknown cart is not found.
	if _, tot, err := e.svc.Quote(e.ctx, cartID, 0, "DE", "international"); err != nil || tot.Tax.Amount != 0 || tot.Total.Amount != 65000 {
		t.Fatalf("%v %+v", err, tot)
	}
	if _, _, err := e.svc.Quote(e.ctx, cart.NewID(), 0, "ZA", "standard"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatal(err)
	}
	// South Africa has methods of its own: the international courier is
	// neither listed for it nor accepted at checkout.
	ms, err := e.svc.ShippingMethods(e.ctx, " za ")
	if err != nil || len(ms) != 2 || ms[0].Code != "standard" || ms[1].Code != "collect" {
		t.Fatalf("%v %+v", err, ms)
	}
	if _, _, err := e.svc.Quote(e.ctx, cartID, 0, "ZA", "international"); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("international courier to ZA: %v; want refused", err)
	}
	// A country the shop's settings do not list is refused (422), listed
	// or checked out.
	if _, err := e.svc.ShippingMethods(e.ctx, "BR"); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("methods for BR: %v", err)
	}
	_, _, err = e.svc.Quote(e.ctx, cartID, 0, "BR", "international")
	var oe *ocean.Error
	if !errors.As(err, &oe) || oe.Code != ocean.EUNPROCESSABLE || len(oe.Fields) != 1 || oe.Fields[0].Field != "shipping_address.country" {
		t.Fatalf("checkout to BR: %v", err)
	}
	// The admin changes the settings: versioned, validated, stale refused.
	st, err := e.svc.Settings(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := *st
	next.Countries = []string{" za", "BR", "ZA"}
	got, err := e.svc.UpdateSettings(e.ctx, next, pricing.Actor{ID: 1})
	if err != nil || got.Version != st.Version+1 || len(got.Countries) != 2 || got.Countries[0] != "ZA" {
		t.Fatalf("update = %+v, %v", got, err)
	}
	if _, err := e.svc.ShippingMethods(e.ctx, "BR"); err != nil {
		t.Fatalf("BR after adding it: %v", err)
	}
	if _, err := e.svc.UpdateSettings(e.ctx, next, pricing.Actor{ID: 1}); ocean.ErrorCode(err) != ocean.ESTALE {
		t.Fatalf("stale: %v", err)
	}
	bad := *got
	bad.ShopName, bad.ContactEmail, bad.Currency, bad.Countries = "", "nope", "rand", []string{"XX"}
	_, err = e.svc.UpdateSettings(e.ctx, bad, pricing.Actor{ID: 1})
	if !errors.As(err, &oe) || oe.Code != ocean.EINVALID || len(oe.Fields) != 4 {
		t.Fatalf("bad settings: %v", err)
	}
	bad.Countries = nil
	if _, err := e.svc.UpdateSettings(e.ctx, bad, pricing.Actor{ID: 1}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatal(err)
	}
	// Tax rates: validated, only for countries the shop ships to.
	if _, err := e.svc.SetTaxRate(e.ctx, pricing.TaxRate{Country: " br ", RateBP: 1750}, pricing.Actor{ID: 1}); err != nil {
		t.Fatal(err)
	}
	rates, err := e.svc.TaxRates(e.ctx)
	if err != nil || len(rates) != 2 || rates[0] != (pricing.TaxRate{Country: "BR", Name: "Tax 17.5%", RateBP: 1750, Version: 1}) {
		t.Fatalf("rates = %+v, %v", rates, err)
	}
	for _, r := range []pricing.TaxRate{{Country: "Z", RateBP: 1}, {Country: "ZA", RateBP: 1, Name: strings.Repeat("x", 61)}, {Country: "ZA", ZoneID: 1, RateBP: 1}, {Country: "Z", RateBP: -1}} {
		if _, err := e.svc.SetTaxRate(e.ctx, r, pricing.Actor{ID: 1}); ocean.ErrorCode(err) != ocean.EINVALID {
			t.Errorf("%+v: %v", r, err)
		}
	}
	for _, r := range []pricing.TaxRate{{Country: "ZA", RateBP: -1}, {Country: "ZA", RateBP: 10001}, {Country: "DE", RateBP: 1900}, {ZoneID: 99999, RateBP: 1900}} {
		if _, err := e.svc.SetTaxRate(e.ctx, r, pricing.Actor{ID: 1}); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
			t.Errorf("%+v: %v", r, err)
		}
	}
	if ms, err := e.svc.AllShippingMethods(e.ctx); err != nil || len(ms) != 3 {
		t.Fatalf("all methods = %+v, %v", ms, err)
	}
	for _, bad := range []string{"", "Z", "ZAF", "Z1"} {
		if _, err := e.svc.ShippingMethods(e.ctx, bad); ocean.ErrorCode(err) != ocean.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, _, err := e.svc.Quote(e.ctx, cartID, 0, "ZAF", "standard"); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatal(err)
	}
}
