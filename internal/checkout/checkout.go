// Package checkout is the one place that turns a cart into a paid order: it
// composes the cart, pricing, inventory, payment and order rules, and hands
// the writes that must happen together to one Store transaction.
//
// The path of a checkout:
//
//  1. Validate the request, price the cart from the catalog, pick shipping
//     and tax, and check the discount code.
//  2. Reserve (one transaction): the order in pending_payment, the cart
//     locked, the discount use counted, every unit taken from stock with a
//     conditional update. The database refuses to go below zero.
//  3. Authorize the payment at the gateway, with the order's payment
//     reference as the gateway's idempotency key.
//  4. Mark the order paid (compare-and-set), then capture. A declined card
//     releases the reservation instead.
//
// A crash between 3 and 4 leaves a pending_payment order whose reservation
// runs out; the reconciler asks the gateway what happened to its reference
// and completes the order or releases it. There is never a charge without an
// order, nor an order marked paid without an authorization.
package checkout

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/pricing"
)

// Sealer encrypts personal data at rest (package account's keyring).
type Sealer interface {
	Seal(plain, aad string) (string, error)
	Open(sealed, aad string) (string, error)
}

// Config wires a Service.
type Config struct {
	Store    Store
	Carts    *cart.Service
	CartData cart.Store
	Pricing  pricing.Store
	Gateways map[string]payment.Gateway
	Sealer   Sealer
	Log      *slog.Logger
	// Mail sends the order confirmation; nil sends nothing.
	Mail func(ctx context.Context, to, subject, text string) error
	// PublicURL is the shop's address for links in mail.
	PublicURL string
	// ReservationTTL is how long stock stays reserved while payment runs
	// (default 10 minutes).
	ReservationTTL time.Duration
	// StockChanged is called after stock levels change (cache
	// invalidation) with the variants whose stock changed (nil: not known)
	// and whether units were only taken away (a sale).
	StockChanged func(ctx context.Context, variantIDs []int64, sold bool)
	// Locker, when set, puts locks in front of the database: one checkout
	// per cart at a time, the variants' stock updates in key order with
	// fencing tokens, and order status changes. Correctness never depends
	// on it: without it (or with Redis down) the database alone decides.
	Locker lock.Locker
	// VariantLocks takes the variants' locks around the stock update: buyers
	// of a hot variant queue at the lock, before they take a pooled
	// connection and wait on the row's lock in the database. Worth it for a
	// fleet (the lock is shared) and for PostgreSQL in one process (256
	// buyers of one variant: 91 -> 169 checkouts/s, decision 0215); on
	// SQLite the one writer is already the queue, so it is off there.
	VariantLocks bool
	// AfterAuthorize, for crash tests only, runs between the gateway's
	// authorization and the order's commit.
	AfterAuthorize func(ctx context.Context, o *order.Order)
	// Now is the clock (tests).
	Now func() time.Time
	// Span traces a checkout (nil: no tracing).
	Span ocean.SpanFunc
}

// Service runs checkouts and the order lifecycle.
type Service struct {
	c Config
	// locksDown is set while the lock service fails, so requests do not
	// each wait on it.
	locksDown atomic.Bool
	stats     counters
	// settingsGen counts this instance's writes to the shop's rules
	// (settings, zones, methods, tax rates): a reader that keeps what it
	// derived from them (the footer's notices) reads them again once it
	// moves (see SettingsGeneration).
	settingsGen atomic.Uint64
	// rules keeps the settings, methods and tax rates checkouts read.
	rules rulesCache
}

// SettingsGeneration moves on every write this instance makes to the
// settings, shipping zones and methods, or tax rates (before and after
// it: a reader that saw the old value rereads). Another instance's writes
// do not move it: what is kept from them must also expire (a second).
func (s *Service) SettingsGeneration() uint64 { return s.settingsGen.Load() }

// rulesChanged marks a write to the shop's rules; deferred by each writer
// so that it also moves once the write is done.
func (s *Service) rulesChanged() { s.settingsGen.Add(1) }

