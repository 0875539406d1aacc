// Package cart is the shopper's cart: lines of variants and quantities, a
// discount code, and prices that are always recomputed on the server from
// the catalog (a price sent by a client is never read).
package cart

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// MaxLineQuantity is the most units of one variant a cart line may hold.
const MaxLineQuantity = 99

// MaxLines is the most lines a cart may hold.
const MaxLines = 100

// Cart statuses.
const (
	Open     = "open"     // the shopper may change it
	Checkout = "checkout" // a payment is in progress; locked
	Ordered  = "ordered"  // became an order; read only
)

// Cart is a shopper's cart as stored.
type Cart struct {
	ID           string
	UserID       int64 // 0 for a guest cart
	Currency     string
	DiscountCode string
	Status       string
	OrderID      int64
	Items        []Item
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Item is one stored line.
type Item struct {
	ID        int64
	VariantID int64
	Quantity  int
}

// Variant is what the cart needs to know of a catalog variant.
type Variant struct {
	ID          int64
	ProductName string
	ProductSlug string
	SKU         string
	Options     map[string]string
	Price       ocean.Money
	Stock       int
	Weight      int64 // grams, for weight-priced shipping
}

// Store keeps carts. Methods return *ocean.Error ENOTFOUND for a missing
// cart or line and ECONFLICT when the cart is not open.
type Store interface {
	CreateCart(ctx context.Context, c *Cart) error
	Cart(ctx context.Context, id string) (*Cart, error)
	// OpenCartOf returns the user's newest open cart, ENOTFOUND if none.
	OpenCartOf(ctx context.Context, userID int64) (*Cart, error)
	// AddItem adds quantity of a variant (merging with an existing line)
	// and sets the cart currency if it has none, in one write. It refuses
	// with ECONFLICT if the cart is not open or the line would hold more
	// than the variant's stock, and with EUNPROCESSABLE if the line would
	// hold more than MaxLineQuantity or the variant does not exist: the
	// database checks these as it writes, whatever the caller read before.
	// It returns the line as written.
	AddItem(ctx context.Context, cartID string, variantID int64, quantity int, currency string) (Item, error)
	SetQuantity(ctx context.Context, cartID string, itemID int64, quantity int) error
	RemoveItem(ctx context.Context, cartID string, itemID int64) error
	SetDiscountCode(ctx context.Context, cartID, code string) error
	SetOwner(ctx context.Context, cartID string, userID int64) error
	DeleteCart(ctx context.Context, cartID string) error
	// Variants returns the catalog variants with these ids; missing ids
	// are absent from the map.
	Variants(ctx context.Context, ids []int64) (map[int64]Variant, error)
}

// Line is a priced cart line.
type Line struct {
	Item
	Variant   Variant
	UnitPrice ocean.Money
	LineTotal ocean.Money
	Available int    // units that can be bought now
	Notice    string // "Only 2 left", "Sold out", … for people
}

// View is a cart with prices computed now.
type View struct {
	*Cart
	Lines         []Line
	Totals        pricing.Totals
	Discount      *pricing.Discount // the applied code, if it still applies
	DiscountIssue string            // why a stored code does not apply now
	Count         int               // units in the cart
}

// Weight is what the cart's lines weigh together, in grams.
func (v *View) Weight() int64 {
	var g int64
	for _, l := range v.Lines {
		g += l.Variant.Weight * int64(l.Quantity)
	}
	return g
}

// Service is the cart's rules.
type Service struct {
	store   Store
	pricing pricing.Store
	now     func() time.Time
	// TaxIncluded says whether catalog prices include tax when the shop's
	// settings cannot say (a store without a settings row).
	TaxIncluded bool
	// Settings reads the shop's settings for a cart's totals (nil: the
	// pricing store, on every view). The shop passes the checkout's read,
	// kept a second and fresh at once after a change on this instance:
	// every cart view read them, three queries a purchase queued for the
	// database's connections with the writes.
	Settings func(ctx context.Context) (*pricing.Settings, error)
	created  atomic.Uint64
}

// Stats are the cart counts since the process started, as plain data
// (internal/metrics exports them).
type Stats struct {
	Created uint64 // carts created
}

// Stats returns the counts so far.
func (s *Service) Stats() Stats { return Stats{Created: s.created.Load()} }

// NewService returns a cart service.
func NewService(store Store, ps pricing.Store, taxIncluded bool) *Service {
	return &Service{store: store, pricing: ps, now: time.Now, TaxIncluded: taxIncluded}
}

// NewID returns a fresh cart id: 128 random bits, hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s looks like a cart id, so garbage never reaches
// the database.
func ValidID(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

var errNoCart = ocean.Errorf(ocean.ENOTFOUND, "There is no such cart.")

// Create makes an empty cart, owned by userID when a shopper is signed in.
func (s *Service) Create(ctx context.Context, userID int64) (*View, error) {
	c := &Cart{ID: NewID(), UserID: userID, Status: Open}
	if err := s.store.CreateCart(ctx, c); err != nil {
		return nil, err
	}
	s.created.Add(1)
	return s.price(ctx, c)
}

// Load returns the cart if userID may see it: a guest cart to anyone who
// knows its id, a shopper's cart to that shopper only. Anything else is
// ENOTFOUND, the same answer as a cart that does not exist.
func (s *Service) Load(ctx context.Context, id string, userID int64) (*Cart, error) {
	if !ValidID(id) {
		return nil, errNoCart
	}
	c, err := s.store.Cart(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.UserID != 0 && c.UserID != userID {
		return nil, errNoCart
	}
	return c, nil
}

// Get returns the priced cart.
func (s *Service) Get(ctx context.Context, id string, userID int64) (*View, error) {
	c, err := s.Load(ctx, id, userID)
	if err != nil {
		return nil, err
	}
	return s.price(ctx, c)
}

func checkQuantity(q int) error {
	if q < 1 || q > MaxLineQuantity {
		return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("The quantity must be between 1 and %d.", MaxLineQuantity),
			Fields: []ocean.FieldError{{Field: "quantity", Message: fmt.Sprintf("must be between 1 and %d", MaxLineQuantity)}}}
	}
	return nil
}

// ParseVariantID parses a variant id as clients send it.
func ParseVariantID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, unknownVariant()
	}
	return id, nil
}

