package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/pricing"
)

// CommerceStore is every store the commerce packages use. One adapter
// implements them together: a checkout writes carts, stock, discounts and
// orders in one transaction.
type CommerceStore interface {
	cart.Store
	pricing.Store
	inventory.Store
	checkout.Store
}

// CommerceDB is a fresh, migrated, empty database as the commerce suite
// needs it: the catalog and accounts to make the variants and shoppers that
// carts and orders refer to, the commerce store under test, and Exec to
// change a table behind the store's back (as someone editing the database
// by hand would), so the suite can prove what `ocean inventory verify` finds.
type CommerceDB struct {
	Catalog  catalog.Store
	Accounts account.Store
	Commerce CommerceStore
	Exec     func(t *testing.T, query string, args ...any)
	// Second, when set, opens another commerce store on the same
	// database: a second instance of the shop (its own connection pool),
	// for the races between instances. nil uses Commerce again.
	Second func(t *testing.T) CommerceStore
}

// Commerce runs the contract of the commerce stores: carts and their lines,
// discounts, shipping and tax, the inventory ledger, stock reservations,
// orders and their compare-and-set transitions, discount usage limits,
// idempotency keys, and the reconciler's queries.
func Commerce(t *testing.T, open func(t *testing.T) CommerceDB) {
	// Every test has its own database, so they run in parallel: on
	// PostgreSQL most of a test's time is making that database.
	fx := func(t *testing.T) *shop { t.Parallel(); return newShop(t, open(t)) }
	t.Run("carts", func(t *testing.T) {
		t.Run("lines merge per variant and change in place", func(t *testing.T) { testCartLines(t, fx(t)) })
		t.Run("a line never holds more than the maximum", func(t *testing.T) { testCartMax(t, fx(t)) })
		t.Run("owners and open carts", func(t *testing.T) { testCartOwners(t, fx(t)) })
		t.Run("variants as the cart sees them", func(t *testing.T) { testCartVariants(t, fx(t)) })
		t.Run("a cart being checked out cannot change", func(t *testing.T) { testCartLocked(t, fx(t)) })
	})
	t.Run("pricing", func(t *testing.T) {
		t.Run("discount codes", func(t *testing.T) { testDiscounts(t, fx(t)) })
		t.Run("shipping methods per country", func(t *testing.T) { testShipping(t, fx(t)) })
		t.Run("tax rates", func(t *testing.T) { testTaxRates(t, fx(t)) })
		t.Run("zone tax rates apply to the zone's countries unless overridden", func(t *testing.T) { testZoneTaxRates(t, fx(t)) })
		t.Run("shop settings are versioned", func(t *testing.T) { testSettings(t, fx(t)) })
		t.Run("shipping zones and methods are versioned and audited", func(t *testing.T) { testZones(t, fx(t)) })
	})
	t.Run("inventory", func(t *testing.T) {
		t.Run("adjustments and their ledger", func(t *testing.T) { testAdjust(t, fx(t)) })
		t.Run("stock never goes below zero under concurrent adjustments", func(t *testing.T) { testAdjustConcurrent(t, fx(t)) })
		t.Run("verify finds a variant whose stock is not its ledger", func(t *testing.T) { testVerify(t, fx(t)) })
		t.Run("stock set in the catalog editor is a ledger row", func(t *testing.T) { testCatalogStock(t, fx(t)) })
	})
	t.Run("orders", func(t *testing.T) {
		t.Run("reserve writes the order, takes the stock and locks the cart", func(t *testing.T) { testReserve(t, fx(t)) })
		t.Run("short stock reserves nothing", func(t *testing.T) { testReserveShort(t, fx(t)) })
		t.Run("stock never goes below zero under concurrent checkouts", func(t *testing.T) { testReserveConcurrent(t, fx(t)) })
		t.Run("fencing tokens refuse a stale lock holder", func(t *testing.T) { testReserveFenced(t, fx(t)) })
		t.Run("idempotency keys are one order per cart", func(t *testing.T) { testIdempotency(t, fx(t)) })
		t.Run("paid once", func(t *testing.T) { testMarkPaid(t, fx(t)) })
		t.Run("release gives everything back once", func(t *testing.T) { testRelease(t, fx(t)) })
		t.Run("paid or released, never both", func(t *testing.T) { testPaidOrReleased(t, fx(t)) })
		t.Run("transitions are compare-and-set with history", func(t *testing.T) { testTransition(t, fx(t)) })
		t.Run("one of many concurrent transitions wins", func(t *testing.T) { testTransitionConcurrent(t, fx(t)) })
		t.Run("cancelling a paid order restocks it", func(t *testing.T) { testCancelPaid(t, fx(t)) })
		t.Run("refunds", func(t *testing.T) { testRefunds(t, fx(t)) })
		t.Run("restock puts chosen units back, never more than sold", func(t *testing.T) { testRestock(t, fx(t)) })
		t.Run("payment status is compare-and-set", func(t *testing.T) { testSetPayment(t, fx(t)) })
		t.Run("lists and counts", func(t *testing.T) { testOrderLists(t, fx(t)) })
		t.Run("numbers are given when paid, without gaps", func(t *testing.T) { testNumbers(t, fx(t)) })
		t.Run("numbers stay gapless under concurrent payments on two instances", func(t *testing.T) { testNumbersConcurrent(t, fx(t)) })
		t.Run("payment attempts are recorded per checkout", func(t *testing.T) { testAttempts(t, fx(t)) })
	})
	t.Run("discount limits", func(t *testing.T) {
		t.Run("a limit of 10 uses holds under 50 concurrent checkouts", func(t *testing.T) { testUsageLimitConcurrent(t, fx(t)) })
		t.Run("a released order gives its use back", func(t *testing.T) { testUsageReturned(t, fx(t)) })
		t.Run("per customer", func(t *testing.T) { testPerCustomer(t, fx(t)) })
	})
	t.Run("reconciler", func(t *testing.T) {
		t.Run("stale reservations", func(t *testing.T) { testStale(t, fx(t)) })
		t.Run("unsettled payments", func(t *testing.T) { testUnsettled(t, fx(t)) })
		t.Run("unanswered gateway calls", func(t *testing.T) { testUnanswered(t, fx(t)) })
		t.Run("webhook events are processed once", func(t *testing.T) { testWebhooks(t, fx(t)) })
	})
}