// New returns a checkout service.
func New(c Config) *Service {
	if c.ReservationTTL <= 0 {
		c.ReservationTTL = 10 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{c: c}
}

// ErrDuplicateKey is what Store.Reserve returns when an order with the same
// idempotency key exists.
var ErrDuplicateKey = errors.New("checkout: idempotency key already used")

// StockError names the variants that are short.
type StockError struct {
	Short []Shortage
}

// Shortage is one variant without enough stock.
type Shortage struct {
	VariantID int64  `json:"variant_id"`
	SKU       string `json:"sku"`
	Wanted    int    `json:"wanted"`
	Available int    `json:"available"`
}

func (e *StockError) Error() string { return "out of stock" }

// AsError turns the shortage into the error clients see (409).
func (e *StockError) AsError() *ocean.Error {
	var names []string
	fe := make([]ocean.FieldError, 0, len(e.Short))
	for _, s := range e.Short {
		names = append(names, s.SKU)
		msg := "is sold out"
		if s.Available > 0 {
			msg = fmt.Sprintf("only %d left", s.Available)
		}
		fe = append(fe, ocean.FieldError{Field: "variant:" + fmt.Sprint(s.VariantID), Message: s.SKU + " " + msg})
	}
	return &ocean.Error{Code: ocean.ECONFLICT, Message: "Not enough stock for " + strings.Join(names, ", ") + ". Change your cart and try again.", Fields: fe, Err: e}
}

// DeclineError is a refused payment: the cart is kept, the stock released.
type DeclineError struct {
	Code    string
	Message string
	Order   *order.Order
}

func (e *DeclineError) Error() string { return "payment declined: " + e.Code }

// Request is a checkout as the shopper submits it.
type Request struct {
	CartID         string
	UserID         int64 // 0 for a guest
	IdempotencyKey string
	Email          string
	Address        ocean.Address
	ShippingMethod string
	Gateway        string
	Token          string
}

// ValidKey reports whether an Idempotency-Key is acceptable: 8 to 255
// printable ASCII characters.
func ValidKey(k string) bool {
	if len(k) < 8 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

func (r *Request) normalize() {
	r.Email = strings.TrimSpace(r.Email)
	a := &r.Address
	for _, p := range []*string{&a.Name, &a.Line1, &a.Line2, &a.City, &a.PostalCode, &a.Phone} {
		*p = strings.TrimSpace(*p)
	}
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	r.ShippingMethod = strings.TrimSpace(r.ShippingMethod)
	r.Token = strings.TrimSpace(r.Token)
}

// TextProblem says what is wrong with a one-line text field that must have
// lo to hi characters, in the words of a field error ("is required", "is
// too long (max 64 characters)"), or "" when nothing is.
func TextProblem(s string, lo, hi int) string {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n"):
		return "must be one line of text"
	case n < lo:
		return "is required"
	case n > hi:
		return fmt.Sprintf("is too long (max %d characters)", hi)
	}
	return ""
}

func textOK(s string, lo, hi int) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && n >= lo && n <= hi && !strings.ContainsAny(s, "\x00\r\n")
}

// Validate checks the request's fields.
func (r *Request) Validate(gateways map[string]payment.Gateway) error {
	var fe []ocean.FieldError
	add := func(f, m string) { fe = append(fe, ocean.FieldError{Field: f, Message: m}) }
	if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email || len(r.Email) > 254 {
		add("email", "must be an email address like name@example.com")
	}
	a := r.Address
	for _, f := range []struct {
		name, value string
		lo, hi      int
	}{{"name", a.Name, 1, 100}, {"line1", a.Line1, 1, 200}, {"line2", a.Line2, 0, 200},
		{"city", a.City, 1, 100}, {"postal_code", a.PostalCode, 0, 20}, {"phone", a.Phone, 0, 30}} {
		if msg := TextProblem(f.value, f.lo, f.hi); msg != "" {
			add("shipping_address."+f.name, msg)
		}
	}
	if !ocean.IsCountry(a.Country) {
		add("shipping_address.country", "must be an ISO 3166-1 two-letter country code such as ZA")
	}
	if !textOK(r.ShippingMethod, 1, 40) {
		add("shipping_method", "is required")
	}
	if _, ok := gateways[r.Gateway]; !ok {
		names := make([]string, 0, len(gateways))
		for n := range gateways {
			names = append(names, n)
		}
		sort.Strings(names)
		add("payment.gateway", "must be one of: "+strings.Join(names, ", "))
	}
	if !textOK(r.Token, 1, 255) {
		add("payment.token", "is required: a token from the payment gateway")
	}
	if fe != nil {
		return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "Some checkout details are missing or wrong.", Fields: fe}
	}
	return nil
}

// hashedAddress is the address as hash has always encoded it (without an
// empty phone), so an order placed before an upgrade still matches its
// retry after it.
type hashedAddress struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
	Phone      string `json:"phone,omitempty"`
}

