package cart

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// memStore is an in-memory Store with the contract the SQL adapters meet
// (storetest.Commerce runs that contract against them): lines merge per
// variant, and a cart that is not open refuses changes.
type memStore struct {
	carts    map[string]*Cart
	variants map[int64]Variant
	nextLine int64
	err      error // returned by every call when set
	// failAdd, failSet and failDiscount fail one kind of write.
	failAdd, failSet, failDiscount, failOwner error
}

func newMem() *memStore {
	return &memStore{carts: map[string]*Cart{}, variants: map[int64]Variant{}}
}

func (m *memStore) CreateCart(_ context.Context, c *Cart) error {
	if m.err != nil {
		return m.err
	}
	cp := *c
	m.carts[c.ID] = &cp
	return nil
}

func (m *memStore) Cart(_ context.Context, id string) (*Cart, error) {
	if m.err != nil {
		return nil, m.err
	}
	c, ok := m.carts[id]
	if !ok {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no such cart.")
	}
	cp := *c
	cp.Items = append([]Item(nil), c.Items...)
	return &cp, nil
}

func (m *memStore) OpenCartOf(_ context.Context, userID int64) (*Cart, error) {
	if m.err != nil {
		return nil, m.err
	}
	for id, c := range m.carts {
		if c.UserID == userID && c.Status == Open {
			return m.Cart(context.Background(), id)
		}
	}
	return nil, ocean.Errorf(ocean.ENOTFOUND, "No open cart.")
}

func (m *memStore) open(id string) (*Cart, error) {
	c, ok := m.carts[id]
	if !ok || c.Status != Open {
		return nil, ocean.Errorf(ocean.ECONFLICT, "not open")
	}
	return c, nil
}

func (m *memStore) AddItem(_ context.Context, cartID string, variantID int64, q int, currency string) (Item, error) {
	if m.failAdd != nil {
		return Item{}, m.failAdd
	}
	c, err := m.open(cartID)
	if err != nil {
		return Item{}, err
	}
	v, ok := m.variants[variantID]
	if !ok {
		return Item{}, ocean.Errorf(ocean.EUNPROCESSABLE, "no variant")
	}
	have := 0
	for _, it := range c.Items {
		if it.VariantID == variantID {
			have = it.Quantity
		}
	}
	if have+q > MaxLineQuantity {
		return Item{}, ocean.Errorf(ocean.EUNPROCESSABLE, "over the maximum")
	}
	if have+q > v.Stock {
		return Item{}, ocean.Errorf(ocean.ECONFLICT, "over the stock")
	}
	if c.Currency == "" {
		c.Currency = currency
	}
	for i := range c.Items {
		if c.Items[i].VariantID == variantID {
			c.Items[i].Quantity += q
			return c.Items[i], nil
		}
	}
	m.nextLine++
	c.Items = append(c.Items, Item{ID: m.nextLine, VariantID: variantID, Quantity: q})
	return c.Items[len(c.Items)-1], nil
}

func (m *memStore) SetQuantity(_ context.Context, cartID string, itemID int64, q int) error {
	if m.failSet != nil {
		return m.failSet
	}
	c, err := m.open(cartID)
	if err != nil {
		return err
	}
	for i := range c.Items {
		if c.Items[i].ID == itemID {
			c.Items[i].Quantity = q
			return nil
		}
	}
	return ocean.Errorf(ocean.ENOTFOUND, "no line")
}

func (m *memStore) RemoveItem(_ context.Context, cartID string, itemID int64) error {
	if m.failSet != nil {
		return m.failSet
	}
	c, err := m.open(cartID)
	if err != nil {
		return err
	}
	for i := range c.Items {
		if c.Items[i].ID == itemID {
			c.Items = append(c.Items[:i], c.Items[i+1:]...)
			return nil
		}
	}
	return ocean.Errorf(ocean.ENOTFOUND, "no line")
}

func (m *memStore) SetDiscountCode(_ context.Context, cartID, code string) error {
	if m.failDiscount != nil {
		return m.failDiscount
	}
	c, err := m.open(cartID)
	if err != nil {
		return err
	}
	c.DiscountCode = code
	return nil
}