// shop is a database with a small catalog: a tee in two sizes and a mug.
type shop struct {
	CommerceDB
	s         CommerceStore
	teeS      catalog.Variant // stock 5
	teeM      catalog.Variant // stock 3
	mug       catalog.Variant // stock 1000
	n         atomic.Int64    // makes public ids and payment references unique
	productID int64
}

func newShop(t *testing.T, db CommerceDB) *shop {
	t.Helper()
	c := &catalog.Category{Slug: "things", Name: "Things"}
	if err := db.Catalog.CreateCategory(ctx, c, catalog.System); err != nil {
		t.Fatal(err)
	}
	tee := &catalog.Product{Slug: "tee", Name: "Tee", Description: "A tee.", CategoryID: c.ID,
		Options: []catalog.Option{{Name: "size", Values: []string{"S", "M"}}},
		Variants: []catalog.Variant{
			{SKU: "TEE-S", Options: map[string]string{"size": "S"}, Price: zar(20000), Stock: 5},
			{SKU: "TEE-M", Options: map[string]string{"size": "M"}, Price: zar(22000), Stock: 3, Position: 1},
		}}
	mug := &catalog.Product{Slug: "mug", Name: "Mug", Description: "A mug.", CategoryID: c.ID,
		Variants: []catalog.Variant{{SKU: "MUG", Price: zar(9900), Stock: 1000}}}
	for _, p := range []*catalog.Product{tee, mug} {
		if err := db.Catalog.CreateProduct(ctx, p, catalog.System); err != nil {
			t.Fatal(err)
		}
	}
	return &shop{CommerceDB: db, s: db.Commerce, teeS: tee.Variants[0], teeM: tee.Variants[1], mug: mug.Variants[0], productID: tee.ID}
}