// hash fingerprints what a request asks for, so a reused idempotency key
// with another body is noticed.
func (r *Request) hash() string {
	b, _ := json.Marshal(struct {
		C, E, S, G, T string
		A             hashedAddress
		U             int64
	}{r.CartID, r.Email, r.ShippingMethod, r.Gateway, r.Token, hashedAddress(r.Address), r.UserID})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Quote prices a cart for a destination and shipping method without
// writing anything: what the review step shows.
func (s *Service) Quote(ctx context.Context, cartID string, userID int64, country, method string) (*cart.View, pricing.Totals, error) {
	v, err := s.c.Carts.Get(ctx, cartID, userID)
	if err != nil {
		return nil, pricing.Totals{}, err
	}
	t, _, err := s.totals(ctx, v, country, method)
	return v, t, err
}

// ShippingMethods lists the methods offered for a country.
func (s *Service) ShippingMethods(ctx context.Context, country string) ([]pricing.ShippingMethod, error) {
	return s.methodsFor(ctx, country, "country")
}

// methodsFor lists the methods for country, naming field in its refusals:
// not a country code (EINVALID), or one the shop does not ship to
// (EUNPROCESSABLE).
func (s *Service) methodsFor(ctx context.Context, country, field string) ([]pricing.ShippingMethod, error) {
	country = strings.ToUpper(strings.TrimSpace(country))
	if len(country) != 2 || strings.Trim(country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return nil, &ocean.Error{Code: ocean.EINVALID, Message: "Give a two-letter country code such as ZA.", Fields: []ocean.FieldError{{Field: field, Message: "must be a two-letter country code"}}}
	}
	if err := s.shipsTo(ctx, country, field); err != nil {
		return nil, err
	}
	return s.methodsOf(ctx, country)
}

// shipsTo refuses (EUNPROCESSABLE on field) a country that is not among
// the shop's settings' countries.
func (s *Service) shipsTo(ctx context.Context, country, field string) error {
	st, err := s.CurrentSettings(ctx)
	if err != nil {
		return err
	}
	if !st.Ships(country) {
		return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "The shop does not ship to " + country + ".",
			Fields: []ocean.FieldError{{Field: field, Message: "must be one of the countries the shop ships to: " + strings.Join(st.Countries, ", ")}}}
	}
	return nil
}

// AllShippingMethods lists every shipping method, by country.
func (s *Service) AllShippingMethods(ctx context.Context) ([]pricing.ShippingMethod, error) {
	return s.c.Pricing.AllShippingMethods(ctx)
}

// Settings returns the shop's settings.
func (s *Service) Settings(ctx context.Context) (*pricing.Settings, error) {
	return s.c.Pricing.Settings(ctx)
}

// UpdateSettings validates and writes the shop's settings; st.Version is
// the version the change was made from (ESTALE when it is no longer
// current).
func (s *Service) UpdateSettings(ctx context.Context, st pricing.Settings, a pricing.Actor) (*pricing.Settings, error) {
	s.rulesChanged()
	defer s.rulesChanged()
	st.Normalize()
	if err := st.Validate(); err != nil {
		return nil, err
	}
	return s.c.Pricing.UpdateSettings(ctx, st, a)
}

func (s *Service) totals(ctx context.Context, v *cart.View, country, method string) (pricing.Totals, *pricing.ShippingMethod, error) {
	if len(v.Lines) == 0 {
		return pricing.Totals{}, nil, ocean.Errorf(ocean.EUNPROCESSABLE, "The cart is empty.")
	}
	for _, l := range v.Lines {
		if l.Quantity > l.Available {
			return pricing.Totals{}, nil, (&StockError{Short: []Shortage{{VariantID: l.VariantID, SKU: l.Variant.SKU, Wanted: l.Quantity, Available: l.Available}}}).AsError()
		}
	}
	if v.DiscountIssue != "" {
		return pricing.Totals{}, nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: v.DiscountIssue + " Remove it to check out.", Fields: []ocean.FieldError{{Field: "discount", Message: v.DiscountIssue}}}
	}
	country = strings.ToUpper(strings.TrimSpace(country))
	methods, err := s.methodsFor(ctx, country, "shipping_address.country")
	if err != nil {
		return pricing.Totals{}, nil, err
	}
	var ship *pricing.ShippingMethod
	for i := range methods {
		if methods[i].Code == method {
			ship = &methods[i]
		}
	}
	if ship == nil {
		return pricing.Totals{}, nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "That shipping method is not offered for this country.",
			Fields: []ocean.FieldError{{Field: "shipping_method", Message: "is not offered for " + country}}}
	}
	tax, err := s.taxOf(ctx, country)
	if err != nil {
		return pricing.Totals{}, nil, err
	}
	lines := make([]pricing.Line, len(v.Lines))
	for i, l := range v.Lines {
		lines[i] = pricing.Line{VariantID: l.VariantID, UnitPrice: l.UnitPrice, Quantity: l.Quantity}
	}
	t, err := pricing.Compute(pricing.Input{Currency: v.Totals.Subtotal.Currency, Lines: lines, Discount: v.Discount, Shipping: ship, Weight: v.Weight(),
		Tax: tax, TaxIncluded: v.Totals.TaxIncluded})
	return t, ship, err
}