func unknownVariant() error {
	return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "That product variant does not exist.",
		Fields: []ocean.FieldError{{Field: "variant_id", Message: "is not a product variant of this shop"}}}
}

func notOpen(c *Cart) error {
	if c.Status == Checkout {
		return ocean.Errorf(ocean.ECONFLICT, "This cart is being checked out and cannot change until payment finishes.")
	}
	return ocean.Errorf(ocean.ECONFLICT, "This cart has already been ordered. Start a new cart to keep shopping.")
}

// Add puts quantity units of a variant in the cart, refusing more than can
// be bought now with a message that says how many are left.
//
// It reads the cart once and the variants of all its lines at once before
// the write, and prices the cart after it from those reads: the write is
// the store's one short transaction (which checks the cart is open, the
// line maximum and the stock again as it writes), and an add costs four or
// five statements, not ten (decision 0205).
func (s *Service) Add(ctx context.Context, id string, userID, variantID int64, quantity int) (*View, error) {
	if err := checkQuantity(quantity); err != nil {
		return nil, err
	}
	c, err := s.Load(ctx, id, userID)
	if err != nil {
		return nil, err
	}
	if c.Status != Open {
		return nil, notOpen(c)
	}
	ids := make([]int64, 0, len(c.Items)+1)
	for _, it := range c.Items {
		ids = append(ids, it.VariantID)
	}
	vs, err := s.store.Variants(ctx, append(ids, variantID))
	if err != nil {
		return nil, err
	}
	v, ok := vs[variantID]
	if !ok {
		return nil, unknownVariant()
	}
	if c.Currency != "" && c.Currency != v.Price.Currency {
		return nil, ocean.Errorf(ocean.EUNPROCESSABLE, "This cart is in %s; %s is priced in %s. Check out this cart first or start a new one.", c.Currency, v.ProductName, v.Price.Currency)
	}
	have := 0
	for _, it := range c.Items {
		if it.VariantID == variantID {
			have = it.Quantity
		}
	}
	if have == 0 && len(c.Items) >= MaxLines {
		return nil, ocean.Errorf(ocean.EUNPROCESSABLE, "A cart can hold at most %d different items.", MaxLines)
	}
	if have+quantity > MaxLineQuantity {
		return nil, ocean.Errorf(ocean.EUNPROCESSABLE, "You can buy at most %d of one item; you already have %d in your cart.", MaxLineQuantity, have)
	}
	if have+quantity > v.Stock {
		return nil, stockError(v, have)
	}
	line, err := s.store.AddItem(ctx, c.ID, variantID, quantity, v.Price.Currency)
	if err != nil {
		return nil, err
	}
	// The cart as the write left it: the line merged or appended, the
	// currency set by the first line.
	merged := false
	for i := range c.Items {
		if c.Items[i].VariantID == variantID {
			c.Items[i], merged = line, true
		}
	}
	if !merged {
		c.Items = append(c.Items, line)
	}
	if c.Currency == "" {
		c.Currency = v.Price.Currency
	}
	c.UpdatedAt = s.now().UTC()
	return s.priceWith(ctx, c, vs)
}