func (f *shop) newCart(t *testing.T, userID int64) *cart.Cart {
	t.Helper()
	c := &cart.Cart{ID: cart.NewID(), UserID: userID, Status: cart.Open}
	if err := f.s.CreateCart(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *shop) newUser(t *testing.T, email string) int64 {
	t.Helper()
	now := time.Now().UTC()
	u := &account.User{Email: email, Name: "Shopper", Role: account.RoleCustomer, CreatedAt: now, UpdatedAt: now}
	if err := f.Accounts.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func (f *shop) stock(t *testing.T, v catalog.Variant) int {
	t.Helper()
	l, err := f.s.Level(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	return l.Stock
}

func (f *shop) cart(t *testing.T, id string) *cart.Cart {
	t.Helper()
	c, err := f.s.Cart(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noDrift asserts every variant's stock is the sum of its ledger.
func (f *shop) noDrift(t *testing.T) {
	t.Helper()
	d, n, err := f.s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 0 || n != 3 {
		t.Fatalf("verify = %+v over %d variants, want no drift over 3", d, n)
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if ocean.ErrorCode(err) != code {
		t.Fatalf("%s: got %v (%s), want %s", what, err, ocean.ErrorCode(err), code)
	}
}

// ---------------------------------------------------------------- carts

func testCartLines(t *testing.T, f *shop) {
	c := f.newCart(t, 0)
	got := f.cart(t, c.ID)
	if got.Status != cart.Open || got.UserID != 0 || got.Currency != "" || len(got.Items) != 0 || got.CreatedAt.IsZero() {
		t.Fatalf("new cart = %+v", got)
	}
	first, err := f.s.AddItem(ctx, c.ID, f.teeS.ID, 2, "ZAR")
	if err != nil || first.Quantity != 2 || first.VariantID != f.teeS.ID || first.ID == 0 {
		t.Fatalf("add = %+v, %v", first, err)
	}
	// The same variant again adds to its line, not a second line.
	if again, err := f.s.AddItem(ctx, c.ID, f.teeS.ID, 3, "ZAR"); err != nil || again.Quantity != 5 || again.ID != first.ID {
		t.Fatalf("add again = %+v, %v; want line %d at 5", again, err, first.ID)
	}
	// The store itself refuses more than the stock (5 tees) and an unknown
	// variant, whatever its caller read before, and writes nothing then.
	_, err = f.s.AddItem(ctx, c.ID, f.teeS.ID, 1, "ZAR")
	wantCode(t, "a line over the stock", err, ocean.ECONFLICT)
	_, err = f.s.AddItem(ctx, c.ID, f.teeM.ID, 4, "ZAR")
	wantCode(t, "a new line over the stock", err, ocean.ECONFLICT)
	_, err = f.s.AddItem(ctx, c.ID, 999999, 1, "ZAR")
	wantCode(t, "an unknown variant", err, ocean.EUNPROCESSABLE)
	if _, err := f.s.AddItem(ctx, c.ID, f.mug.ID, 1, "USD"); err != nil {
		t.Fatal(err)
	}
	got = f.cart(t, c.ID)
	if got.Currency != "ZAR" {
		t.Fatalf("currency = %q: the first line's currency stays", got.Currency)
	}
	if len(got.Items) != 2 || got.Items[0].VariantID != f.teeS.ID || got.Items[0].Quantity != 5 || got.Items[1].VariantID != f.mug.ID {
		t.Fatalf("items = %+v, want tee ×5 then mug ×1 in the order added", got.Items)
	}
	tee, mug := got.Items[0], got.Items[1]
	if err := f.s.SetQuantity(ctx, c.ID, tee.ID, 7); err != nil {
		t.Fatal(err)
	}
	if err := f.s.RemoveItem(ctx, c.ID, mug.ID); err != nil {
		t.Fatal(err)
	}
	got = f.cart(t, c.ID)
	if len(got.Items) != 1 || got.Items[0].Quantity != 7 {
		t.Fatalf("items = %+v, want tee ×7 only", got.Items)
	}
	// A line id of another cart is not a line of this one.
	other := f.newCart(t, 0)
	wantCode(t, "set quantity of another cart's line", f.s.SetQuantity(ctx, other.ID, tee.ID, 1), ocean.ENOTFOUND)
	wantCode(t, "remove another cart's line", f.s.RemoveItem(ctx, other.ID, tee.ID), ocean.ENOTFOUND)
	wantCode(t, "remove a removed line", f.s.RemoveItem(ctx, c.ID, mug.ID), ocean.ENOTFOUND)
	if f.cart(t, c.ID).Items[0].Quantity != 7 {
		t.Fatal("a refused change touched the line")
	}
	if _, err := f.s.Cart(ctx, cart.NewID()); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("unknown cart: %v", err)
	}
	if err := f.s.SetDiscountCode(ctx, c.ID, "WELCOME10"); err != nil {
		t.Fatal(err)
	}
	if f.cart(t, c.ID).DiscountCode != "WELCOME10" {
		t.Fatal("discount code not kept")
	}
	// Deleting an open cart removes it and its lines.
	if err := f.s.DeleteCart(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Cart(ctx, c.ID); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("deleted cart: %v", err)
	}
}

func testCartMax(t *testing.T, f *shop) {
	c := f.newCart(t, 0)
	if _, err := f.s.AddItem(ctx, c.ID, f.mug.ID, 60, "ZAR"); err != nil {
		t.Fatal(err)
	}
	_, err := f.s.AddItem(ctx, c.ID, f.mug.ID, 60, "ZAR")
	wantCode(t, "line over the maximum", err, ocean.EUNPROCESSABLE)
	if got := f.cart(t, c.ID).Items[0].Quantity; got != 60 {
		t.Fatalf("line = %d after a refused add, want 60 (nothing written)", got)
	}
	if _, err := f.s.AddItem(ctx, c.ID, f.mug.ID, cart.MaxLineQuantity-60, "ZAR"); err != nil {
		t.Fatalf("up to the maximum exactly: %v", err)
	}
}

func testCartOwners(t *testing.T, f *shop) {
	ann := f.newUser(t, "ann@example.com")
	if _, err := f.s.OpenCartOf(ctx, ann); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("no cart yet: %v", err)
	}
	guest := f.newCart(t, 0)
	if err := f.s.SetOwner(ctx, guest.ID, ann); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.OpenCartOf(ctx, ann)
	if err != nil || got.ID != guest.ID || got.UserID != ann {
		t.Fatalf("open cart of ann = %+v, %v; want the guest cart she took over", got, err)
	}
	// An ordered cart is not open: her open cart is the other one.
	own := f.newCart(t, ann)
	if _, err := f.s.AddItem(ctx, own.ID, f.mug.ID, 1, "ZAR"); err != nil {
		t.Fatal(err)
	}
	o := f.order(t, own.ID, nil)
	if won, err := f.s.MarkPaid(ctx, o.ID, "pay_1", "visa 4242", order.PaymentAuthorized, time.Now(), nil); !won || err != nil {
		t.Fatalf("mark paid: %v %v", won, err)
	}
	got, err = f.s.OpenCartOf(ctx, ann)
	if err != nil || got.ID != guest.ID {
		t.Fatalf("open cart of ann = %+v, %v; want %s (the other is ordered)", got, err, guest.ID)
	}
}

func testCartVariants(t *testing.T, f *shop) {
	vs, err := f.s.Variants(ctx, []int64{f.teeM.ID, f.mug.ID, 999999})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("variants = %+v, want two (an unknown id is left out)", vs)
	}
	m := vs[f.teeM.ID]
	if m.ProductName != "Tee" || m.ProductSlug != "tee" || m.SKU != "TEE-M" || m.Options["size"] != "M" || m.Price != zar(22000) || m.Stock != 3 {
		t.Fatalf("tee M = %+v", m)
	}
	if vs, err := f.s.Variants(ctx, nil); err != nil || len(vs) != 0 {
		t.Fatalf("no ids: %v, %v", vs, err)
	}
}

func testCartLocked(t *testing.T, f *shop) {
	c := f.newCart(t, 0)
	if _, err := f.s.AddItem(ctx, c.ID, f.teeS.ID, 1, "ZAR"); err != nil {
		t.Fatal(err)
	}
	line := f.cart(t, c.ID).Items[0]
	o := f.order(t, c.ID, nil)
	got := f.cart(t, c.ID)
	if got.Status != cart.Checkout || got.OrderID != o.ID {
		t.Fatalf("cart after reserve = %s order %d, want checkout of order %d", got.Status, got.OrderID, o.ID)
	}
	_, err := f.s.AddItem(ctx, c.ID, f.mug.ID, 1, "ZAR")
	wantCode(t, "add to a cart in checkout", err, ocean.ECONFLICT)
	wantCode(t, "set quantity in checkout", f.s.SetQuantity(ctx, c.ID, line.ID, 2), ocean.ECONFLICT)
	wantCode(t, "remove in checkout", f.s.RemoveItem(ctx, c.ID, line.ID), ocean.ECONFLICT)
	wantCode(t, "discount in checkout", f.s.SetDiscountCode(ctx, c.ID, "X"), ocean.ECONFLICT)
	if err := f.s.DeleteCart(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	got = f.cart(t, c.ID)
	if len(got.Items) != 1 || got.Items[0].Quantity != 1 || got.DiscountCode != "" {
		t.Fatalf("a cart in checkout changed: %+v", got)
	}
}

// ---------------------------------------------------------------- pricing

func intp(n int) *int { return &n }

func testDiscounts(t *testing.T, f *shop) {
	starts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ends := starts.AddDate(1, 0, 0)
	d := &pricing.Discount{Code: "SUMMER", Kind: pricing.Fixed, Value: 5000, Currency: "ZAR", MinSubtotal: 20000,
		StartsAt: &starts, EndsAt: &ends, UsageLimit: intp(10), PerCustomerLimit: intp(1)}
	if err := f.s.CreateDiscount(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := f.s.CreateDiscount(ctx, &pricing.Discount{Code: "FREESHIP", Kind: pricing.FreeShipping}); err != nil {
		t.Fatal(err)
	}
	if d.ID == 0 {
		t.Fatal("id not set")
	}
	got, err := f.s.DiscountByCode(ctx, "SUMMER")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != d.ID || got.Kind != pricing.Fixed || got.Value != 5000 || got.Currency != "ZAR" || got.MinSubtotal != 20000 ||
		got.StartsAt == nil || !got.StartsAt.Equal(starts) || got.EndsAt == nil || !got.EndsAt.Equal(ends) ||
		got.UsageLimit == nil || *got.UsageLimit != 10 || got.PerCustomerLimit == nil || *got.PerCustomerLimit != 1 || got.Used != 0 {
		t.Fatalf("round trip = %+v", got)
	}
	free, err := f.s.DiscountByCode(ctx, "FREESHIP")
	if err != nil || free.StartsAt != nil || free.EndsAt != nil || free.UsageLimit != nil || free.PerCustomerLimit != nil {
		t.Fatalf("unlimited code = %+v, %v", free, err)
	}
	wantCode(t, "taken code", f.s.CreateDiscount(ctx, &pricing.Discount{Code: "SUMMER", Kind: pricing.Percent, Value: 10}), ocean.ECONFLICT)
	if _, err := f.s.DiscountByCode(ctx, "WINTER"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("unknown code: %v", err)
	}
	all, err := f.s.Discounts(ctx)
	if err != nil || len(all) != 2 || all[0].Code != "FREESHIP" || all[1].Code != "SUMMER" {
		t.Fatalf("discounts = %+v, %v; want both, by code", all, err)
	}
}

func testShipping(t *testing.T, f *shop) {
	free := int64(50000)
	for _, m := range []*pricing.ShippingMethod{
		{Code: "standard", Name: "Standard", Country: "*", Price: zar(9900), Position: 1},
		{Code: "express", Name: "Express", Country: "*", Price: zar(19900), Position: 2},
		{Code: "standard", Name: "Courier", Country: "ZA", Price: zar(6000), FreeAbove: &free, Position: 1},
	} {
		if err := f.s.CreateShippingMethod(ctx, m); err != nil {
			t.Fatal(err)
		}
		if m.ID == 0 {
			t.Fatal("id not set")
		}
	}
	wantCode(t, "same code and country", f.s.CreateShippingMethod(ctx, &pricing.ShippingMethod{Code: "standard", Name: "Again", Country: "ZA", Price: zar(1)}), ocean.ECONFLICT)
	za, err := f.s.ShippingMethods(ctx, "ZA")
	if err != nil {
		t.Fatal(err)
	}
	// South Africa has a method of its own, so it is its own zone: none of
	// the rest of the world's methods (an international courier) is
	// offered for a South African address.
	if len(za) != 1 || za[0].Name != "Courier" || za[0].FreeAbove == nil || *za[0].FreeAbove != free {
		t.Fatalf("ZA methods = %+v", za)
	}
	de, err := f.s.ShippingMethods(ctx, "DE")
	if err != nil || len(de) != 2 || de[0].Name != "Standard" || de[0].FreeAbove != nil || de[0].Price != zar(9900) {
		t.Fatalf("DE methods = %+v, %v", de, err)
	}
	all, err := f.s.AllShippingMethods(ctx)
	if err != nil || len(all) != 3 || all[0].Country != "ZA" || all[2].Country != "*" {
		t.Fatalf("all methods = %+v, %v", all, err)
	}
}

func testTaxRates(t *testing.T, f *shop) {
	if _, err := f.s.TaxRate(ctx, "ZA"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("no rate yet: %v", err)
	}
	if err := f.s.SetTaxRate(ctx, pricing.TaxRate{Country: "ZA", Name: "VAT", RateBP: 1400}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SetTaxRate(ctx, pricing.TaxRate{Country: "ZA", Name: "VAT", RateBP: 1500}); err != nil {
		t.Fatal(err)
	}
	r, err := f.s.TaxRate(ctx, "ZA")
	if err != nil || *r != (pricing.TaxRate{Country: "ZA", Name: "VAT", RateBP: 1500, Version: 2}) {
		t.Fatalf("rate = %+v, %v; want the second write", r, err)
	}
	if err := f.s.SetTaxRate(ctx, pricing.TaxRate{Country: "NA", Name: "VAT", RateBP: 1500}); err != nil {
		t.Fatal(err)
	}
	all, err := f.s.TaxRates(ctx)
	if err != nil || len(all) != 2 || all[0].Country != "NA" || all[1].RateBP != 1500 {
		t.Fatalf("rates = %+v, %v; want both, by country", all, err)
	}
}

// ---------------------------------------------------------------- inventory

func testAdjust(t *testing.T, f *shop) {
	l, err := f.s.Adjust(ctx, inventory.Entry{VariantID: f.teeS.ID, Delta: 4, Kind: inventory.Adjust, Reason: "found a box", Actor: "staff:1"})
	if err != nil || l != (inventory.Level{VariantID: f.teeS.ID, SKU: "TEE-S", Stock: 9}) {
		t.Fatalf("adjust +4 = %+v, %v", l, err)
	}
	_, err = f.s.Adjust(ctx, inventory.Entry{VariantID: f.teeS.ID, Delta: -10, Kind: inventory.Adjust, Reason: "miscount"})
	wantCode(t, "below zero", err, ocean.ECONFLICT)
	var oe *ocean.Error
	if !errors.As(err, &oe) || len(oe.Fields) != 1 || oe.Fields[0].Field != "delta" || oe.Fields[0].Message != "must be at least -9" {
		t.Fatalf("below zero error = %#v, want the delta field saying how far it may go", err)
	}
	if f.stock(t, f.teeS) != 9 {
		t.Fatal("a refused adjustment changed the stock")
	}
	if l, err := f.s.Adjust(ctx, inventory.Entry{VariantID: f.teeS.ID, Delta: -9, Kind: inventory.Adjust, Reason: "damaged"}); err != nil || l.Stock != 0 {
		t.Fatalf("down to zero exactly = %+v, %v", l, err)
	}
	_, err = f.s.Adjust(ctx, inventory.Entry{VariantID: 999999, Delta: 1, Kind: inventory.Adjust, Reason: "x"})
	wantCode(t, "unknown variant", err, ocean.ENOTFOUND)
	if _, err := f.s.Level(ctx, 999999); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("level of unknown variant: %v", err)
	}
	h, err := f.s.History(ctx, f.teeS.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Newest first; the refused adjustment left no row.
	var got []string
	for _, e := range h {
		got = append(got, fmt.Sprintf("%s %+d %s %s", e.Kind, e.Delta, e.Reason, e.Actor))
		if e.VariantID != f.teeS.ID || e.CreatedAt.IsZero() || e.ID == 0 {
			t.Fatalf("entry = %+v", e)
		}
	}
	want := []string{"adjust -9 damaged ", "adjust +4 found a box staff:1", "initial +5 new product system"}
	if !slices.Equal(got, want) {
		t.Fatalf("history = %q, want %q", got, want)
	}
	if h, err := f.s.History(ctx, f.teeS.ID, 1); err != nil || len(h) != 1 || h[0].Delta != -9 {
		t.Fatalf("history limit 1 = %+v, %v", h, err)
	}
	f.noDrift(t)
}

func testAdjustConcurrent(t *testing.T, f *shop) {
	// 20 staff take one tee M each at once; only 3 exist.
	var wg sync.WaitGroup
	var ok, refused atomic.Int32
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.s.Adjust(ctx, inventory.Entry{VariantID: f.teeM.ID, Delta: -1, Kind: inventory.Adjust, Reason: "sold in the shop"})
			switch ocean.ErrorCode(err) {
			case "":
				ok.Add(1)
			case ocean.ECONFLICT:
				refused.Add(1)
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
	if ok.Load() != 3 || refused.Load() != 17 || f.stock(t, f.teeM) != 0 {
		t.Fatalf("%d taken, %d refused, stock %d; want 3, 17, 0", ok.Load(), refused.Load(), f.stock(t, f.teeM))
	}
	f.noDrift(t)
}

func testVerify(t *testing.T, f *shop) {
	f.noDrift(t)
	// Someone sets a stock level by hand, without a ledger row.
	f.Exec(t, `UPDATE variants SET stock = 42 WHERE id = ?`, f.teeM.ID)
	d, n, err := f.s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || len(d) != 1 || d[0] != (inventory.Drift{VariantID: f.teeM.ID, SKU: "TEE-M", Stock: 42, Ledger: 3}) {
		t.Fatalf("verify = %+v over %d, want TEE-M at 42 against a ledger of 3", d, n)
	}
}

// testCatalogStock: the catalog editor sets stock levels; each change is an
// adjustment in the ledger, so verify still finds no drift, and a variant
// added in the editor starts with an initial row.
func testCatalogStock(t *testing.T, f *shop) {
	p, err := f.Catalog.ProductByID(ctx, f.productID)
	if err != nil {
		t.Fatal(err)
	}
	p.Options[0].Values = append(p.Options[0].Values, "L")
	p.Variants[0].Stock = 12 // was 5
	p.Variants[1].Stock = 0  // was 3
	p.Variants = append(p.Variants, catalog.Variant{SKU: "TEE-L", Options: map[string]string{"size": "L"}, Price: zar(24000), Stock: 6})
	if err := f.Catalog.SaveProduct(ctx, p, 0, catalog.Actor{ID: 1, Name: "owner"}); err != nil {
		t.Fatal(err)
	}
	h, err := f.s.History(ctx, f.teeS.ID, 10)
	if err != nil || len(h) < 2 || h[0].Delta != 7 || h[0].Kind != "adjust" || h[0].Actor != "owner" {
		t.Fatalf("history of S: %+v, %v", h, err)
	}
	d, n, err := f.s.Verify(ctx)
	if err != nil || len(d) != 0 || n != 4 {
		t.Fatalf("verify = %+v over %d variants, %v; want no drift over 4", d, n, err)
	}
}