// Checkout turns the cart into a paid order, or explains why not:
// *DeclineError for a refused card, *ocean.Error otherwise. The same
// idempotency key returns the first attempt's result.
func (s *Service) Checkout(ctx context.Context, r Request) (o *order.Order, err error) {
	ctx, end := s.c.Span.Span(ctx, "checkout")
	defer func() { end(err) }()
	return s.checkout(ctx, r)
}

func (s *Service) checkout(ctx context.Context, r Request) (*order.Order, error) {
	if !ValidKey(r.IdempotencyKey) {
		return nil, &ocean.Error{Code: ocean.EINVALID, Message: "Send an Idempotency-Key header: 8 to 255 printable characters, new for each checkout attempt.",
			Fields: []ocean.FieldError{{Field: "Idempotency-Key", Message: "must be 8-255 printable ASCII characters"}}}
	}
	r.normalize()
	hash := r.hash()
	if o, err := s.c.Store.OrderByKey(ctx, r.CartID, r.IdempotencyKey); err == nil {
		return s.replay(ctx, o, hash)
	} else if ocean.ErrorCode(err) != ocean.ENOTFOUND {
		return nil, err
	}
	if err := r.Validate(s.c.Gateways); err != nil {
		return nil, err
	}
	gw := s.c.Gateways[r.Gateway]
	if !cart.ValidID(r.CartID) {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no such cart.")
	}
	// One checkout per cart at a time, across instances: a double click
	// on two instances waits here, then finds the order (same key) or the
	// cart already checked out.
	release, err := s.lock(ctx, "cart:"+r.CartID, 15*time.Second)
	if err != nil {
		return nil, err
	}
	defer release()
	locksDown := s.locksDown.Load()
	if o, err := s.c.Store.OrderByKey(ctx, r.CartID, r.IdempotencyKey); err == nil {
		return s.replay(ctx, o, hash)
	}
	v, err := s.c.Carts.Get(ctx, r.CartID, r.UserID)
	if err != nil {
		return nil, err
	}
	if v.Status != cart.Open {
		if o, err := s.c.Store.OrderByKey(ctx, r.CartID, r.IdempotencyKey); err == nil {
			return s.replay(ctx, o, hash)
		}
		if v.Status == cart.Checkout {
			return nil, ocean.Errorf(ocean.ECONFLICT, "A payment for this cart is already in progress. Wait a moment and look at your orders before trying again.")
		}
		return nil, ocean.Errorf(ocean.ECONFLICT, "This cart has already been ordered.")
	}
	t, ship, err := s.totals(ctx, v, r.Address.Country, r.ShippingMethod)
	if err != nil {
		return nil, err
	}
	if t.Total.Amount <= 0 {
		return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "This order comes to nothing to pay, which the shop cannot take yet. Remove the discount code or add an item."}
	}
	if tc, ok := gw.(payment.TokenChecker); ok {
		if err := tc.CheckToken(ctx, r.Token); err != nil {
			return nil, tokenError(err)
		}
	}
	now := s.c.Now().UTC()
	o := &order.Order{
		PublicID: randomHex(16), IdempotencyKey: r.IdempotencyKey, RequestHash: hash, CartID: v.ID, UserID: r.UserID,
		Email: r.Email, Status: order.PendingPayment, Totals: t, ShippingMethod: ship.Code, ShippingName: ship.Name,
		Address: r.Address, Country: r.Address.Country, ReservedUntil: now.Add(s.c.ReservationTTL),
		Gateway: r.Gateway, PaymentRef: "ocean_" + randomHex(12), PaymentStatus: order.PaymentPending, CreatedAt: now, UpdatedAt: now,
	}
	perCustomer := 0
	if d := v.Discount; d != nil {
		o.DiscountID, o.DiscountCode = d.ID, d.Code
		o.CustomerKey = "email:" + strings.ToLower(r.Email)
		if r.UserID != 0 {
			o.CustomerKey = fmt.Sprintf("user:%d", r.UserID)
		}
		if d.PerCustomerLimit != nil {
			perCustomer = *d.PerCustomerLimit
		}
	}
	for _, l := range v.Lines {
		o.Items = append(o.Items, order.Item{VariantID: l.VariantID, ProductName: l.Variant.ProductName, ProductSlug: l.Variant.ProductSlug,
			SKU: l.Variant.SKU, Options: l.Variant.Options, UnitPrice: l.UnitPrice, Quantity: l.Quantity, LineTotal: l.LineTotal})
	}
	if err := s.sealAddress(o); err != nil {
		return nil, err
	}
	fences, unlock, err := func() (map[int64]int64, func(), error) {
		if locksDown {
			return nil, func() {}, nil // the lock service just failed: do not wait on it again
		}
		return s.lockVariants(ctx, o.Items)
	}()
	if err != nil {
		return nil, err
	}
	s.stats.started.Add(1)
	err = s.c.Store.Reserve(ctx, o, perCustomer, fences)
	unlock()
	if errors.Is(err, lock.ErrFenced) {
		return nil, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The shop was busy and could not reserve your items. Nothing was charged; please try again.", Err: err}
	}
	if errors.Is(err, ErrDuplicateKey) {
		prev, err := s.c.Store.OrderByKey(ctx, r.CartID, r.IdempotencyKey)
		if err != nil {
			return nil, err
		}
		return s.replay(ctx, prev, hash)
	}
	var se *StockError
	if errors.As(err, &se) {
		return nil, se.AsError()
	}
	if err != nil {
		return nil, err
	}
	s.stockChanged(ctx, o, true)
	return s.pay(ctx, o, gw, r.Token)
}