func (m *memStore) SetOwner(_ context.Context, cartID string, userID int64) error {
	if m.failOwner != nil {
		return m.failOwner
	}
	m.carts[cartID].UserID = userID
	return nil
}

func (m *memStore) DeleteCart(_ context.Context, cartID string) error {
	if c, ok := m.carts[cartID]; ok && c.Status == Open {
		delete(m.carts, cartID)
	}
	return nil
}

func (m *memStore) Variants(_ context.Context, ids []int64) (map[int64]Variant, error) {
	if m.err != nil {
		return nil, m.err
	}
	out := map[int64]Variant{}
	for _, id := range ids {
		if v, ok := m.variants[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

// codes is the pricing store: only discount codes matter to a cart.
type codes struct {
	pricing.Store // nil: any other call panics, which a cart must not make
	m             map[string]*pricing.Discount
	err           error
	settings      *pricing.Settings // nil: a store without settings (ENOTFOUND)
}

func (c *codes) Settings(context.Context) (*pricing.Settings, error) {
	if c.err != nil {
		return nil, c.err
	}
	if c.settings == nil {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "no settings")
	}
	st := *c.settings
	return &st, nil
}

func (c *codes) DiscountByCode(_ context.Context, code string) (*pricing.Discount, error) {
	if c.err != nil {
		return nil, c.err
	}
	d, ok := c.m[code]
	if !ok {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no such discount code.")
	}
	cp := *d
	return &cp, nil
}

func zar(n int64) ocean.Money { return ocean.Money{Amount: n, Currency: "ZAR"} }

var ctx = context.Background()

// Variants of the test shop.
const (
	teeS   = 1 // R200, 5 left
	teeM   = 2 // R220, 3 left
	mug    = 3 // R99, 1000 left
	usdCap = 4 // $25, 10 left
	gone   = 5 // sold out
)

var now = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func newService(t *testing.T) (*Service, *memStore, *codes) {
	t.Helper()
	st := newMem()
	st.variants = map[int64]Variant{
		teeS:   {ID: teeS, ProductName: "Tee", ProductSlug: "tee", SKU: "TEE-S", Options: map[string]string{"size": "S", "colour": "red"}, Price: zar(20000), Stock: 5},
		teeM:   {ID: teeM, ProductName: "Tee", ProductSlug: "tee", SKU: "TEE-M", Options: map[string]string{"size": "M"}, Price: zar(22000), Stock: 3},
		mug:    {ID: mug, ProductName: "Mug", ProductSlug: "mug", SKU: "MUG", Price: zar(9900), Stock: 1000},
		usdCap: {ID: usdCap, ProductName: "Cap", ProductSlug: "cap", SKU: "CAP", Price: ocean.Money{Amount: 2500, Currency: "USD"}, Stock: 10},
		gone:   {ID: gone, ProductName: "Scarf", ProductSlug: "scarf", SKU: "SCARF", Price: zar(15000), Stock: 0},
	}
	ends := now.Add(24 * time.Hour)
	past := now.Add(-time.Hour)
	pc := &codes{m: map[string]*pricing.Discount{
		"WELCOME10": {ID: 1, Code: "WELCOME10", Kind: pricing.Percent, Value: 10},
		"BIG":       {ID: 2, Code: "BIG", Kind: pricing.Fixed, Value: 5000, Currency: "ZAR", MinSubtotal: 50000, EndsAt: &ends},
		"OLD":       {ID: 3, Code: "OLD", Kind: pricing.Percent, Value: 50, EndsAt: &past},
	}, settings: &pricing.Settings{Currency: "ZAR", PricesIncludeTax: true}}
	s := NewService(st, pc, true)
	s.now = func() time.Time { return now }
	return s, st, pc
}

// guestCart is an empty guest cart.
func guestCart(t *testing.T, s *Service) string {
	t.Helper()
	v, err := s.Create(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func mustAdd(t *testing.T, s *Service, id string, user, variant int64, q int) *View {
	t.Helper()
	v, err := s.Add(ctx, id, user, variant, q)
	if err != nil {
		t.Fatalf("add %d × %d: %v", q, variant, err)
	}
	return v
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if ocean.ErrorCode(err) != code || ocean.ErrorMessage(err) != msg {
		t.Fatalf("got %s %q (%v), want %s %q", ocean.ErrorCode(err), ocean.ErrorMessage(err), err, code, msg)
	}
}

func field(t *testing.T, err error, name string) {
	t.Helper()
	var oe *ocean.Error
	if !errors.As(err, &oe) || len(oe.Fields) != 1 || oe.Fields[0].Field != name {
		t.Fatalf("error %v: want one field error on %s", err, name)
	}
}

func TestIDs(t *testing.T) {
	a, b := NewID(), NewID()
	if !ValidID(a) || a == b {
		t.Fatalf("ids %q %q", a, b)
	}
	for _, bad := range []string{"", "abc", strings.Repeat("g", 32), a + "0", a[:31], "../../../etc/passwd"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestParseVariantID(t *testing.T) {
	if id, err := ParseVariantID("42"); err != nil || id != 42 {
		t.Fatalf("42: %d, %v", id, err)
	}
	for _, bad := range []string{"", "0", "-3", "4.5", "abc", "99999999999999999999"} {
		_, err := ParseVariantID(bad)
		wantErr(t, err, ocean.EUNPROCESSABLE, "That product variant does not exist.")
		field(t, err, "variant_id")
	}
}

func TestOptionText(t *testing.T) {
	if got := OptionText(map[string]string{"size": "M", "colour": "red"}); got != "colour: red, size: M" {
		t.Fatalf("got %q (keys in order)", got)
	}
	if got := OptionText(nil); got != "" {
		t.Fatalf("no options: %q", got)
	}
}

// The shop's settings, not code, decide an empty cart's currency and
// whether prices include tax; a cart's weight is its lines' weights.
func TestSettingsDecideCurrencyAndTax(t *testing.T) {
	s, st, pc := newService(t)
	pc.settings = &pricing.Settings{Currency: "EUR", PricesIncludeTax: false}
	v, err := s.Create(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v.Totals.Total != (ocean.Money{Currency: "EUR"}) || v.Totals.TaxIncluded {
		t.Fatalf("empty cart of a EUR shop = %+v", v.Totals)
	}
	tee := st.variants[teeS]
	tee.Weight = 450
	st.variants[teeS] = tee
	if v, err = s.Add(ctx, v.ID, 0, teeS, 2); err != nil {
		t.Fatal(err)
	}
	if v.Weight() != 900 || v.Totals.Subtotal != zar(40000) || v.Totals.TaxIncluded {
		t.Fatalf("cart = %+v, weight %d", v.Totals, v.Weight())
	}
	pc.settings.PricesIncludeTax = true
	if v, err = s.Get(ctx, v.ID, 0); err != nil || !v.Totals.TaxIncluded {
		t.Fatalf("after the switch = %+v, %v", v, err)
	}
	// A store without settings falls back to the service's own rule; any
	// other failure to read them is the cart's failure.
	pc.settings = nil
	if v, err = s.Get(ctx, v.ID, 0); err != nil || !v.Totals.TaxIncluded {
		t.Fatalf("no settings = %+v, %v", v, err)
	}
	pc.err = errors.New("down")
	pc.settings = &pricing.Settings{}
	if _, err := s.Get(ctx, v.ID, 0); err == nil {
		t.Fatal("a failed settings read priced the cart")
	}
}

// A shop that keeps its settings (Service.Settings) prices carts from
// them, not from the store.
func TestSettingsSource(t *testing.T) {
	s, _, pc := newService(t)
	pc.settings = &pricing.Settings{Currency: "ZAR", PricesIncludeTax: true}
	reads := 0
	s.Settings = func(context.Context) (*pricing.Settings, error) {
		reads++
		return &pricing.Settings{Currency: "EUR", PricesIncludeTax: false}, nil
	}
	v, err := s.Create(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v.Totals.Total.Currency != "EUR" || v.Totals.TaxIncluded || reads != 1 {
		t.Fatalf("cart priced from the store's settings, not the shop's read (%d reads): %+v", reads, v.Totals)
	}
}

func TestCreateAndLoad(t *testing.T) {
	s, st, _ := newService(t)
	v, err := s.Create(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if v.UserID != 7 || v.Status != Open || !ValidID(v.ID) || v.Count != 0 || v.Totals.Total != zar(0) {
		t.Fatalf("new cart = %+v; want an empty, open ZAR cart of user 7", v)
	}
	// A shopper's cart is theirs only; others get the answer of a missing cart.
	if _, err := s.Get(ctx, v.ID, 7); err != nil {
		t.Fatal(err)
	}
	for _, user := range []int64{0, 8} {
		_, err := s.Get(ctx, v.ID, user)
		wantErr(t, err, ocean.ENOTFOUND, "There is no such cart.")
	}
	// A guest cart is anyone's who holds its id.
	g := guestCart(t, s)
	for _, user := range []int64{0, 8} {
		if _, err := s.Load(ctx, g, user); err != nil {
			t.Fatalf("guest cart for user %d: %v", user, err)
		}
	}
	// Garbage ids never reach the store.
	st.err = errors.New("store called")
	_, err = s.Load(ctx, "'; DROP TABLE carts; --", 0)
	wantErr(t, err, ocean.ENOTFOUND, "There is no such cart.")
	if _, err := s.Create(ctx, 0); !errors.Is(err, st.err) {
		t.Fatalf("create with a failing store: %v", err)
	}
	// Two carts were made; the one the store refused does not count.
	if n := s.Stats().Created; n != 2 {
		t.Errorf("Stats().Created = %d, want 2", n)
	}
	if _, err := s.Get(ctx, g, 0); !errors.Is(err, st.err) {
		t.Fatalf("get with a failing store: %v", err)
	}
}

func TestAddPricesAndMerges(t *testing.T) {
	s, _, _ := newService(t)
	id := guestCart(t, s)
	mustAdd(t, s, id, 0, teeS, 2)
	mustAdd(t, s, id, 0, mug, 3)
	v := mustAdd(t, s, id, 0, teeS, 1)
	if len(v.Lines) != 2 || v.Lines[0].Quantity != 3 || v.Count != 6 || v.Currency != "ZAR" {
		t.Fatalf("view = %+v; want tee ×3 and mug ×3", v)
	}
	l := v.Lines[0]
	if l.UnitPrice != zar(20000) || l.LineTotal != zar(60000) || l.Available != 5 || l.Variant.SKU != "TEE-S" || l.Notice != "Only 5 left" {
		t.Fatalf("tee line = %+v", l)
	}
	// Prices include tax: the total is the subtotal, no tax known yet.
	if v.Totals.Subtotal != zar(89700) || v.Totals.Total != zar(89700) || !v.Totals.TaxIncluded {
		t.Fatalf("totals = %+v", v.Totals)
	}
}

func TestAddRefusals(t *testing.T) {
	s, st, _ := newService(t)
	id := guestCart(t, s)
	for _, q := range []int{0, -1, MaxLineQuantity + 1} {
		_, err := s.Add(ctx, id, 0, mug, q)
		wantErr(t, err, ocean.EUNPROCESSABLE, "The quantity must be between 1 and 99.")
		field(t, err, "quantity")
	}
	_, err := s.Add(ctx, id, 0, 999, 1)
	wantErr(t, err, ocean.EUNPROCESSABLE, "That product variant does not exist.")
	_, err = s.Add(ctx, id, 0, gone, 1)
	wantErr(t, err, ocean.ECONFLICT, "Scarf is sold out.")
	_, err = s.Add(ctx, id, 0, teeM, 4)
	wantErr(t, err, ocean.ECONFLICT, "Only 3 of Tee (size: M) left.")
	mustAdd(t, s, id, 0, teeS, 4)
	_, err = s.Add(ctx, id, 0, teeS, 2)
	wantErr(t, err, ocean.ECONFLICT, "Only 5 of Tee (colour: red, size: S) left, and 4 already in your cart.")
	_, err = s.Add(ctx, id, 0, usdCap, 1)
	wantErr(t, err, ocean.EUNPROCESSABLE, "This cart is in ZAR; Cap is priced in USD. Check out this cart first or start a new one.")
	mustAdd(t, s, id, 0, mug, 90)
	_, err = s.Add(ctx, id, 0, mug, 10)
	wantErr(t, err, ocean.EUNPROCESSABLE, "You can buy at most 99 of one item; you already have 90 in your cart.")
	if v, _ := s.Get(ctx, id, 0); v.Count != 94 {
		t.Fatalf("refused adds changed the cart: %d units", v.Count)
	}
	// Someone else's cart, and carts that are no longer open.
	own, _ := s.Create(ctx, 5)
	_, err = s.Add(ctx, own.ID, 6, mug, 1)
	wantErr(t, err, ocean.ENOTFOUND, "There is no such cart.")
	st.carts[id].Status = Checkout
	_, err = s.Add(ctx, id, 0, mug, 1)
	wantErr(t, err, ocean.ECONFLICT, "This cart is being checked out and cannot change until payment finishes.")
	st.carts[id].Status = Ordered
	_, err = s.Add(ctx, id, 0, mug, 1)
	wantErr(t, err, ocean.ECONFLICT, "This cart has already been ordered. Start a new cart to keep shopping.")
	// The store's refusal (a checkout began in between) is the answer.
	st.carts[id].Status = Open
	st.failAdd = ocean.Errorf(ocean.ECONFLICT, "This cart can no longer change.")
	_, err = s.Add(ctx, id, 0, mug, 1)
	wantErr(t, err, ocean.ECONFLICT, "This cart can no longer change.")
	st.failAdd = nil
	st.err = errors.New("down")
	if _, err := s.Add(ctx, id, 0, mug, 1); !errors.Is(err, st.err) {
		t.Fatalf("store down: %v", err)
	}
}

func TestAddMaxLines(t *testing.T) {
	s, st, _ := newService(t)
	id := guestCart(t, s)
	for i := range MaxLines {
		vid := int64(100 + i)
		st.variants[vid] = Variant{ID: vid, ProductName: "Pin", Price: zar(100), Stock: 10}
		mustAdd(t, s, id, 0, vid, 1)
	}
	_, err := s.Add(ctx, id, 0, mug, 1)
	wantErr(t, err, ocean.EUNPROCESSABLE, "A cart can hold at most 100 different items.")
	// More of a line already there is fine.
	mustAdd(t, s, id, 0, 100, 1)
}

func TestSetQuantityAndRemove(t *testing.T) {
	s, st, _ := newService(t)
	id := guestCart(t, s)
	v := mustAdd(t, s, id, 0, teeM, 1)
	line := v.Lines[0].ID
	if v, err := s.SetQuantity(ctx, id, 0, line, 3); err != nil || v.Lines[0].Quantity != 3 {
		t.Fatalf("set 3: %+v, %v", v, err)
	}
	_, err := s.SetQuantity(ctx, id, 0, line, 4)
	wantErr(t, err, ocean.ECONFLICT, "Only 3 of Tee (size: M) left.")
	_, err = s.SetQuantity(ctx, id, 0, line, 0)
	wantErr(t, err, ocean.EUNPROCESSABLE, "The quantity must be between 1 and 99.")
	_, err = s.SetQuantity(ctx, id, 0, 999, 1)
	wantErr(t, err, ocean.ENOTFOUND, "There is no such line in this cart.")
	// Lowering never asks about stock, even when it fell under the line.
	tee := st.variants[teeM]
	tee.Stock = 1
	st.variants[teeM] = tee
	if v, err := s.SetQuantity(ctx, id, 0, line, 2); err != nil || v.Lines[0].Quantity != 2 {
		t.Fatalf("lower to 2: %v", err)
	} else if v.Lines[0].Notice != "Only 1 left: lower the quantity to check out" {
		t.Fatalf("notice = %q", v.Lines[0].Notice)
	}
	// Raising a line whose variant was deleted.
	delete(st.variants, teeM)
	_, err = s.SetQuantity(ctx, id, 0, line, 3)
	wantErr(t, err, ocean.EUNPROCESSABLE, "That product variant does not exist.")
	st.variants[teeM] = tee
	st.err = errors.New("down")
	if _, err := s.SetQuantity(ctx, id, 0, line, 3); !errors.Is(err, st.err) {
		t.Fatalf("store down: %v", err)
	}
	st.err = nil
	st.failSet = errors.New("write failed")
	if _, err := s.SetQuantity(ctx, id, 0, line, 1); !errors.Is(err, st.failSet) {
		t.Fatalf("write failed: %v", err)
	}
	if _, err := s.Remove(ctx, id, 0, line); !errors.Is(err, st.failSet) {
		t.Fatalf("remove write failed: %v", err)
	}
	st.failSet = nil

	_, err = s.Remove(ctx, id, 0, 999)
	wantErr(t, err, ocean.ENOTFOUND, "There is no such line in this cart.")
	if v, err := s.Remove(ctx, id, 0, line); err != nil || len(v.Lines) != 0 {
		t.Fatalf("remove: %+v, %v", v, err)
	}
	st.carts[id].Status = Checkout
	_, err = s.Remove(ctx, id, 0, line)
	wantErr(t, err, ocean.ECONFLICT, "This cart is being checked out and cannot change until payment finishes.")
	_, err = s.SetQuantity(ctx, id, 0, line, 1)
	wantErr(t, err, ocean.ECONFLICT, "This cart is being checked out and cannot change until payment finishes.")
	_, err = s.Remove(ctx, NewID(), 0, line)
	wantErr(t, err, ocean.ENOTFOUND, "There is no such cart.")
}

func TestDiscounts(t *testing.T) {
	s, st, pc := newService(t)
	id := guestCart(t, s)
	mustAdd(t, s, id, 0, teeS, 1)
	v, err := s.ApplyDiscount(ctx, id, 0, "  welcome10 ")
	if err != nil {
		t.Fatal(err)
	}
	if v.DiscountCode != "WELCOME10" || v.Discount == nil || v.Totals.Discount != zar(2000) || v.Totals.Total != zar(18000) || v.DiscountIssue != "" {
		t.Fatalf("with WELCOME10: %+v totals %+v", v.Cart, v.Totals)
	}
	for _, c := range []struct{ code, msg, field string }{
		{"", "Enter a discount code.", "code"},
		{strings.Repeat("A", 33), "That discount code is too long (max 32 characters).", "code"},
		{strings.Repeat("A", 5000), "That discount code is too long (max 32 characters).", "code"},
		{"nope", "There is no discount code NOPE.", "code"},
	} {
		_, err := s.ApplyDiscount(ctx, id, 0, c.code)
		wantErr(t, err, ocean.EUNPROCESSABLE, c.msg)
		field(t, err, c.field)
	}
	_, err = s.ApplyDiscount(ctx, id, 0, "big")
	wantErr(t, err, ocean.EUNPROCESSABLE, "The code BIG needs a subtotal of at least R500.00.")
	_, err = s.ApplyDiscount(ctx, id, 0, "old")
	wantErr(t, err, ocean.EUNPROCESSABLE, "The code OLD has expired.")
	if v, _ := s.Get(ctx, id, 0); v.DiscountCode != "WELCOME10" {
		t.Fatal("a refused code replaced the applied one")
	}
	// Codes are checked again at every look: below the minimum now, it shows why.
	mustAdd(t, s, id, 0, teeS, 2)
	if _, err := s.ApplyDiscount(ctx, id, 0, "BIG"); err != nil {
		t.Fatal(err)
	}
	v, err = s.SetQuantity(ctx, id, 0, v.Lines[0].ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v.Discount != nil || v.Totals.Discount != zar(0) || v.DiscountIssue != "The code BIG needs a subtotal of at least R500.00." {
		t.Fatalf("below the minimum: discount %+v issue %q", v.Discount, v.DiscountIssue)
	}
	delete(pc.m, "BIG")
	if v, _ := s.Get(ctx, id, 0); v.DiscountIssue != "The code BIG no longer exists." || v.Totals.Discount != zar(0) {
		t.Fatalf("deleted code: issue %q", v.DiscountIssue)
	}
	if v, err := s.RemoveDiscount(ctx, id, 0); err != nil || v.DiscountCode != "" || v.DiscountIssue != "" {
		t.Fatalf("remove: %+v, %v", v, err)
	}
	// Failures of the stores come through.
	pc.err = errors.New("pricing down")
	if _, err := s.ApplyDiscount(ctx, id, 0, "WELCOME10"); !errors.Is(err, pc.err) {
		t.Fatalf("pricing down: %v", err)
	}
	st.carts[id].DiscountCode = "WELCOME10"
	if _, err := s.Get(ctx, id, 0); !errors.Is(err, pc.err) {
		t.Fatalf("pricing down while pricing: %v", err)
	}
	pc.err = nil
	st.failDiscount = errors.New("write failed")
	if _, err := s.ApplyDiscount(ctx, id, 0, "WELCOME10"); !errors.Is(err, st.failDiscount) {
		t.Fatalf("write failed: %v", err)
	}
	if _, err := s.RemoveDiscount(ctx, id, 0); !errors.Is(err, st.failDiscount) {
		t.Fatalf("remove, write failed: %v", err)
	}
	st.failDiscount = nil
	st.carts[id].Status = Ordered
	for _, err := range []error{
		func() error { _, err := s.ApplyDiscount(ctx, id, 0, "WELCOME10"); return err }(),
		func() error { _, err := s.RemoveDiscount(ctx, id, 0); return err }(),
	} {
		wantErr(t, err, ocean.ECONFLICT, "This cart has already been ordered. Start a new cart to keep shopping.")
	}
}

func TestPriceNotices(t *testing.T) {
	s, st, _ := newService(t)
	id := guestCart(t, s)
	mustAdd(t, s, id, 0, teeS, 2)
	mustAdd(t, s, id, 0, mug, 1)
	mustAdd(t, s, id, 0, teeM, 1)
	// Stock moves after the lines were added.
	set := func(vid int64, stock int) { v := st.variants[vid]; v.Stock = stock; st.variants[vid] = v }
	set(teeS, 0)
	set(teeM, -2) // oversold by a late correction: shown as none, not negative
	v, err := s.Get(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, l := range v.Lines {
		got[l.VariantID] = l.Notice
		if l.Available < 0 {
			t.Fatalf("line %d available %d", l.VariantID, l.Available)
		}
	}
	if got[teeS] != "Sold out" || got[teeM] != "Sold out" || got[mug] != "" {
		t.Fatalf("notices = %v", got)
	}
	// A variant deleted from the catalog drops out of the view.
	delete(st.variants, teeM)
	if v, _ := s.Get(ctx, id, 0); len(v.Lines) != 2 || v.Count != 3 {
		t.Fatalf("deleted variant still priced: %+v", v.Lines)
	}
	// A price that cannot be computed is an error, not a wrong total.
	set(mug, 1000)
	m := st.variants[mug]
	m.Price = zar(1 << 44)
	st.variants[mug] = m
	if _, err := s.Get(ctx, id, 0); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("overflowing price: %v", err)
	}
}

func TestMerge(t *testing.T) {
	s, st, _ := newService(t)
	const ann = 7
	// Ann has no cart: her guest cart becomes hers.
	g := guestCart(t, s)
	mustAdd(t, s, g, 0, mug, 2)
	id, err := s.Merge(ctx, g, ann)
	if err != nil || id != g || st.carts[g].UserID != ann {
		t.Fatalf("merge into nothing = %q, %v; want the guest cart, owned", id, err)
	}
	// Next visit: a new guest cart joins hers, capped by stock and the line maximum.
	mustAdd(t, s, g, ann, teeS, 4)
	mustAdd(t, s, g, ann, mug, 96) // 98 with the 2 from before
	if _, err := s.ApplyDiscount(ctx, g, ann, "WELCOME10"); err != nil {
		t.Fatal(err)
	}
	g2 := guestCart(t, s)
	mustAdd(t, s, g2, 0, teeS, 3) // 4 + 3 > 5 in stock: 1 more
	mustAdd(t, s, g2, 0, mug, 5)  // 98 + 5 > 99: 1 more
	mustAdd(t, s, g2, 0, teeM, 2)
	st.carts[g2].DiscountCode = "BIG"
	st.carts[g2].Items = append(st.carts[g2].Items, Item{ID: 900, VariantID: 999, Quantity: 1}) // deleted since
	id, err = s.Merge(ctx, g2, ann)
	if err != nil || id != g {
		t.Fatalf("merge = %q, %v; want %q", id, err, g)
	}
	v, err := s.Get(ctx, g, ann)
	if err != nil {
		t.Fatal(err)
	}
	q := map[int64]int{}
	for _, l := range v.Lines {
		q[l.VariantID] = l.Quantity
	}
	if q[teeS] != 5 || q[mug] != 99 || q[teeM] != 2 || len(q) != 3 {
		t.Fatalf("merged quantities = %v", q)
	}
	if v.DiscountCode != "WELCOME10" {
		t.Fatalf("her own code was replaced by %q", v.DiscountCode)
	}
	if _, ok := st.carts[g2]; ok {
		t.Fatal("the guest cart was not deleted")
	}
	// A guest cart in another currency keeps nothing that cannot be bought together.
	g3 := guestCart(t, s)
	mustAdd(t, s, g3, 0, usdCap, 1)
	if id, err := s.Merge(ctx, g3, ann); err != nil || id != g {
		t.Fatalf("merge USD: %q, %v", id, err)
	}
	if v, _ := s.Get(ctx, g, ann); len(v.Lines) != 3 {
		t.Fatalf("USD line merged into a ZAR cart: %+v", v.Lines)
	}
	// Her code is carried when she has none.
	st.carts[g].DiscountCode = ""
	g4 := guestCart(t, s)
	st.carts[g4].DiscountCode = "WELCOME10"
	if _, err := s.Merge(ctx, g4, ann); err != nil || st.carts[g].DiscountCode != "WELCOME10" {
		t.Fatalf("code not carried: %v, %q", err, st.carts[g].DiscountCode)
	}
}

func TestMergeOddCases(t *testing.T) {
	s, st, _ := newService(t)
	const ann, bob = 7, 8
	own, _ := s.Create(ctx, ann)
	// An unknown, someone else's, or no-longer-open guest cart: she keeps hers.
	bobs, _ := s.Create(ctx, bob)
	ordered := guestCart(t, s)
	st.carts[ordered].Status = Ordered
	for _, g := range []string{NewID(), "garbage", bobs.ID, ordered} {
		if id, err := s.Merge(ctx, g, ann); err != nil || id != own.ID {
			t.Fatalf("merge %q = %q, %v; want her own cart", g, id, err)
		}
	}
	if _, ok := st.carts[ordered]; !ok {
		t.Fatal("an ordered cart was deleted by a merge")
	}
	// With no cart of her own, a bad guest cart is an error to the caller.
	if _, err := s.Merge(ctx, NewID(), 99); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("nothing to merge: %v", err)
	}
	g := guestCart(t, s)
	mustAdd(t, s, g, 0, mug, 1)
	st.failOwner = errors.New("write failed")
	if _, err := s.Merge(ctx, g, 99); !errors.Is(err, st.failOwner) {
		t.Fatalf("set owner failed: %v", err)
	}
	st.failOwner = nil
	st.failAdd = errors.New("write failed")
	if _, err := s.Merge(ctx, g, ann); !errors.Is(err, st.failAdd) {
		t.Fatalf("add failed: %v", err)
	}
}
