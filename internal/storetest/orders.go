package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/pricing"
)

// draft is an order for a cart as the checkout builds it: one tee S unless
// edit changes it. Public id and payment reference are unique per call.
func (f *shop) draft(cartID string, edit func(o *order.Order)) *order.Order {
	n := f.n.Add(1)
	now := time.Now().UTC().Truncate(time.Microsecond)
	o := &order.Order{
		PublicID: fmt.Sprintf("%032x", n), IdempotencyKey: fmt.Sprintf("key-%d", n), RequestHash: "hash", CartID: cartID,
		Email: "ann@example.com", Status: order.PendingPayment,
		Totals: pricing.Totals{Subtotal: zar(20000), Discount: zar(0), Shipping: zar(6000), Tax: zar(3391), Total: zar(26000),
			TaxIncluded: true, TaxName: "VAT"},
		ShippingMethod: "standard", ShippingName: "Courier", SealedAddress: "sealed:v1:abc", Country: "ZA",
		ReservedUntil: now.Add(15 * time.Minute), Gateway: "sandbox", PaymentRef: fmt.Sprintf("ocean_ref_%d", n),
		PaymentStatus: order.PaymentPending, CreatedAt: now, UpdatedAt: now,
		Items: []order.Item{{VariantID: f.teeS.ID, ProductName: "Tee", ProductSlug: "tee", SKU: "TEE-S", Options: map[string]string{"size": "S"},
			UnitPrice: zar(20000), Quantity: 1, LineTotal: zar(20000)}},
	}
	if edit != nil {
		edit(o)
	}
	return o
}

// order reserves a draft order for the cart and fails the test if it cannot.
func (f *shop) order(t *testing.T, cartID string, edit func(o *order.Order)) *order.Order {
	t.Helper()
	o := f.draft(cartID, edit)
	if err := f.s.Reserve(ctx, o, 0, nil); err != nil {
		t.Fatalf("reserve: %v", err)
	}
	return o
}

// placed is a reserved order on a fresh guest cart.
func (f *shop) placed(t *testing.T, edit func(o *order.Order)) *order.Order {
	t.Helper()
	return f.order(t, f.newCart(t, 0).ID, edit)
}

// paid is a placed order, paid.
func (f *shop) paid(t *testing.T, edit func(o *order.Order)) *order.Order {
	t.Helper()
	o := f.placed(t, edit)
	if won, err := f.s.MarkPaid(ctx, o.ID, "pay_"+o.PublicID, "visa 4242", order.PaymentAuthorized, time.Now().UTC(), nil); !won || err != nil {
		t.Fatalf("mark paid: %v, %v", won, err)
	}
	return o
}