func tokenError(err error) error {
	var d *payment.Decline
	if errors.As(err, &d) && d.Code == "invalid_token" {
		return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "The payment token is not known to the gateway. Enter your card again.",
			Fields: []ocean.FieldError{{Field: "payment.token", Message: "is not a token of this gateway"}}}
	}
	return err
}

// pay authorizes, marks the order paid and captures; a decline releases.
func (s *Service) pay(ctx context.Context, o *order.Order, gw payment.Gateway, token string) (*order.Order, error) {
	// The gateway call must finish even if the shopper goes away, or the
	// order is left for the reconciler.
	pctx := context.WithoutCancel(ctx)
	// The order has no number yet (it gets one when paid), so the
	// gateway's description names the checkout's payment reference.
	auth, err := gw.Authorize(pctx, payment.AuthorizeRequest{Reference: o.PaymentRef, Amount: o.Totals.Total, Token: token, Email: o.Email,
		Description: "Order payment " + o.PaymentRef})
	if err != nil {
		s.attempt(pctx, o, err)
	}
	var d *payment.Decline
	if errors.As(err, &d) {
		if _, rerr := s.c.Store.Release(pctx, o.ID, order.PaymentDeclined, d.Code, d.Message, "gateway"); rerr != nil {
			return nil, rerr
		}
		s.stockChanged(ctx, o, false)
		if d.Code == "invalid_token" {
			return nil, tokenError(err)
		}
		o2, _ := s.c.Store.Order(pctx, o.ID)
		return nil, &DeclineError{Code: d.Code, Message: d.Message, Order: s.open(o2)}
	}
	if err != nil {
		// Unknown outcome: ask the gateway once; if it has no record the
		// reservation can go now, otherwise the reconciler settles it.
		s.c.Log.Error("payment authorization failed", "payment_ref", o.PaymentRef, "err", err)
		if _, lerr := gw.Lookup(pctx, o.PaymentRef); ocean.ErrorCode(lerr) == ocean.ENOTFOUND {
			if _, rerr := s.c.Store.Release(pctx, o.ID, order.PaymentFailed, "gateway_unavailable", "The payment service did not answer.", "gateway"); rerr == nil {
				s.stockChanged(ctx, o, false)
			}
		}
		return nil, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The payment service is not answering. Nothing was charged; please try again in a minute.", Err: err}
	}
	if s.c.AfterAuthorize != nil {
		s.c.AfterAuthorize(pctx, o)
	}
	// The succeeded attempt is written with the payment itself (one
	// transaction); a crash before that leaves it to the reconciler, which
	// finds the authorization at the gateway and records it (confirmed).
	return s.complete(pctx, o, gw, auth, s.newAttempt(o, nil))
}