func stockError(v Variant, have int) error {
	name := v.ProductName
	if len(v.Options) > 0 {
		name += " (" + optionText(v.Options) + ")"
	}
	switch {
	case v.Stock <= 0:
		return ocean.Errorf(ocean.ECONFLICT, "%s is sold out.", name)
	case have > 0:
		return ocean.Errorf(ocean.ECONFLICT, "Only %d of %s left, and %d already in your cart.", v.Stock, name, have)
	default:
		return ocean.Errorf(ocean.ECONFLICT, "Only %d of %s left.", v.Stock, name)
	}
}

// OptionText formats variant options for people: "colour: red, size: M".
func optionText(o map[string]string) string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += k + ": " + o[k]
	}
	return s
}

// OptionText formats variant options for people.
func OptionText(o map[string]string) string { return optionText(o) }

func (s *Service) loadOpen(ctx context.Context, id string, userID int64) (*Cart, error) {
	c, err := s.Load(ctx, id, userID)
	if err != nil {
		return nil, err
	}
	if c.Status != Open {
		return nil, notOpen(c)
	}
	return c, nil
}

func findItem(c *Cart, itemID int64) (Item, error) {
	for _, it := range c.Items {
		if it.ID == itemID {
			return it, nil
		}
	}
	return Item{}, ocean.Errorf(ocean.ENOTFOUND, "There is no such line in this cart.")
}

// SetQuantity changes a line's quantity (1 to MaxLineQuantity; remove a
// line with Remove).
func (s *Service) SetQuantity(ctx context.Context, id string, userID, itemID int64, quantity int) (*View, error) {
	if err := checkQuantity(quantity); err != nil {
		return nil, err
	}
	c, err := s.loadOpen(ctx, id, userID)
	if err != nil {
		return nil, err
	}
	it, err := findItem(c, itemID)
	if err != nil {
		return nil, err
	}
	if quantity > it.Quantity {
		vs, err := s.store.Variants(ctx, []int64{it.VariantID})
		if err != nil {
			return nil, err
		}
		if v, ok := vs[it.VariantID]; !ok || quantity > v.Stock {
			if !ok {
				return nil, unknownVariant()
			}
			return nil, stockError(v, 0)
		}
	}
	if err := s.store.SetQuantity(ctx, c.ID, itemID, quantity); err != nil {
		return nil, err
	}
	return s.Get(ctx, id, userID)
}

// Remove deletes a line.
func (s *Service) Remove(ctx context.Context, id string, userID, itemID int64) (*View, error) {
	c, err := s.loadOpen(ctx, id, userID)
	if err != nil {
		return nil, err
	}
	if _, err := findItem(c, itemID); err != nil {
		return nil, err
	}
	if err := s.store.RemoveItem(ctx, c.ID, itemID); err != nil {
		return nil, err
	}
	return s.Get(ctx, id, userID)
}

// maxCodeRunes is the longest discount code there can be.
const maxCodeRunes = 32

// ApplyDiscount checks a code against the cart now and keeps it.
func (s *Service) ApplyDiscount(ctx context.Context, id string, userID int64, code string) (*View, error) {
	c, err := s.loadOpen(ctx, id, userID)
	if err != nil {
		return nil, err
	}
	code = pricing.NormalizeCode(code)
	if code == "" {
		return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "Enter a discount code.", Fields: []ocean.FieldError{{Field: "code", Message: "is required"}}}
	}
	if n := utf8.RuneCountInString(code); n > maxCodeRunes {
		return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("That discount code is too long (max %d characters).", maxCodeRunes),
			Fields: []ocean.FieldError{{Field: "code", Message: fmt.Sprintf("is too long (max %d characters)", maxCodeRunes)}}}
	}
	d, err := s.pricing.DiscountByCode(ctx, code)
	if ocean.ErrorCode(err) == ocean.ENOTFOUND {
		return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("There is no discount code %s.", code), Fields: []ocean.FieldError{{Field: "code", Message: "is not a valid code"}}}
	}
	if err != nil {
		return nil, err
	}
	v, err := s.price(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := d.Check(v.Totals.Subtotal, s.now()); err != nil {
		return nil, err
	}
	if err := s.store.SetDiscountCode(ctx, c.ID, d.Code); err != nil {
		return nil, err
	}
	return s.Get(ctx, id, userID)
}

// RemoveDiscount takes the code off the cart.
func (s *Service) RemoveDiscount(ctx context.Context, id string, userID int64) (*View, error) {
	c, err := s.loadOpen(ctx, id, userID)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetDiscountCode(ctx, c.ID, ""); err != nil {
		return nil, err
	}
	return s.Get(ctx, id, userID)
}