func (f *shop) get(t *testing.T, id int64) *order.Order {
	t.Helper()
	o, err := f.s.Order(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (f *shop) events(t *testing.T, id int64) []string {
	t.Helper()
	es, err := f.s.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.CreatedAt.IsZero() {
			t.Fatalf("event without a time: %+v", e)
		}
		out = append(out, fmt.Sprintf("%s>%s %s %s", e.From, e.To, e.Actor, e.Note))
	}
	return out
}

func (f *shop) ledgerKinds(t *testing.T, v int64, orderID int64) []string {
	t.Helper()
	h, err := f.s.History(ctx, v, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range h {
		if e.OrderID == orderID {
			out = append(out, fmt.Sprintf("%s %+d", e.Kind, e.Delta))
		}
	}
	slices.Reverse(out)
	return out
}

func (f *shop) used(t *testing.T, code string) int {
	t.Helper()
	d, err := f.s.DiscountByCode(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	return d.Used
}

func testReserve(t *testing.T, f *shop) {
	c := f.newCart(t, 0)
	opts := map[string]string{"size": "S"}
	o := f.order(t, c.ID, func(o *order.Order) {
		// Two lines of the same variant count together.
		o.Items = []order.Item{
			{VariantID: f.teeS.ID, ProductName: "Tee", ProductSlug: "tee", SKU: "TEE-S", Options: opts, UnitPrice: zar(20000), Quantity: 2, LineTotal: zar(40000)},
			{VariantID: f.mug.ID, ProductName: "Mug", ProductSlug: "mug", SKU: "MUG", UnitPrice: zar(9900), Quantity: 1, LineTotal: zar(9900)},
			{VariantID: f.teeS.ID, ProductName: "Tee", ProductSlug: "tee", SKU: "TEE-S", Options: opts, UnitPrice: zar(20000), Quantity: 1, LineTotal: zar(20000)},
		}
	})
	if o.ID == 0 {
		t.Fatal("order id not set")
	}
	if f.stock(t, f.teeS) != 2 || f.stock(t, f.mug) != 999 {
		t.Fatalf("stock tee S %d, mug %d; want 2 and 999", f.stock(t, f.teeS), f.stock(t, f.mug))
	}
	if got := f.ledgerKinds(t, f.teeS.ID, o.ID); !slices.Equal(got, []string{"sale -3"}) {
		t.Fatalf("tee ledger for the order = %q, want one sale of 3", got)
	}
	f.noDrift(t)
	got := f.get(t, o.ID)
	if got.PublicID != o.PublicID || got.IdempotencyKey != o.IdempotencyKey || got.RequestHash != "hash" || got.CartID != c.ID ||
		got.Email != o.Email || got.Status != order.PendingPayment || got.Totals != o.Totals || got.SealedAddress != o.SealedAddress ||
		got.Country != "ZA" || got.ShippingMethod != "standard" || got.ShippingName != "Courier" || got.Gateway != "sandbox" ||
		got.PaymentRef != o.PaymentRef || got.PaymentStatus != order.PaymentPending || !got.ReservedUntil.Equal(o.ReservedUntil) ||
		!got.CreatedAt.Equal(o.CreatedAt) || got.PaidAt != nil || got.Refunded != 0 || got.UserID != 0 || got.DiscountID != 0 {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, o)
	}
	if len(got.Items) != 3 || got.Items[1].SKU != "MUG" || got.Items[0].Options["size"] != "S" || got.Items[0].Quantity != 2 ||
		got.Items[0].UnitPrice != zar(20000) || got.Items[0].LineTotal != zar(40000) || got.Items[0].VariantID != f.teeS.ID {
		t.Fatalf("items = %+v", got.Items)
	}
	if ev := f.events(t, o.ID); !slices.Equal(ev, []string{">pending_payment  "}) {
		t.Fatalf("events = %q", ev)
	}
	for name, find := range map[string]func() (*order.Order, error){
		"public id":   func() (*order.Order, error) { return f.s.OrderByPublicID(ctx, o.PublicID) },
		"key":         func() (*order.Order, error) { return f.s.OrderByKey(ctx, c.ID, o.IdempotencyKey) },
		"payment ref": func() (*order.Order, error) { return f.s.OrderByPaymentRef(ctx, o.PaymentRef) },
	} {
		if g, err := find(); err != nil || g.ID != o.ID || len(g.Items) != 3 {
			t.Fatalf("by %s: %+v, %v", name, g, err)
		}
	}
	for name, find := range map[string]func() (*order.Order, error){
		"unknown id":          func() (*order.Order, error) { return f.s.Order(ctx, o.ID+100) },
		"unknown public id":   func() (*order.Order, error) { return f.s.OrderByPublicID(ctx, "nope") },
		"key of another cart": func() (*order.Order, error) { return f.s.OrderByKey(ctx, f.newCart(t, 0).ID, o.IdempotencyKey) },
		"unknown payment ref": func() (*order.Order, error) { return f.s.OrderByPaymentRef(ctx, "nope") },
		"no payment id yet":   func() (*order.Order, error) { return f.s.OrderByPaymentID(ctx, "") },
		"unknown payment id":  func() (*order.Order, error) { return f.s.OrderByPaymentID(ctx, "pay_nope") },
		"key never used":      func() (*order.Order, error) { return f.s.OrderByKey(ctx, c.ID, "other-key") },
		"negative id":         func() (*order.Order, error) { return f.s.Order(ctx, -1) },
	} {
		if _, err := find(); ocean.ErrorCode(err) != ocean.ENOTFOUND {
			t.Fatalf("%s: %v, want not found", name, err)
		}
	}
}

func testReserveShort(t *testing.T, f *shop) {
	d := &pricing.Discount{Code: "TEN", Kind: pricing.Percent, Value: 10, UsageLimit: intp(5)}
	if err := f.s.CreateDiscount(ctx, d); err != nil {
		t.Fatal(err)
	}
	c := f.newCart(t, 0)
	o := f.draft(c.ID, func(o *order.Order) {
		o.DiscountID, o.DiscountCode, o.CustomerKey = d.ID, "TEN", "email:ann@example.com"
		o.Items = []order.Item{
			{VariantID: f.mug.ID, SKU: "MUG", UnitPrice: zar(9900), Quantity: 2, LineTotal: zar(19800)},
			{VariantID: f.teeM.ID, SKU: "TEE-M", UnitPrice: zar(22000), Quantity: 4, LineTotal: zar(88000)},
			{VariantID: f.teeS.ID, SKU: "TEE-S", UnitPrice: zar(20000), Quantity: 6, LineTotal: zar(120000)},
		}
	})
	err := f.s.Reserve(ctx, o, 0, nil)
	var se *checkout.StockError
	if !errors.As(err, &se) {
		t.Fatalf("reserve = %v, want a stock error", err)
	}
	want := []checkout.Shortage{{VariantID: f.teeS.ID, SKU: "TEE-S", Wanted: 6, Available: 5}, {VariantID: f.teeM.ID, SKU: "TEE-M", Wanted: 4, Available: 3}}
	slices.SortFunc(want, func(a, b checkout.Shortage) int { return int(a.VariantID - b.VariantID) })
	if !slices.Equal(se.Short, want) {
		t.Fatalf("shortages = %+v, want %+v (every short variant, in id order)", se.Short, want)
	}
	if ocean.ErrorCode(se.AsError()) != ocean.ECONFLICT {
		t.Fatalf("stock error code = %s", ocean.ErrorCode(se.AsError()))
	}
	// Nothing was written: not the order, the mug's units, the discount use or the cart's status.
	if o.ID != 0 {
		t.Fatalf("order id %d kept after a failed reserve", o.ID)
	}
	if _, err := f.s.OrderByKey(ctx, c.ID, o.IdempotencyKey); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("order after a failed reserve: %v", err)
	}
	if f.stock(t, f.mug) != 1000 || f.stock(t, f.teeS) != 5 || f.stock(t, f.teeM) != 3 {
		t.Fatal("stock changed by a failed reserve")
	}
	if f.used(t, "TEN") != 0 {
		t.Fatal("discount use counted by a failed reserve")
	}
	if f.cart(t, c.ID).Status != "open" {
		t.Fatal("cart left in checkout by a failed reserve")
	}
	f.noDrift(t)
	// Unknown variants are a failure too, not a free item.
	err = f.s.Reserve(ctx, f.draft(c.ID, func(o *order.Order) { o.Items[0].VariantID = 999999 }), 0, nil)
	if err == nil {
		t.Fatal("an order of a variant that does not exist was reserved")
	}
}

func testReserveConcurrent(t *testing.T, f *shop) {
	// 20 shoppers check out the last 5 tees S at once.
	carts := make([]string, 20)
	for i := range carts {
		carts[i] = f.newCart(t, 0).ID
	}
	var wg sync.WaitGroup
	var ok, short atomic.Int32
	errs := make(chan error, len(carts))
	for _, c := range carts {
		o := f.draft(c, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f.s.Reserve(ctx, o, 0, nil)
			var se *checkout.StockError
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &se):
				short.Add(1)
			default:
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if ok.Load() != 5 || short.Load() != 15 || f.stock(t, f.teeS) != 0 {
		t.Fatalf("%d reserved, %d short, stock %d; want 5, 15, 0", ok.Load(), short.Load(), f.stock(t, f.teeS))
	}
	f.noDrift(t)
}

func testReserveFenced(t *testing.T, f *shop) {
	o := f.draft(f.newCart(t, 0).ID, nil)
	if err := f.s.Reserve(ctx, o, 0, map[int64]int64{f.teeS.ID: 5}); err != nil {
		t.Fatal(err)
	}
	// A holder whose lock expired (older token) must not write the variant.
	stale := f.draft(f.newCart(t, 0).ID, nil)
	if err := f.s.Reserve(ctx, stale, 0, map[int64]int64{f.teeS.ID: 4}); !errors.Is(err, lock.ErrFenced) {
		t.Fatalf("stale token: %v, want lock.ErrFenced", err)
	}
	if stale.ID != 0 || f.stock(t, f.teeS) != 4 {
		t.Fatalf("a fenced reserve wrote: order %d, stock %d", stale.ID, f.stock(t, f.teeS))
	}
	if _, err := f.s.OrderByPublicID(ctx, stale.PublicID); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("fenced order exists: %v", err)
	}
	// A newer token passes; short stock under a valid token is a stock error, not a fence.
	if err := f.s.Reserve(ctx, f.draft(f.newCart(t, 0).ID, nil), 0, map[int64]int64{f.teeS.ID: 6}); err != nil {
		t.Fatalf("newer token: %v", err)
	}
	big := f.draft(f.newCart(t, 0).ID, func(o *order.Order) { o.Items[0].Quantity = 10 })
	var se *checkout.StockError
	if err := f.s.Reserve(ctx, big, 0, map[int64]int64{f.teeS.ID: 7}); !errors.As(err, &se) {
		t.Fatalf("short under a valid token: %v, want a stock error", err)
	}
	f.noDrift(t)
}

func testIdempotency(t *testing.T, f *shop) {
	c := f.newCart(t, 0)
	o := f.order(t, c.ID, func(o *order.Order) { o.IdempotencyKey = "k-1" })
	// The same key for the same cart again (a retried request) is a duplicate, and writes nothing.
	again := f.draft(c.ID, func(o *order.Order) { o.IdempotencyKey = "k-1" })
	if err := f.s.Reserve(ctx, again, 0, nil); !errors.Is(err, checkout.ErrDuplicateKey) {
		t.Fatalf("same key: %v, want ErrDuplicateKey", err)
	}
	if f.stock(t, f.teeS) != 4 {
		t.Fatalf("stock %d after a duplicate, want 4", f.stock(t, f.teeS))
	}
	if got, err := f.s.OrderByKey(ctx, c.ID, "k-1"); err != nil || got.ID != o.ID {
		t.Fatalf("by key = %+v, %v; want the first order", got, err)
	}
	// Keys are scoped to their cart: another cart may use the same key.
	other := f.newCart(t, 0)
	if err := f.s.Reserve(ctx, f.draft(other.ID, func(o *order.Order) { o.IdempotencyKey = "k-1" }), 0, nil); err != nil {
		t.Fatalf("same key, other cart: %v", err)
	}
	// A new key for a cart already in checkout is refused: one payment per cart at a time.
	err := f.s.Reserve(ctx, f.draft(c.ID, func(o *order.Order) { o.IdempotencyKey = "k-2" }), 0, nil)
	wantCode(t, "second checkout of a cart", err, ocean.ECONFLICT)
	if f.stock(t, f.teeS) != 3 {
		t.Fatalf("stock %d, want 3", f.stock(t, f.teeS))
	}
	f.noDrift(t)
}

func testMarkPaid(t *testing.T, f *shop) {
	o := f.placed(t, nil)
	at := time.Now().UTC().Truncate(time.Second)
	// The authorization's attempt is written in the payment's transaction.
	a := &order.Attempt{OrderID: o.ID, CartID: o.CartID, Gateway: "sandbox", Reference: o.PaymentRef, Amount: o.Totals.Total,
		Outcome: order.AttemptSucceeded, CreatedAt: at}
	won, err := f.s.MarkPaid(ctx, o.ID, "pay_1", "visa 4242", order.PaymentAuthorized, at, a)
	if err != nil || !won || a.ID == 0 {
		t.Fatalf("mark paid: %v, %v, attempt %d", won, err, a.ID)
	}
	// A second notice of the same payment (webhook and redirect) changes
	// nothing, and its attempt (the same reference's success) is not
	// recorded twice.
	again := *a
	again.ID = 0
	if won, err := f.s.MarkPaid(ctx, o.ID, "pay_2", "mc 4444", order.PaymentCaptured, at.Add(time.Minute), &again); err != nil || won || again.ID != 0 {
		t.Fatalf("second mark paid: %v, %v, attempt %d; want lost, nothing recorded", won, err, again.ID)
	}
	if as, err := f.s.Attempts(ctx, o.ID); err != nil || len(as) != 1 || as[0].ID != a.ID || as[0].Outcome != order.AttemptSucceeded {
		t.Fatalf("attempts %+v, %v", as, err)
	}
	got := f.get(t, o.ID)
	if got.Status != order.Paid || got.PaymentID != "pay_1" || got.Card != "visa 4242" || got.PaymentStatus != order.PaymentAuthorized ||
		got.PaidAt == nil || !got.PaidAt.Equal(at) {
		t.Fatalf("paid order = %+v", got)
	}
	if c := f.cart(t, o.CartID); c.Status != "ordered" {
		t.Fatalf("cart = %s, want ordered", c.Status)
	}
	if by, err := f.s.OrderByPaymentID(ctx, "pay_1"); err != nil || by.ID != o.ID {
		t.Fatalf("by payment id: %+v, %v", by, err)
	}
	if ev := f.events(t, o.ID); !slices.Equal(ev, []string{">pending_payment  ", "pending_payment>paid gateway visa 4242"}) {
		t.Fatalf("events = %q", ev)
	}
	if f.stock(t, f.teeS) != 4 {
		t.Fatal("paying changed the stock")
	}
}

func testRelease(t *testing.T, f *shop) {
	d := &pricing.Discount{Code: "TEN", Kind: pricing.Percent, Value: 10}
	if err := f.s.CreateDiscount(ctx, d); err != nil {
		t.Fatal(err)
	}
	o := f.placed(t, func(o *order.Order) {
		o.DiscountID, o.DiscountCode, o.CustomerKey = d.ID, "TEN", "email:ann@example.com"
		o.Items[0].Quantity = 2
	})
	if f.stock(t, f.teeS) != 3 || f.used(t, "TEN") != 1 {
		t.Fatal("reserve did not take stock and a use")
	}
	won, err := f.s.Release(ctx, o.ID, order.PaymentDeclined, "card_declined", "The card was declined.", "gateway")
	if err != nil || !won {
		t.Fatalf("release: %v, %v", won, err)
	}
	// The reconciler finding it expired a moment later must not give it back twice.
	if won, err := f.s.Release(ctx, o.ID, order.PaymentFailed, "expired", "", "reconciler"); err != nil || won {
		t.Fatalf("second release: %v, %v; want lost", won, err)
	}
	if f.stock(t, f.teeS) != 5 || f.used(t, "TEN") != 0 {
		t.Fatalf("after release: stock %d, used %d; want 5, 0", f.stock(t, f.teeS), f.used(t, "TEN"))
	}
	if got := f.ledgerKinds(t, f.teeS.ID, o.ID); !slices.Equal(got, []string{"sale -2", "release +2"}) {
		t.Fatalf("ledger = %q", got)
	}
	got := f.get(t, o.ID)
	if got.Status != order.Cancelled || got.PaymentStatus != order.PaymentDeclined || got.DeclineCode != "card_declined" || got.DeclineMessage != "The card was declined." {
		t.Fatalf("released order = %+v", got)
	}
	c := f.cart(t, o.CartID)
	if c.Status != "open" || c.OrderID != 0 {
		t.Fatalf("cart = %s (order %d), want open again to retry", c.Status, c.OrderID)
	}
	if ev := f.events(t, o.ID); ev[len(ev)-1] != "pending_payment>cancelled gateway card_declined" {
		t.Fatalf("events = %q", ev)
	}
	// A paid order is not released.
	p := f.paid(t, nil)
	if won, err := f.s.Release(ctx, p.ID, order.PaymentFailed, "expired", "", "reconciler"); err != nil || won {
		t.Fatalf("release of a paid order: %v, %v", won, err)
	}
	if f.get(t, p.ID).Status != order.Paid || f.stock(t, f.teeS) != 4 {
		t.Fatal("a paid order was released")
	}
	f.noDrift(t)
}

func testPaidOrReleased(t *testing.T, f *shop) {
	// The gateway's answer and the reconciler's expiry race for the same order.
	o := f.placed(t, nil)
	var wg sync.WaitGroup
	var paid, released atomic.Int32
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var won bool
			var err error
			if i%2 == 0 {
				won, err = f.s.MarkPaid(ctx, o.ID, fmt.Sprintf("pay_%d", i), "visa 4242", order.PaymentAuthorized, time.Now(), nil)
				if won {
					paid.Add(1)
				}
			} else {
				won, err = f.s.Release(ctx, o.ID, order.PaymentFailed, "expired", "", "reconciler")
				if won {
					released.Add(1)
				}
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if paid.Load()+released.Load() != 1 {
		t.Fatalf("%d paid and %d released: exactly one must win", paid.Load(), released.Load())
	}
	st, stock := f.get(t, o.ID).Status, f.stock(t, f.teeS)
	if (paid.Load() == 1 && (st != order.Paid || stock != 4)) || (released.Load() == 1 && (st != order.Cancelled || stock != 5)) {
		t.Fatalf("status %s with stock %d does not match the winner", st, stock)
	}
	f.noDrift(t)
}

func testTransition(t *testing.T, f *shop) {
	o := f.paid(t, nil)
	won, err := f.s.Transition(ctx, o.ID, order.From(order.Fulfilled), order.Fulfilled, "staff:1", "", "ZA123")
	if err != nil || !won {
		t.Fatalf("ship: %v, %v", won, err)
	}
	// The same click again (or a second admin) finds the order already shipped.
	if won, err := f.s.Transition(ctx, o.ID, []order.Status{order.Paid}, order.Fulfilled, "staff:2", "", "ZA999"); err != nil || won {
		t.Fatalf("second ship from paid: %v, %v; want lost", won, err)
	}
	if got := f.get(t, o.ID); got.Status != order.Fulfilled || got.Tracking != "ZA123" {
		t.Fatalf("after ship: %s tracking %q", got.Status, got.Tracking)
	}
	// A move without a tracking number keeps the one there is.
	if won, err := f.s.Transition(ctx, o.ID, order.From(order.Delivered), order.Delivered, "staff:1", "signed for", ""); err != nil || !won {
		t.Fatalf("deliver: %v, %v", won, err)
	}
	if got := f.get(t, o.ID); got.Status != order.Delivered || got.Tracking != "ZA123" {
		t.Fatalf("after delivery: %s tracking %q", got.Status, got.Tracking)
	}
	want := []string{">pending_payment  ", "pending_payment>paid gateway visa 4242", "paid>fulfilled staff:1 tracking ZA123", "fulfilled>delivered staff:1 signed for"}
	if ev := f.events(t, o.ID); !slices.Equal(ev, want) {
		t.Fatalf("events = %q, want %q", ev, want)
	}
	if _, err := f.s.Transition(ctx, o.ID+100, []order.Status{order.Paid}, order.Fulfilled, "staff:1", "", ""); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("unknown order: %v", err)
	}
	// A pending order cannot be shipped by a stale form.
	p := f.placed(t, nil)
	if won, err := f.s.Transition(ctx, p.ID, []order.Status{order.Paid}, order.Fulfilled, "staff:1", "", "ZA1"); err != nil || won {
		t.Fatalf("ship a pending order: %v, %v", won, err)
	}
	if got := f.get(t, p.ID); got.Status != order.PendingPayment || got.Tracking != "" || len(f.events(t, p.ID)) != 1 {
		t.Fatalf("a lost transition wrote: %+v", got)
	}
}

func testTransitionConcurrent(t *testing.T, f *shop) {
	o := f.paid(t, nil)
	var wg sync.WaitGroup
	var wins atomic.Int32
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			won, err := f.s.Transition(ctx, o.ID, []order.Status{order.Paid}, order.Fulfilled, fmt.Sprintf("staff:%d", i), "", fmt.Sprintf("ZA%d", i))
			if err != nil {
				errs <- err
			}
			if won {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if wins.Load() != 1 {
		t.Fatalf("%d transitions from paid won, want exactly 1", wins.Load())
	}
	if ev := f.events(t, o.ID); len(ev) != 3 {
		t.Fatalf("events = %q, want one shipping event", ev)
	}
}

func testCancelPaid(t *testing.T, f *shop) {
	d := &pricing.Discount{Code: "TEN", Kind: pricing.Percent, Value: 10}
	if err := f.s.CreateDiscount(ctx, d); err != nil {
		t.Fatal(err)
	}
	o := f.paid(t, func(o *order.Order) { o.DiscountID, o.DiscountCode, o.CustomerKey = d.ID, "TEN", "user:1" })
	won, err := f.s.CancelPaid(ctx, o.ID, "staff:1", true)
	if err != nil || !won {
		t.Fatalf("cancel: %v, %v", won, err)
	}
	if won, err := f.s.CancelPaid(ctx, o.ID, "staff:2", true); err != nil || won {
		t.Fatalf("second cancel: %v, %v; want lost", won, err)
	}
	if f.stock(t, f.teeS) != 5 || f.used(t, "TEN") != 0 {
		t.Fatalf("after cancel: stock %d, used %d; want 5 and 0", f.stock(t, f.teeS), f.used(t, "TEN"))
	}
	if got := f.ledgerKinds(t, f.teeS.ID, o.ID); !slices.Equal(got, []string{"sale -1", "cancel +1"}) {
		t.Fatalf("ledger = %q", got)
	}
	if ev := f.events(t, o.ID); ev[len(ev)-1] != "paid>cancelled staff:1 " {
		t.Fatalf("events = %q", ev)
	}
	// Only a paid order: a shipped one is refunded, not cancelled.
	s := f.paid(t, nil)
	if _, err := f.s.Transition(ctx, s.ID, []order.Status{order.Paid}, order.Fulfilled, "staff:1", "", "ZA1"); err != nil {
		t.Fatal(err)
	}
	if won, err := f.s.CancelPaid(ctx, s.ID, "staff:1", true); err != nil || won {
		t.Fatalf("cancel a shipped order: %v, %v", won, err)
	}
	if won, err := f.s.CancelPaid(ctx, f.placed(t, nil).ID, "staff:1", true); err != nil || won {
		t.Fatalf("cancel a pending order: %v, %v", won, err)
	}
	f.noDrift(t)
}

func testRefunds(t *testing.T, f *shop) {
	o := f.paid(t, nil) // total 26000
	part := checkout.RefundChange{OrderID: o.ID, Amount: 6000, Reference: "rf_1", Actor: "staff:1", From: order.Paid, To: order.PartiallyRefunded}
	if won, err := f.s.AddRefund(ctx, part); err != nil || !won {
		t.Fatalf("partial refund: %v, %v", won, err)
	}
	// The same refund again (a retried click) is not money twice.
	again := part
	again.From, again.Refunded = order.PartiallyRefunded, 6000
	if won, err := f.s.AddRefund(ctx, again); err != nil || won {
		t.Fatalf("same reference: %v, %v; want no change", won, err)
	}
	// A change decided on a stale read of the order loses.
	stale := checkout.RefundChange{OrderID: o.ID, Amount: 1000, Reference: "rf_2", Actor: "staff:2", From: order.Paid, To: order.PartiallyRefunded}
	if won, err := f.s.AddRefund(ctx, stale); err != nil || won {
		t.Fatalf("stale status: %v, %v", won, err)
	}
	stale.From = order.PartiallyRefunded // right status, stale amount refunded
	if won, err := f.s.AddRefund(ctx, stale); err != nil || won {
		t.Fatalf("stale refunded amount: %v, %v", won, err)
	}
	// More than is left is refused.
	over := checkout.RefundChange{OrderID: o.ID, Amount: 20001, Reference: "rf_3", Actor: "staff:1", From: order.PartiallyRefunded, To: order.Refunded, Refunded: 6000}
	if won, err := f.s.AddRefund(ctx, over); err != nil || won {
		t.Fatalf("over the total: %v, %v", won, err)
	}
	if got := f.get(t, o.ID); got.Refunded != 6000 || got.Status != order.PartiallyRefunded {
		t.Fatalf("after refused refunds: refunded %d, %s", got.Refunded, got.Status)
	}
	// A second partial refund stays partially refunded, with no new event.
	second := checkout.RefundChange{OrderID: o.ID, Amount: 4000, Reference: "rf_4", Actor: "staff:1", From: order.PartiallyRefunded, To: order.PartiallyRefunded, Refunded: 6000}
	if won, err := f.s.AddRefund(ctx, second); err != nil || !won {
		t.Fatalf("second partial: %v, %v", won, err)
	}
	// The gateway refused it: undo puts the order back as it was.
	if err := f.s.UndoRefund(ctx, o.ID, "rf_4", order.PartiallyRefunded); err != nil {
		t.Fatal(err)
	}
	if err := f.s.UndoRefund(ctx, o.ID, "rf_unknown", order.Paid); err != nil {
		t.Fatalf("undo of an unknown reference: %v", err)
	}
	if got := f.get(t, o.ID); got.Refunded != 6000 || got.Status != order.PartiallyRefunded {
		t.Fatalf("after undo: refunded %d, %s; want 6000, partially_refunded", got.Refunded, got.Status)
	}
	rest := checkout.RefundChange{OrderID: o.ID, Amount: 20000, Reference: "rf_5", Actor: "staff:1", From: order.PartiallyRefunded, To: order.Refunded, Refunded: 6000}
	if won, err := f.s.AddRefund(ctx, rest); err != nil || !won {
		t.Fatalf("the rest: %v, %v", won, err)
	}
	if got := f.get(t, o.ID); got.Refunded != 26000 || got.Status != order.Refunded {
		t.Fatalf("fully refunded: %d, %s", got.Refunded, got.Status)
	}
	rs, err := f.s.Refunds(ctx, o.ID)
	if err != nil || len(rs) != 2 || rs[0].Amount != zar(6000) || rs[0].Reference != "rf_1" || rs[0].Actor != "staff:1" || rs[0].CreatedAt.IsZero() || rs[1].Amount != zar(20000) {
		t.Fatalf("refunds = %+v, %v", rs, err)
	}
	ev := f.events(t, o.ID)
	if want := []string{"paid>partially_refunded staff:1 refund 6000", "partially_refunded>refunded staff:1 refund 20000"}; !slices.Equal(ev[2:], want) {
		t.Fatalf("events = %q, want ... %q", ev, want)
	}
	// A reference is unique across orders: it cannot be replayed on another.
	other := f.paid(t, nil)
	if won, err := f.s.AddRefund(ctx, checkout.RefundChange{OrderID: other.ID, Amount: 100, Reference: "rf_1", From: order.Paid, To: order.PartiallyRefunded}); err != nil || won {
		t.Fatalf("reference of another order: %v, %v", won, err)
	}
}

func testSetPayment(t *testing.T, f *shop) {
	o := f.paid(t, nil)
	if won, err := f.s.SetPayment(ctx, o.ID, []string{order.PaymentAuthorized}, order.PaymentCaptured); err != nil || !won {
		t.Fatalf("capture: %v, %v", won, err)
	}
	if won, err := f.s.SetPayment(ctx, o.ID, []string{order.PaymentAuthorized, order.PaymentPending}, order.PaymentVoided); err != nil || won {
		t.Fatalf("void after capture: %v, %v; want lost", won, err)
	}
	if got := f.get(t, o.ID).PaymentStatus; got != order.PaymentCaptured {
		t.Fatalf("payment status = %s", got)
	}
}

func testOrderLists(t *testing.T, f *shop) {
	ann := f.newUser(t, "ann@example.com")
	bob := f.newUser(t, "bob@example.com")
	a1 := f.paid(t, func(o *order.Order) { o.UserID = ann })
	failed := f.placed(t, func(o *order.Order) { o.UserID = ann })
	if _, err := f.s.Release(ctx, failed.ID, order.PaymentDeclined, "card_declined", "", "gateway"); err != nil {
		t.Fatal(err)
	}
	a2 := f.paid(t, func(o *order.Order) { o.UserID = ann })
	b1 := f.placed(t, func(o *order.Order) { o.UserID = bob })
	ids := func(os []order.Order, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, o := range os {
			if len(o.Items) != 1 {
				t.Fatalf("order %d listed without its items", o.ID)
			}
			out = append(out, o.ID)
		}
		return out
	}
	for name, c := range map[string]struct {
		f    order.Filter
		want []int64
	}{
		"all, newest first":            {order.Filter{Limit: 10}, []int64{b1.ID, a2.ID, failed.ID, a1.ID}},
		"ann's":                        {order.Filter{UserID: ann, Limit: 10}, []int64{a2.ID, failed.ID, a1.ID}},
		"ann's placed (not failed)":    {order.Filter{UserID: ann, Placed: true, Limit: 10}, []int64{a2.ID, a1.ID}},
		"paid":                         {order.Filter{Status: order.Paid, Limit: 10}, []int64{a2.ID, a1.ID}},
		"first page":                   {order.Filter{Limit: 2}, []int64{b1.ID, a2.ID}},
		"next page":                    {order.Filter{Limit: 2, Before: a2.ID}, []int64{failed.ID, a1.ID}},
		"bob's placed (none paid yet)": {order.Filter{UserID: bob, Placed: true, Limit: 10}, nil},
	} {
		if got := ids(f.s.Orders(ctx, c.f)); !slices.Equal(got, c.want) {
			t.Errorf("%s = %v, want %v", name, got, c.want)
		}
	}
	// Counts are of orders: a checkout never paid (declined, or still
	// waiting for its payment) is not one.
	n, err := f.s.CountByStatus(ctx)
	if err != nil || len(n) != 1 || n[order.Paid] != 2 {
		t.Fatalf("counts = %v, %v", n, err)
	}
	// A paid order cancelled since is still an order, and still counted.
	if won, err := f.s.CancelPaid(ctx, a1.ID, "admin:1", true); err != nil || !won {
		t.Fatalf("cancel: %v %v", won, err)
	}
	n, err = f.s.CountByStatus(ctx)
	if err != nil || len(n) != 2 || n[order.Paid] != 1 || n[order.Cancelled] != 1 {
		t.Fatalf("counts after a cancel = %v, %v", n, err)
	}
	if got := ids(f.s.Orders(ctx, order.Filter{Placed: true, Limit: 10})); !slices.Equal(got, []int64{a2.ID, a1.ID}) {
		t.Errorf("placed = %v", got)
	}
}

// ---------------------------------------------------------------- discount limits

func testUsageLimitConcurrent(t *testing.T, f *shop) {
	d := &pricing.Discount{Code: "TENUSES", Kind: pricing.Percent, Value: 10, UsageLimit: intp(10)}
	if err := f.s.CreateDiscount(ctx, d); err != nil {
		t.Fatal(err)
	}
	orders := make([]*order.Order, 50)
	for i := range orders {
		orders[i] = f.draft(f.newCart(t, 0).ID, func(o *order.Order) {
			o.DiscountID, o.DiscountCode, o.CustomerKey = d.ID, "TENUSES", fmt.Sprintf("email:%d@example.com", i)
			o.Items[0].VariantID, o.Items[0].SKU = f.mug.ID, "MUG"
		})
	}
	var wg sync.WaitGroup
	var ok, usedUp atomic.Int32
	errs := make(chan error, len(orders))
	for _, o := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f.s.Reserve(ctx, o, 0, nil)
			var oe *ocean.Error
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &oe) && oe.Code == ocean.EUNPROCESSABLE && len(oe.Fields) == 1 && oe.Fields[0].Field == "discount":
				usedUp.Add(1)
			default:
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if ok.Load() != 10 || usedUp.Load() != 40 || f.used(t, "TENUSES") != 10 {
		t.Fatalf("%d orders with the code, %d refused, used %d; want 10, 40, 10", ok.Load(), usedUp.Load(), f.used(t, "TENUSES"))
	}
	// The refused checkouts took no stock.
	if f.stock(t, f.mug) != 990 {
		t.Fatalf("mug stock %d, want 990", f.stock(t, f.mug))
	}
	f.noDrift(t)
}

func testUsageReturned(t *testing.T, f *shop) {
	d := &pricing.Discount{Code: "ONCE", Kind: pricing.Fixed, Value: 1000, Currency: "ZAR", UsageLimit: intp(1)}
	if err := f.s.CreateDiscount(ctx, d); err != nil {
		t.Fatal(err)
	}
	with := func(o *order.Order) {
		o.DiscountID, o.DiscountCode, o.CustomerKey = d.ID, "ONCE", "email:ann@example.com"
	}
	first := f.placed(t, with)
	c := f.newCart(t, 0)
	err := f.s.Reserve(ctx, f.draft(c.ID, with), 0, nil)
	wantCode(t, "used up", err, ocean.EUNPROCESSABLE)
	if ocean.ErrorMessage(err) != "The code ONCE has been used up. Remove it to check out." {
		t.Fatalf("message = %q", ocean.ErrorMessage(err))
	}
	if f.cart(t, c.ID).Status != "open" || f.stock(t, f.teeS) != 4 {
		t.Fatal("a refused code left the cart locked or took stock")
	}
	if _, err := f.s.Release(ctx, first.ID, order.PaymentDeclined, "card_declined", "", "gateway"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Reserve(ctx, f.draft(c.ID, with), 0, nil); err != nil {
		t.Fatalf("the use a declined order gave back: %v", err)
	}
}

func testPerCustomer(t *testing.T, f *shop) {
	d := &pricing.Discount{Code: "HELLO", Kind: pricing.Percent, Value: 10, PerCustomerLimit: intp(1)}
	if err := f.s.CreateDiscount(ctx, d); err != nil {
		t.Fatal(err)
	}
	ann := func(o *order.Order) {
		o.DiscountID, o.DiscountCode, o.CustomerKey = d.ID, "HELLO", "email:ann@example.com"
	}
	first := f.paid(t, ann)
	c := f.newCart(t, 0)
	err := f.s.Reserve(ctx, f.draft(c.ID, ann), 1, nil)
	wantCode(t, "second use by ann", err, ocean.EUNPROCESSABLE)
	if ocean.ErrorMessage(err) != "You have already used the code HELLO as often as it allows." || f.used(t, "HELLO") != 1 || f.stock(t, f.teeS) != 4 {
		t.Fatalf("refusal: %q, used %d, stock %d", ocean.ErrorMessage(err), f.used(t, "HELLO"), f.stock(t, f.teeS))
	}
	// Another customer may; a cancelled order does not count.
	if err := f.s.Reserve(ctx, f.draft(f.newCart(t, 0).ID, func(o *order.Order) { ann(o); o.CustomerKey = "email:bob@example.com" }), 1, nil); err != nil {
		t.Fatalf("bob: %v", err)
	}
	if _, err := f.s.CancelPaid(ctx, first.ID, "staff:1", true); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Reserve(ctx, f.draft(c.ID, ann), 1, nil); err != nil {
		t.Fatalf("ann after her order was cancelled: %v", err)
	}
	f.noDrift(t)
}

// ---------------------------------------------------------------- reconciler

// orderIDs returns a function that takes a list query's results and returns
// the ids, failing the test on an error.
func orderIDs(t *testing.T) func([]order.Order, error) []int64 {
	return func(os []order.Order, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := []int64{}
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
}

func testStale(t *testing.T, f *shop) {
	now := time.Now().UTC()
	expired1 := f.placed(t, func(o *order.Order) { o.ReservedUntil = now.Add(-10 * time.Minute) })
	f.placed(t, func(o *order.Order) { o.ReservedUntil = now.Add(10 * time.Minute) }) // still being paid
	expired2 := f.placed(t, func(o *order.Order) { o.ReservedUntil = now.Add(-time.Minute) })
	f.paid(t, func(o *order.Order) { o.ReservedUntil = now.Add(-time.Hour) }) // paid in time
	if got := orderIDs(t)(f.s.Stale(ctx, now, 10)); !slices.Equal(got, []int64{expired1.ID, expired2.ID}) {
		t.Fatalf("stale = %v, want %v (oldest first)", got, []int64{expired1.ID, expired2.ID})
	}
	if got := orderIDs(t)(f.s.Stale(ctx, now, 1)); !slices.Equal(got, []int64{expired1.ID}) {
		t.Fatalf("stale limit 1 = %v", got)
	}
	if _, err := f.s.Release(ctx, expired1.ID, order.PaymentFailed, "expired", "", "reconciler"); err != nil {
		t.Fatal(err)
	}
	if got := orderIDs(t)(f.s.Stale(ctx, now, 10)); !slices.Equal(got, []int64{expired2.ID}) {
		t.Fatalf("stale after release = %v", got)
	}
}

func testUnsettled(t *testing.T, f *shop) {
	authorized := f.paid(t, nil) // paid, not captured: capture it
	captured := f.paid(t, nil)
	if _, err := f.s.SetPayment(ctx, captured.ID, []string{order.PaymentAuthorized}, order.PaymentCaptured); err != nil {
		t.Fatal(err)
	}
	cancelledAuth := f.paid(t, nil) // cancelled with the hold on the card: void it
	if _, err := f.s.CancelPaid(ctx, cancelledAuth.ID, "staff:1", true); err != nil {
		t.Fatal(err)
	}
	cancelledCaptured := f.paid(t, nil) // cancelled after capture, nothing refunded: refund it
	if _, err := f.s.SetPayment(ctx, cancelledCaptured.ID, []string{order.PaymentAuthorized}, order.PaymentCaptured); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CancelPaid(ctx, cancelledCaptured.ID, "staff:1", true); err != nil {
		t.Fatal(err)
	}
	voided := f.paid(t, nil) // cancelled and voided: settled
	if _, err := f.s.CancelPaid(ctx, voided.ID, "staff:1", true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SetPayment(ctx, voided.ID, []string{order.PaymentAuthorized}, order.PaymentVoided); err != nil {
		t.Fatal(err)
	}
	f.placed(t, nil) // pending: not the settler's business
	want := []int64{authorized.ID, cancelledAuth.ID, cancelledCaptured.ID}
	if got := orderIDs(t)(f.s.Unsettled(ctx, 10)); !slices.Equal(got, want) {
		t.Fatalf("unsettled = %v, want %v", got, want)
	}
	if got := orderIDs(t)(f.s.Unsettled(ctx, 2)); !slices.Equal(got, want[:2]) {
		t.Fatalf("unsettled limit 2 = %v", got)
	}
}

func testUnanswered(t *testing.T, f *shop) {
	before := time.Now().UTC().Add(-time.Minute)
	timedOut := f.placed(t, nil)
	if _, err := f.s.Release(ctx, timedOut.ID, order.PaymentFailed, "gateway_unavailable", "The gateway did not answer.", "gateway"); err != nil {
		t.Fatal(err)
	}
	declined := f.placed(t, nil)
	if _, err := f.s.Release(ctx, declined.ID, order.PaymentDeclined, "card_declined", "", "gateway"); err != nil {
		t.Fatal(err)
	}
	if got := orderIDs(t)(f.s.Unanswered(ctx, before, 10)); !slices.Equal(got, []int64{timedOut.ID}) {
		t.Fatalf("unanswered = %v, want %v", got, []int64{timedOut.ID})
	}
	if got := orderIDs(t)(f.s.Unanswered(ctx, time.Now().UTC().Add(time.Hour), 10)); len(got) != 0 {
		t.Fatalf("unanswered since later = %v, want none (too old to look for)", got)
	}
}

func testWebhooks(t *testing.T, f *shop) {
	if first, err := f.s.FirstWebhook(ctx, "evt_1"); err != nil || !first {
		t.Fatalf("first delivery: %v, %v", first, err)
	}
	if first, err := f.s.FirstWebhook(ctx, "evt_1"); err != nil || first {
		t.Fatalf("redelivery: %v, %v; want seen", first, err)
	}
	// Processing failed: forgetting it lets the gateway's next delivery through.
	if err := f.s.ForgetWebhook(ctx, "evt_1"); err != nil {
		t.Fatal(err)
	}
	if first, err := f.s.FirstWebhook(ctx, "evt_1"); err != nil || !first {
		t.Fatalf("after forget: %v, %v", first, err)
	}
}

// testRestock: a refund's restock puts chosen units back with one
// 'restock' row per line, never more than the order has left to restock,
// all or nothing; nil lines restock what is left; a paid order cancelled
// without restock keeps its units sold. The ledger check holds throughout.
func testRestock(t *testing.T, f *shop) {
	o := f.paid(t, func(o *order.Order) {
		o.Items[0].Quantity = 3
		o.Items = append(o.Items, order.Item{VariantID: f.teeM.ID, ProductName: "Tee", ProductSlug: "tee", SKU: "TEE-M", UnitPrice: zar(20000), Quantity: 1, LineTotal: zar(20000)})
	})
	if f.stock(t, f.teeS) != 2 || f.stock(t, f.teeM) != 2 {
		t.Fatalf("after the sale: %d and %d", f.stock(t, f.teeS), f.stock(t, f.teeM))
	}
	if err := f.s.Restock(ctx, o.ID, []checkout.RestockLine{{VariantID: f.teeS.ID, Quantity: 1}}, "admin:1"); err != nil {
		t.Fatal(err)
	}
	if got := f.ledgerKinds(t, f.teeS.ID, o.ID); !slices.Equal(got, []string{"sale -3", "restock +1"}) || f.stock(t, f.teeS) != 3 {
		t.Fatalf("after restocking 1: ledger %q, stock %d", got, f.stock(t, f.teeS))
	}
	for _, bad := range [][]checkout.RestockLine{
		{{VariantID: f.teeS.ID, Quantity: 3}},                                      // 2 left
		{{VariantID: f.teeM.ID, Quantity: 1}, {VariantID: f.teeS.ID, Quantity: 5}}, // all or nothing
		{{VariantID: f.mug.ID, Quantity: 1}},                                       // not on the order
		{{VariantID: f.teeS.ID, Quantity: 0}},
	} {
		if err := f.s.Restock(ctx, o.ID, bad, "admin:1"); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
			t.Fatalf("restock %+v: %v, want EUNPROCESSABLE", bad, err)
		}
	}
	if f.stock(t, f.teeS) != 3 || f.stock(t, f.teeM) != 2 {
		t.Fatalf("a refused restock wrote: %d, %d", f.stock(t, f.teeS), f.stock(t, f.teeM))
	}
	// Everything left: 2 of S and 1 of M; then there is nothing left.
	if err := f.s.Restock(ctx, o.ID, nil, "admin:1"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Restock(ctx, o.ID, nil, "admin:1"); err != nil {
		t.Fatal(err)
	}
	if f.stock(t, f.teeS) != 5 || f.stock(t, f.teeM) != 3 {
		t.Fatalf("after restocking the rest: %d and %d, want 5 and 3", f.stock(t, f.teeS), f.stock(t, f.teeM))
	}
	if got := f.ledgerKinds(t, f.teeS.ID, o.ID); !slices.Equal(got, []string{"sale -3", "restock +1", "restock +2"}) {
		t.Fatalf("ledger = %q", got)
	}
	if err := f.s.Restock(ctx, o.ID, []checkout.RestockLine{{VariantID: f.teeS.ID, Quantity: 1}}, "admin:1"); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("restock past the order: %v", err)
	}
	// A paid order cancelled without restock: its unit stays sold.
	c := f.paid(t, nil)
	if won, err := f.s.CancelPaid(ctx, c.ID, "admin:1", false); err != nil || !won {
		t.Fatalf("cancel without restock: %v, %v", won, err)
	}
	if got := f.ledgerKinds(t, f.teeS.ID, c.ID); !slices.Equal(got, []string{"sale -1"}) || f.stock(t, f.teeS) != 4 {
		t.Fatalf("cancelled without restock: ledger %q, stock %d", got, f.stock(t, f.teeS))
	}
	if ev := f.events(t, c.ID); ev[len(ev)-1] != "paid>cancelled admin:1 not restocked" {
		t.Fatalf("events = %q", ev)
	}
	// Its units can still go back later (restocked after a return).
	if err := f.s.Restock(ctx, c.ID, nil, "admin:1"); err != nil || f.stock(t, f.teeS) != 5 {
		t.Fatalf("restock a cancelled order later: %v, stock %d", err, f.stock(t, f.teeS))
	}
	f.noDrift(t)
}

// ---------------------------------------------------------------- numbers and attempts

// testNumbers: a number is given when an order is paid, the next after
// the last one given; a released checkout and a lost compare-and-set
// consume none.
func testNumbers(t *testing.T, f *shop) {
	first := f.paid(t, nil)
	n1 := f.get(t, first.ID).Num
	if n1 != 100001 || f.get(t, first.ID).Number() != "OC100001" {
		t.Fatalf("first number of a new shop = %d", n1)
	}
	if by, err := f.s.OrderByNumber(ctx, n1); err != nil || by.ID != first.ID || len(by.Items) != 1 {
		t.Fatalf("by number: %+v, %v", by, err)
	}
	for _, n := range []int64{0, n1 + 1} {
		if _, err := f.s.OrderByNumber(ctx, n); ocean.ErrorCode(err) != ocean.ENOTFOUND {
			t.Fatalf("by number %d: %v", n, err)
		}
	}
	pending := f.placed(t, nil)
	if got := f.get(t, pending.ID); got.Num != 0 || got.Number() != "" {
		t.Fatalf("an unpaid checkout has number %d", got.Num)
	}
	declined := f.placed(t, nil)
	release(t, f, declined.ID, order.PaymentDeclined, "card_declined")
	if won, err := f.s.MarkPaid(ctx, declined.ID, "pay_x", "visa", order.PaymentAuthorized, time.Now().UTC(), nil); won || err != nil {
		t.Fatalf("a released checkout was paid: %v %v", won, err)
	}
	if won, err := f.s.MarkPaid(ctx, first.ID, "pay_y", "visa", order.PaymentAuthorized, time.Now().UTC(), nil); won || err != nil {
		t.Fatalf("paid twice: %v %v", won, err)
	}
	if f.get(t, first.ID).Num != n1 {
		t.Fatal("a second notice of payment renumbered the order")
	}
	// The pending one is paid after the declined one was given up: it is
	// next in line.
	if won, err := f.s.MarkPaid(ctx, pending.ID, "pay_p", "visa", order.PaymentAuthorized, time.Now().UTC(), nil); !won || err != nil {
		t.Fatalf("mark paid: %v %v", won, err)
	}
	second := f.paid(t, nil)
	if a, b := f.get(t, pending.ID).Num, f.get(t, second.ID).Num; a != n1+1 || b != n1+2 {
		t.Fatalf("numbers %d, %d after %d: want no gap", a, b, n1)
	}
	if f.get(t, declined.ID).Num != 0 {
		t.Fatal("a declined checkout got a number")
	}
	// Paying an order that is not there takes no number either.
	if won, err := f.s.MarkPaid(ctx, second.ID+1000, "pay_g", "visa", order.PaymentAuthorized, time.Now().UTC(), nil); won || err != nil {
		t.Fatalf("paid an order that does not exist: %v %v", won, err)
	}
	third := f.paid(t, nil)
	if got := f.get(t, third.ID).Num; got != n1+3 {
		t.Fatalf("number after a payment of nothing = %d, want %d", got, n1+3)
	}
}

// testNumbersConcurrent: payments racing on two instances of the shop (two
// stores on one database) get every number once, with no gap, while
// declines race beside them.
func testNumbersConcurrent(t *testing.T, f *shop) {
	other := f.s
	if f.Second != nil {
		other = f.Second(t)
	}
	const paying, declining = 24, 8
	type job struct {
		o   *order.Order
		pay bool
		s   CommerceStore
	}
	var jobs []job
	for i := 0; i < paying+declining; i++ {
		st := f.s
		if i%2 == 1 {
			st = other
		}
		o := f.placed(t, func(o *order.Order) { o.Items[0].VariantID, o.Items[0].SKU = f.mug.ID, "MUG" })
		jobs = append(jobs, job{o, i < paying, st})
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(jobs))
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var won bool
			var err error
			if j.pay {
				won, err = j.s.MarkPaid(ctx, j.o.ID, "pay_"+j.o.PublicID, "visa", order.PaymentAuthorized, time.Now().UTC(), nil)
			} else {
				won, err = j.s.Release(ctx, j.o.ID, order.PaymentDeclined, "card_declined", "", "gateway")
			}
			if err == nil && !won {
				err = fmt.Errorf("order %d: lost a compare-and-set nobody else ran", j.o.ID)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var nums []int64
	for _, j := range jobs {
		got := f.get(t, j.o.ID)
		if j.pay != (got.Num != 0) {
			t.Fatalf("order %d (paid %v) has number %d", j.o.ID, j.pay, got.Num)
		}
		if got.Num != 0 {
			nums = append(nums, got.Num)
		}
	}
	slices.Sort(nums)
	for i, n := range nums {
		if n != 100001+int64(i) {
			t.Fatalf("numbers %v: want 100001…%d, each once", nums, 100000+paying)
		}
	}
}

// testAttempts: every authorization is a row; the attempts of one
// checkout (one cart, several order rows) list together, oldest first; a
// reference succeeds once.
func testAttempts(t *testing.T, f *shop) {
	c := f.newCart(t, 0)
	at := time.Now().UTC().Truncate(time.Microsecond)
	record := func(o *order.Order, outcome, code string, n int) *order.Attempt {
		t.Helper()
		a := &order.Attempt{OrderID: o.ID, CartID: o.CartID, Gateway: "sandbox", Reference: o.PaymentRef, Amount: o.Totals.Total,
			Outcome: outcome, DeclineCode: code, Message: "words " + code, CreatedAt: at.Add(time.Duration(n) * time.Second)}
		if err := f.s.RecordAttempt(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	d1 := f.order(t, c.ID, nil)
	a1 := record(d1, order.AttemptDeclined, "card_declined", 1)
	release(t, f, d1.ID, order.PaymentDeclined, "card_declined")
	d2 := f.order(t, c.ID, nil)
	record(d2, order.AttemptTimedOut, "timeout", 2)
	release(t, f, d2.ID, order.PaymentFailed, "gateway_unavailable")
	p := f.order(t, c.ID, nil)
	a3 := record(p, order.AttemptSucceeded, "", 3)
	if a1.ID == 0 || a3.ID <= a1.ID {
		t.Fatalf("ids %d, %d", a1.ID, a3.ID)
	}
	// The reconciler reporting the same success again changes nothing.
	if again := record(p, order.AttemptSucceeded, "", 4); again.ID != 0 {
		t.Fatalf("a reference succeeded twice (id %d)", again.ID)
	}
	// Another checkout's attempts stay apart.
	other := f.placed(t, nil)
	record(other, order.AttemptDeclined, "insufficient_funds", 5)
	for _, id := range []int64{p.ID, d1.ID} {
		as, err := f.s.Attempts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range as {
			got = append(got, fmt.Sprintf("%d %s %s %s %s %s %s", a.OrderID, a.Outcome, a.DeclineCode, a.Message, a.Gateway, a.Amount, a.CartID))
			if a.Reference == "" || !a.CreatedAt.Equal(at.Add(time.Duration(len(got))*time.Second)) {
				t.Errorf("attempt %+v", a)
			}
		}
		want := []string{
			fmt.Sprintf("%d declined card_declined words card_declined sandbox %s %s", d1.ID, p.Totals.Total, c.ID),
			fmt.Sprintf("%d timed_out timeout words timeout sandbox %s %s", d2.ID, p.Totals.Total, c.ID),
			fmt.Sprintf("%d succeeded  words  sandbox %s %s", p.ID, p.Totals.Total, c.ID),
		}
		if !slices.Equal(got, want) {
			t.Fatalf("attempts of %d = %q, want %q", id, got, want)
		}
	}
	if as, err := f.s.Attempts(ctx, other.ID+1000); err != nil || as == nil || len(as) != 0 {
		t.Fatalf("attempts of no order = %v, %v", as, err)
	}
	// An outcome outside the list is refused by the database.
	bad := &order.Attempt{OrderID: p.ID, CartID: c.ID, Gateway: "sandbox", Reference: "r", Amount: zar(1), Outcome: "maybe", CreatedAt: at}
	if err := f.s.RecordAttempt(ctx, bad); err == nil {
		t.Fatal("an unknown outcome was recorded")
	}
}