// newAttempt is the record of one authorization asked for o (err is what
// Authorize returned).
func (s *Service) newAttempt(o *order.Order, err error) *order.Attempt {
	a := &order.Attempt{OrderID: o.ID, CartID: o.CartID, Gateway: o.Gateway, Reference: o.PaymentRef, Amount: o.Totals.Total,
		CreatedAt: s.c.Now().UTC()}
	a.Outcome, a.DeclineCode, a.Message = attemptOutcome(err)
	return a
}

// attempt records the answer of one authorization asked for o (err is
// what Authorize returned). A failure to record is logged: the payment's
// outcome stands either way.
func (s *Service) attempt(ctx context.Context, o *order.Order, err error) {
	s.record(ctx, o, s.newAttempt(o, err))
}

// record writes a; a failure is logged (the payment's outcome stands).
func (s *Service) record(ctx context.Context, o *order.Order, a *order.Attempt) {
	if rerr := s.c.Store.RecordAttempt(ctx, a); rerr != nil {
		s.c.Log.Error("payment attempt not recorded", "payment_ref", o.PaymentRef, "outcome", a.Outcome, "err", rerr)
	}
}

// attemptOutcome classifies what a gateway's Authorize returned. The
// message is for the admin: a decline's own words, or a fixed text (the
// raw error, which may name hosts, goes to the log only).
func attemptOutcome(err error) (outcome, code, message string) {
	var d *payment.Decline
	var te interface{ Timeout() bool }
	switch {
	case err == nil:
		return order.AttemptSucceeded, "", ""
	case errors.As(err, &d):
		return order.AttemptDeclined, d.Code, d.Message
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &te) && te.Timeout():
		return order.AttemptTimedOut, "timeout", "The payment service did not answer in time."
	case payment.NothingDone(err):
		return order.AttemptFailed, "gateway_unavailable", "The payment service was unavailable; nothing was done."
	default:
		return order.AttemptFailed, "gateway_error", "The payment service did not answer."
	}
}

// confirmed records the authorization the reconciler or a webhook found
// at the gateway for o's payment reference: a checkout whose answer was
// lost (a timeout, a crash) still shows the attempt that paid it. The
// store keeps one succeeded attempt per reference, so a checkout that
// recorded it itself is not counted twice.
func (s *Service) confirmed(ctx context.Context, o *order.Order, via string) {
	a := &order.Attempt{OrderID: o.ID, CartID: o.CartID, Gateway: o.Gateway, Reference: o.PaymentRef, Amount: o.Totals.Total,
		Outcome: order.AttemptSucceeded, Message: "Authorization confirmed by the " + via + ".", CreatedAt: s.c.Now().UTC()}
	if err := s.c.Store.RecordAttempt(ctx, a); err != nil {
		s.c.Log.Error("payment attempt not recorded", "payment_ref", o.PaymentRef, "outcome", a.Outcome, "err", err)
	}
}