// Merge moves a guest cart's lines into the shopper's open cart when they
// sign in (quantities add up, capped by stock and the line maximum) and
// returns the shopper's cart id. With no cart of their own the guest cart
// simply becomes theirs.
func (s *Service) Merge(ctx context.Context, guestID string, userID int64) (string, error) {
	g, err := s.Load(ctx, guestID, 0)
	if err != nil || g.Status != Open || g.UserID != 0 {
		if own, err2 := s.store.OpenCartOf(ctx, userID); err2 == nil {
			return own.ID, nil
		}
		return "", err
	}
	own, err := s.store.OpenCartOf(ctx, userID)
	if ocean.ErrorCode(err) == ocean.ENOTFOUND {
		return g.ID, s.store.SetOwner(ctx, g.ID, userID)
	}
	if err != nil {
		return "", err
	}
	ids := make([]int64, len(g.Items))
	for i, it := range g.Items {
		ids[i] = it.VariantID
	}
	vs, err := s.store.Variants(ctx, ids)
	if err != nil {
		return "", err
	}
	have := map[int64]int{}
	for _, it := range own.Items {
		have[it.VariantID] = it.Quantity
	}
	for _, it := range g.Items {
		v, ok := vs[it.VariantID]
		if !ok || (own.Currency != "" && v.Price.Currency != own.Currency) {
			continue
		}
		q := min(it.Quantity, MaxLineQuantity-have[it.VariantID], v.Stock-have[it.VariantID])
		if q <= 0 {
			continue
		}
		if _, err := s.store.AddItem(ctx, own.ID, it.VariantID, q, v.Price.Currency); err != nil {
			return "", err
		}
	}
	if g.DiscountCode != "" && own.DiscountCode == "" {
		_ = s.store.SetDiscountCode(ctx, own.ID, g.DiscountCode)
	}
	return own.ID, s.store.DeleteCart(ctx, g.ID)
}

// price computes lines and totals from the catalog's current prices.
func (s *Service) price(ctx context.Context, c *Cart) (*View, error) {
	ids := make([]int64, len(c.Items))
	for i, it := range c.Items {
		ids[i] = it.VariantID
	}
	vs, err := s.store.Variants(ctx, ids)
	if err != nil {
		return nil, err
	}
	return s.priceWith(ctx, c, vs)
}

// priceWith computes lines and totals from variants already read (vs holds
// at least the cart's lines' variants).
func (s *Service) priceWith(ctx context.Context, c *Cart, vs map[int64]Variant) (*View, error) {
	v := &View{Cart: c}
	cur := c.Currency
	var lines []pricing.Line
	for _, it := range c.Items {
		cv, ok := vs[it.VariantID]
		if !ok {
			continue // the variant was deleted: the store removed the line by cascade
		}
		l := Line{Item: it, Variant: cv, UnitPrice: cv.Price, Available: max(cv.Stock, 0)}
		l.LineTotal = ocean.Money{Amount: cv.Price.Amount * int64(it.Quantity), Currency: cv.Price.Currency}
		switch {
		case cv.Stock <= 0:
			l.Notice = "Sold out"
		case it.Quantity > cv.Stock:
			l.Notice = fmt.Sprintf("Only %d left: lower the quantity to check out", cv.Stock)
		case cv.Stock <= 5:
			l.Notice = fmt.Sprintf("Only %d left", cv.Stock)
		}
		v.Lines = append(v.Lines, l)
		v.Count += it.Quantity
		if cur == "" {
			cur = cv.Price.Currency
		}
		lines = append(lines, pricing.Line{VariantID: it.VariantID, UnitPrice: cv.Price, Quantity: it.Quantity})
	}
	// The shop's settings decide whether prices include tax, and price an
	// empty cart in the shop's currency.
	in := pricing.Input{Currency: cur, Lines: lines, TaxIncluded: s.TaxIncluded}
	settings := s.pricing.Settings
	if s.Settings != nil {
		settings = s.Settings
	}
	st, err := settings(ctx)
	switch {
	case err == nil:
		in.TaxIncluded = st.PricesIncludeTax
		if cur == "" {
			in.Currency = st.Currency
		}
	case ocean.ErrorCode(err) != ocean.ENOTFOUND:
		return nil, err
	}
	if c.DiscountCode != "" {
		d, err := s.pricing.DiscountByCode(ctx, c.DiscountCode)
		switch {
		case ocean.ErrorCode(err) == ocean.ENOTFOUND:
			v.DiscountIssue = "The code " + c.DiscountCode + " no longer exists."
		case err != nil:
			return nil, err
		default:
			sub, _ := pricing.Compute(pricing.Input{Currency: in.Currency, Lines: lines})
			if err := d.Check(sub.Subtotal, s.now()); err != nil {
				v.DiscountIssue = ocean.ErrorMessage(err)
			} else {
				in.Discount, v.Discount = d, d
			}
		}
	}
	t, err := pricing.Compute(in)
	if err != nil {
		return nil, err
	}
	v.Totals = t
	return v, nil
}