// complete marks an authorized order paid and captures it. It is safe to
// race: only the caller that wins the compare-and-set captures. a, when
// not nil, is the authorization's attempt, recorded with the payment.
func (s *Service) complete(ctx context.Context, o *order.Order, gw payment.Gateway, auth payment.Authorization, a *order.Attempt) (*order.Order, error) {
	release, err := s.lock(ctx, orderLock(o.PublicID), lockWait)
	if err != nil {
		if a != nil {
			s.record(ctx, o, a)
		}
		return nil, err
	}
	defer release()
	won, err := s.c.Store.MarkPaid(ctx, o.ID, auth.ID, auth.Card, order.PaymentAuthorized, s.c.Now().UTC(), a)
	if err != nil {
		if a != nil {
			s.record(ctx, o, a) // the payment's transaction failed: keep the attempt on record if the store can
		}
		return nil, err
	}
	if won {
		s.stats.paid(o.Totals.Total)
	}
	if !won {
		cur, err := s.c.Store.Order(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		if cur.Status == order.Cancelled && cur.PaidAt == nil {
			// The reservation ran out and was released before payment
			// finished: give the money back and say so.
			if _, verr := gw.Void(ctx, auth.ID); verr != nil {
				s.c.Log.Error("void after expired reservation failed", "payment_ref", cur.PaymentRef, "err", verr)
			}
			return nil, ocean.Errorf(ocean.ECONFLICT, "Your reservation expired before payment finished. Nothing was charged; please check out again.")
		}
		return s.open(cur), nil
	}
	s.capture(ctx, o.ID, gw, auth.ID)
	cur, err := s.c.Store.Order(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	cur = s.open(cur)
	s.confirm(ctx, cur)
	return cur, nil
}

func (s *Service) capture(ctx context.Context, id int64, gw payment.Gateway, authID string) {
	if _, err := gw.Capture(ctx, authID); err != nil {
		s.c.Log.Error("capture failed; the reconciler retries", "order_id", id, "err", err)
		return
	}
	if _, err := s.c.Store.SetPayment(ctx, id, []string{order.PaymentAuthorized}, order.PaymentCaptured); err != nil {
		s.c.Log.Error("capture not recorded; the reconciler retries", "order_id", id, "err", err)
	}
}

// replay answers a request whose idempotency key was seen: the same order
// (waiting while the first request is still paying), or 422 if the body
// differs.
func (s *Service) replay(ctx context.Context, o *order.Order, hash string) (*order.Order, error) {
	if o.RequestHash != hash {
		return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "This Idempotency-Key was already used for a different checkout request. Use a new key for a new attempt.",
			Fields: []ocean.FieldError{{Field: "Idempotency-Key", Message: "was used with a different request body"}}}
	}
	deadline := time.Now().Add(20 * time.Second)
	for o.Status == order.PendingPayment && o.PaymentStatus == order.PaymentPending && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
		cur, err := s.c.Store.Order(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		o = cur
	}
	o = s.open(o)
	if o.Status == order.Cancelled && (o.PaymentStatus == order.PaymentDeclined || o.PaymentStatus == order.PaymentFailed) {
		if o.DeclineCode == "invalid_token" {
			return nil, tokenError(&payment.Decline{Code: "invalid_token"})
		}
		if o.PaymentStatus == order.PaymentFailed {
			return nil, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The payment service did not answer. Nothing was charged; please try again."}
		}
		return nil, &DeclineError{Code: o.DeclineCode, Message: o.DeclineMessage, Order: o}
	}
	return o, nil
}

func addressAAD(publicID string) string { return "order.address:" + publicID }

func (s *Service) sealAddress(o *order.Order) error {
	b, err := json.Marshal(o.Address)
	if err != nil {
		return err
	}
	sealed, err := s.c.Sealer.Seal(string(b), addressAAD(o.PublicID))
	if err != nil {
		return err
	}
	o.SealedAddress = sealed
	return nil
}

// open decrypts the order's address; an erased or unreadable address is
// left empty (the order itself stays readable).
func (s *Service) open(o *order.Order) *order.Order {
	if o == nil || o.SealedAddress == "" || o.Address.Line1 != "" {
		return o
	}
	plain, err := s.c.Sealer.Open(o.SealedAddress, addressAAD(o.PublicID))
	if err != nil {
		s.c.Log.Error("order address not readable", "order_id", o.ID, "err", err)
		return o
	}
	_ = json.Unmarshal([]byte(plain), &o.Address)
	return o
}

// stockChanged reports that the stock of o's variants changed: sold when
// the order took its units, otherwise they came back.
func (s *Service) stockChanged(ctx context.Context, o *order.Order, sold bool) {
	if s.c.StockChanged == nil {
		return
	}
	var ids []int64
	if o != nil {
		for _, it := range o.Items {
			if it.VariantID != 0 {
				ids = append(ids, it.VariantID)
			}
		}
	}
	s.c.StockChanged(ctx, ids, sold)
}

func (s *Service) confirm(ctx context.Context, o *order.Order) {
	if s.c.Mail == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Thank you for your order %s.\n\n", o.Number())
	for _, it := range o.Items {
		opts := cart.OptionText(it.Options)
		if opts != "" {
			opts = " (" + opts + ")"
		}
		fmt.Fprintf(&b, "%d × %s%s  %s\n", it.Quantity, it.ProductName, opts, it.LineTotal)
	}
	t := o.Totals
	fmt.Fprintf(&b, "\nSubtotal: %s\n", t.Subtotal)
	if t.Discount.Amount > 0 {
		fmt.Fprintf(&b, "Discount (%s): -%s\n", o.DiscountCode, t.Discount)
	}
	fmt.Fprintf(&b, "Shipping (%s): %s\n", o.ShippingName, t.Shipping)
	if t.Tax.Amount > 0 {
		if t.TaxIncluded {
			fmt.Fprintf(&b, "Includes %s: %s\n", t.TaxName, t.Tax)
		} else {
			fmt.Fprintf(&b, "%s: %s\n", t.TaxName, t.Tax)
		}
	}
	fmt.Fprintf(&b, "Total: %s\n\nShipping to:\n%s\n%s\n", t.Total, o.Address.Name, o.Address.Line1)
	if o.Address.Line2 != "" {
		fmt.Fprintf(&b, "%s\n", o.Address.Line2)
	}
	fmt.Fprintf(&b, "%s %s\n%s\n\nSee your order: %s/orders/%s\n", o.Address.City, o.Address.PostalCode, o.Address.Country, strings.TrimRight(s.c.PublicURL, "/"), o.PublicID)
	if err := s.c.Mail(ctx, o.Email, "Your order "+o.Number(), b.String()); err != nil {
		s.c.Log.Error("order confirmation not sent", "order", o.Number(), "err", err)
	}
}

// lockWait bounds how long a request waits for a lock before it gives up.
const lockWait = 10 * time.Second

// variantLockWait bounds the wait in the queue of a hot variant; past it
// the checkout goes straight to the database's conditional update.
const variantLockWait = 2 * time.Second

// lock takes key for the caller and returns its release. Without a
// Locker, or while the lock service is unreachable, it returns at once
// (the database still decides alone); a lock that stays held past wait is
// a 503 the client may retry.
func (s *Service) lock(ctx context.Context, key string, wait time.Duration) (func(), error) {
	if s.c.Locker == nil {
		return func() {}, nil
	}
	opts := []lock.Option{lock.WithTTL(10 * time.Second), lock.WithMaxHold(2 * time.Minute)}
	// One quick try first: an unreachable lock service is known at once
	// instead of after the whole wait.
	lease, err := s.c.Locker.TryLock(ctx, key, opts...)
	if errors.Is(err, lock.ErrNotAcquired) {
		lctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		lease, err = s.c.Locker.Acquire(lctx, key, opts...)
	}
	switch {
	case err == nil:
		if s.locksDown.Swap(false) {
			s.c.Log.Info("lock service reachable again")
		}
		return func() { _ = lease.Release() }, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, lock.ErrUnavailable):
		if !s.locksDown.Swap(true) {
			s.c.Log.Warn("lock service unavailable; going on without locks (the database still decides)", "key", key, "err", err)
		}
		return func() {}, nil
	default:
		return nil, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The shop is very busy right now. Nothing was charged; please try again in a moment.", Err: err}
	}
}

// lockVariants takes the locks of the variants an order takes stock from,
// in key order, and returns their fencing tokens for the stock updates.
func (s *Service) lockVariants(ctx context.Context, items []order.Item) (map[int64]int64, func(), error) {
	if s.c.Locker == nil || !s.c.VariantLocks {
		return nil, func() {}, nil
	}
	keys := make([]string, 0, len(items))
	ids := map[string]int64{}
	for _, it := range items {
		k := "variant:" + fmt.Sprint(it.VariantID)
		if _, ok := ids[k]; !ok {
			keys = append(keys, k)
			ids[k] = it.VariantID
		}
	}
	lctx, cancel := context.WithTimeout(ctx, variantLockWait)
	defer cancel()
	set, err := s.c.Locker.AcquireMany(lctx, keys, lock.WithTTL(5*time.Second), lock.WithMaxHold(time.Minute))
	switch {
	case err == nil:
		fences := make(map[int64]int64, len(keys))
		for _, k := range keys {
			fences[ids[k]] = set.Token(k)
		}
		return fences, func() { _ = set.Release() }, nil
	case ctx.Err() != nil:
		return nil, nil, ctx.Err()
	default:
		// Unavailable, or a queue longer than the wait: the lock only
		// reduces contention, so go to the database, which decides alone.
		s.c.Log.Debug("reserving stock without variant locks", "err", err)
		return nil, func() {}, nil
	}
}

// orderLock names the lock that serializes an order's status changes.
func orderLock(publicID string) string { return "order:" + publicID }
