package checkout_test

// The checkout's unit tests run the Service against the real SQLite store
// (so every store rule it relies on is the real one, and the commerce store
// contract in internal/storetest covers both SQLite and PostgreSQL), the
// real sandbox gateway and the real in-process locker. Each is wrapped in a
// fault injector that can fail, delay or interleave one call: that is how a
// test reaches a decline, a timeout with an unknown outcome, a lost lock or
// a crash between two steps without starting the program.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/lock/local"
	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/payment/sandbox"
	"github.com/oceanshop/ocean/internal/pricing"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite"
)

// template is a migrated database file each test copies: migrating once
// instead of per test keeps the suite fast under the race detector.
var template string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "checkout-test-")
	if err != nil {
		panic(err)
	}
	template = filepath.Join(dir, "template.db")
	if err := migrateTemplate(template); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func migrateTemplate(path string) error {
	db, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	ms, err := sqlite.Migrations()
	if err == nil {
		_, err = migrate.Up(context.Background(), db, ms)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

func openDB(t *testing.T) *sqldb.DB {
	t.Helper()
	b, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ocean.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// errTimeout is a transport failure that says nothing about whether the
// gateway acted: an unknown outcome.
var errTimeout = errors.New("gateway: read tcp: i/o timeout")

// nothingDone is a failure that guarantees the gateway did nothing.
type nothingDone struct{}

func (nothingDone) Error() string     { return "gateway: connection refused (nothing was done)" }
func (nothingDone) NothingDone() bool { return true }

// clock is a settable clock starting at the real time (the store stamps
// some rows with the real time, so the test clock only moves forward).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sealer is a reversible stand-in for the account keyring: it binds the
// sealed text to its associated data, as the real one does, and can be
// made to fail.
type sealer struct{ failSeal, failOpen atomic.Bool }

func (s *sealer) Seal(plain, aad string) (string, error) {
	if s.failSeal.Load() {
		return "", errors.New("keyring: no active key")
	}
	return aad + "|" + base64.StdEncoding.EncodeToString([]byte(plain)), nil
}

func (s *sealer) Open(sealed, aad string) (string, error) {
	a, b, ok := strings.Cut(sealed, "|")
	if !ok || a != aad || s.failOpen.Load() {
		return "", errors.New("keyring: cannot open")
	}
	p, err := base64.StdEncoding.DecodeString(b)
	return string(p), err
}

// gateway wraps the sandbox gateway. on[op] replaces one operation: it gets
// the real call and decides whether to make it and what to return.
type gateway struct {
	payment.Gateway
	mu    sync.Mutex
	on    map[string]func(real func() (payment.Authorization, error)) (payment.Authorization, error)
	calls map[string]int
}

func (g *gateway) do(op string, real func() (payment.Authorization, error)) (payment.Authorization, error) {
	g.mu.Lock()
	g.calls[op]++
	f := g.on[op]
	g.mu.Unlock()
	if f != nil {
		return f(real)
	}
	return real()
}

// set makes op behave as f from now on (nil restores the real call).
func (g *gateway) set(op string, f func(real func() (payment.Authorization, error)) (payment.Authorization, error)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f == nil {
		delete(g.on, op)
	} else {
		g.on[op] = f
	}
}

func (g *gateway) count(op string) int { g.mu.Lock(); defer g.mu.Unlock(); return g.calls[op] }

// Behaviours for gateway.set.
func fail(err error) func(func() (payment.Authorization, error)) (payment.Authorization, error) {
	return func(func() (payment.Authorization, error)) (payment.Authorization, error) {
		return payment.Authorization{}, err
	}
}

// actThenTimeout makes the call, then loses the answer.
func actThenTimeout(real func() (payment.Authorization, error)) (payment.Authorization, error) {
	_, _ = real()
	return payment.Authorization{}, errTimeout
}

func (g *gateway) Authorize(ctx context.Context, r payment.AuthorizeRequest) (payment.Authorization, error) {
	return g.do("authorize", func() (payment.Authorization, error) { return g.Gateway.Authorize(ctx, r) })
}
func (g *gateway) Capture(ctx context.Context, id string) (payment.Authorization, error) {
	return g.do("capture", func() (payment.Authorization, error) { return g.Gateway.Capture(ctx, id) })
}
func (g *gateway) Void(ctx context.Context, id string) (payment.Authorization, error) {
	return g.do("void", func() (payment.Authorization, error) { return g.Gateway.Void(ctx, id) })
}
func (g *gateway) Refund(ctx context.Context, id string, amount int64, ref string) (payment.Authorization, error) {
	return g.do("refund", func() (payment.Authorization, error) { return g.Gateway.Refund(ctx, id, amount, ref) })
}
func (g *gateway) Lookup(ctx context.Context, ref string) (payment.Authorization, error) {
	return g.do("lookup", func() (payment.Authorization, error) { return g.Gateway.Lookup(ctx, ref) })
}
func (g *gateway) CheckToken(ctx context.Context, token string) error {
	_, err := g.do("checktoken", func() (payment.Authorization, error) {
		return payment.Authorization{}, g.Gateway.(payment.TokenChecker).CheckToken(ctx, token)
	})
	return err
}

// store wraps the real commerce store; before[method] runs first and its
// error, if any, is returned instead of the real call.
type store struct {
	checkout.Store
	mu     sync.Mutex
	before map[string]func() error
}

func (s *store) hook(method string) error {
	s.mu.Lock()
	f := s.before[method]
	s.mu.Unlock()
	if f != nil {
		return f()
	}
	return nil
}

func (s *store) set(method string, f func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == nil {
		delete(s.before, method)
	} else {
		s.before[method] = f
	}
}

// once wraps f so it runs the first time only.
func once(f func() error) func() error {
	var done atomic.Bool
	return func() error {
		if done.Swap(true) {
			return nil
		}
		return f()
	}
}

func (s *store) Reserve(ctx context.Context, o *order.Order, limit int, fences map[int64]int64) error {
	if err := s.hook("Reserve"); err != nil {
		return err
	}
	return s.Store.Reserve(ctx, o, limit, fences)
}
func (s *store) MarkPaid(ctx context.Context, id int64, pid, card, ps string, at time.Time, a *order.Attempt) (bool, error) {
	if err := s.hook("MarkPaid"); err != nil {
		return false, err
	}
	if a != nil {
		// The attempt is written in MarkPaid's transaction: a store that
		// cannot write it fails the payment's write as a whole.
		if err := s.hook("RecordAttempt"); err != nil {
			return false, err
		}
	}
	return s.Store.MarkPaid(ctx, id, pid, card, ps, at, a)
}
func (s *store) Release(ctx context.Context, id int64, ps, code, msg, actor string) (bool, error) {
	if err := s.hook("Release"); err != nil {
		return false, err
	}
	return s.Store.Release(ctx, id, ps, code, msg, actor)
}
func (s *store) RecordAttempt(ctx context.Context, a *order.Attempt) error {
	if err := s.hook("RecordAttempt"); err != nil {
		return err
	}
	return s.Store.RecordAttempt(ctx, a)
}
func (s *store) Attempts(ctx context.Context, id int64) ([]order.Attempt, error) {
	if err := s.hook("Attempts"); err != nil {
		return nil, err
	}
	return s.Store.Attempts(ctx, id)
}
func (s *store) SetPayment(ctx context.Context, id int64, from []string, to string) (bool, error) {
	if err := s.hook("SetPayment"); err != nil {
		return false, err
	}
	return s.Store.SetPayment(ctx, id, from, to)
}
func (s *store) Transition(ctx context.Context, id int64, from []order.Status, to order.Status, actor, note, tracking string) (bool, error) {
	if err := s.hook("Transition"); err != nil {
		return false, err
	}
	return s.Store.Transition(ctx, id, from, to, actor, note, tracking)
}
func (s *store) CancelPaid(ctx context.Context, id int64, actor string, restock bool) (bool, error) {
	if err := s.hook("CancelPaid"); err != nil {
		return false, err
	}
	return s.Store.CancelPaid(ctx, id, actor, restock)
}
func (s *store) Restock(ctx context.Context, id int64, lines []checkout.RestockLine, actor string) error {
	if err := s.hook("Restock"); err != nil {
		return err
	}
	return s.Store.Restock(ctx, id, lines, actor)
}
func (s *store) AddRefund(ctx context.Context, r checkout.RefundChange) (bool, error) {
	if err := s.hook("AddRefund"); err != nil {
		return false, err
	}
	return s.Store.AddRefund(ctx, r)
}
func (s *store) UndoRefund(ctx context.Context, id int64, ref string, restore order.Status) error {
	if err := s.hook("UndoRefund"); err != nil {
		return err
	}
	return s.Store.UndoRefund(ctx, id, ref, restore)
}
func (s *store) Order(ctx context.Context, id int64) (*order.Order, error) {
	if err := s.hook("Order"); err != nil {
		return nil, err
	}
	return s.Store.Order(ctx, id)
}
func (s *store) OrderByPublicID(ctx context.Context, id string) (*order.Order, error) {
	if err := s.hook("OrderByPublicID"); err != nil {
		return nil, err
	}
	return s.Store.OrderByPublicID(ctx, id)
}
func (s *store) OrderByKey(ctx context.Context, cartID, key string) (*order.Order, error) {
	if err := s.hook("OrderByKey"); err != nil {
		return nil, err
	}
	return s.Store.OrderByKey(ctx, cartID, key)
}
func (s *store) OrderByPaymentRef(ctx context.Context, ref string) (*order.Order, error) {
	if err := s.hook("OrderByPaymentRef"); err != nil {
		return nil, err
	}
	return s.Store.OrderByPaymentRef(ctx, ref)
}
func (s *store) Orders(ctx context.Context, f order.Filter) ([]order.Order, error) {
	if err := s.hook("Orders"); err != nil {
		return nil, err
	}
	return s.Store.Orders(ctx, f)
}
func (s *store) Events(ctx context.Context, id int64) ([]order.Event, error) {
	if err := s.hook("Events"); err != nil {
		return nil, err
	}
	return s.Store.Events(ctx, id)
}
func (s *store) Refunds(ctx context.Context, id int64) ([]order.Refund, error) {
	if err := s.hook("Refunds"); err != nil {
		return nil, err
	}
	return s.Store.Refunds(ctx, id)
}
func (s *store) Stale(ctx context.Context, before time.Time, limit int) ([]order.Order, error) {
	if err := s.hook("Stale"); err != nil {
		return nil, err
	}
	return s.Store.Stale(ctx, before, limit)
}
func (s *store) Unsettled(ctx context.Context, limit int) ([]order.Order, error) {
	if err := s.hook("Unsettled"); err != nil {
		return nil, err
	}
	return s.Store.Unsettled(ctx, limit)
}
func (s *store) Unanswered(ctx context.Context, since time.Time, limit int) ([]order.Order, error) {
	if err := s.hook("Unanswered"); err != nil {
		return nil, err
	}
	return s.Store.Unanswered(ctx, since, limit)
}
func (s *store) FirstWebhook(ctx context.Context, id string) (bool, error) {
	if err := s.hook("FirstWebhook"); err != nil {
		return false, err
	}
	return s.Store.FirstWebhook(ctx, id)
}
func (s *store) ForgetWebhook(ctx context.Context, id string) error {
	if err := s.hook("ForgetWebhook"); err != nil {
		return err
	}
	return s.Store.ForgetWebhook(ctx, id)
}

// locker wraps the in-process locker; fail[op] makes TryLock, Acquire or
// AcquireMany return that error without touching the lock.
type locker struct {
	lock.Locker
	mu    sync.Mutex
	fail  map[string]error
	calls map[string]int
}

func (l *locker) err(op string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls[op]++
	return l.fail[op]
}

func (l *locker) set(op string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		delete(l.fail, op)
	} else {
		l.fail[op] = err
	}
}

func (l *locker) count(op string) int { l.mu.Lock(); defer l.mu.Unlock(); return l.calls[op] }

func (l *locker) Acquire(ctx context.Context, key string, opts ...lock.Option) (*lock.Lease, error) {
	if err := l.err("Acquire"); err != nil {
		return nil, err
	}
	return l.Locker.Acquire(ctx, key, opts...)
}
func (l *locker) TryLock(ctx context.Context, key string, opts ...lock.Option) (*lock.Lease, error) {
	if err := l.err("TryLock"); err != nil {
		return nil, err
	}
	return l.Locker.TryLock(ctx, key, opts...)
}
func (l *locker) AcquireMany(ctx context.Context, keys []string, opts ...lock.Option) (*lock.LeaseSet, error) {
	if err := l.err("AcquireMany"); err != nil {
		return nil, err
	}
	return l.Locker.AcquireMany(ctx, keys, opts...)
}

// sentMail is one message the Mail hook received.
type sentMail struct{ to, subject, text string }

// env is one shop: a fresh database with a catalog, shipping and tax, and a
// checkout service over the wrapped store, gateway and locker.
type env struct {
	t      *testing.T
	ctx    context.Context
	db     *sqldb.DB
	data   *sqldb.CommerceStore
	store  *store
	gw     *gateway
	sb     *sandbox.Gateway
	locker *locker
	seal   *sealer
	clock  *clock
	carts  *cart.Service
	inv    *inventory.Service
	svc    *checkout.Service
	cfg    checkout.Config
	log    *logBuffer

	mu      sync.Mutex
	mails   []sentMail
	mailErr error
	changed atomic.Int32 // StockChanged calls
	stocked []stockCall  // their arguments, under mu

	tee, cap int64 // variants: a tee (ZAR 200.00, 10 in stock), a cap (ZAR 50.00, 3 in stock)
}

// stockCall is one StockChanged call: which variants, and whether sold.
type stockCall struct {
	variants []int64
	sold     bool
}

func (e *env) stockCalls() []stockCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]stockCall(nil), e.stocked...)
}

// logBuffer collects log lines so a test can see that a failure was told.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) Enabled(context.Context, slog.Level) bool { return true }
func (b *logBuffer) Handle(_ context.Context, r slog.Record) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, r.Level.String()+" "+r.Message)
	return nil
}
func (b *logBuffer) WithAttrs([]slog.Attr) slog.Handler { return b }
func (b *logBuffer) WithGroup(string) slog.Handler      { return b }
func (b *logBuffer) has(sub string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

type option func(*checkout.Config)

// withLocks puts the (wrapped) in-process locker in front of the database,
// variant locks included.
func withLocks(c *checkout.Config) { c.VariantLocks = true }

func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	ctx := context.Background()
	db := openDB(t)
	data := db.Commerce()
	cl := &clock{t: time.Now().UTC()}
	sb, err := sandbox.New(sandbox.NewMemoryStore(), sandbox.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, db: db, data: data, sb: sb, clock: cl, seal: &sealer{}, log: &logBuffer{},
		store:  &store{Store: data, before: map[string]func() error{}},
		gw:     &gateway{Gateway: sb, on: map[string]func(func() (payment.Authorization, error)) (payment.Authorization, error){}, calls: map[string]int{}},
		locker: &locker{Locker: local.New(), fail: map[string]error{}, calls: map[string]int{}},
	}
	e.seedCatalog()
	e.carts = cart.NewService(data, data, false)
	e.inv = inventory.NewService(data)
	e.cfg = checkout.Config{
		Store: e.store, Carts: e.carts, CartData: data, Pricing: data,
		Gateways: map[string]payment.Gateway{"sandbox": e.gw}, Sealer: e.seal, Log: slog.New(e.log),
		Mail: func(_ context.Context, to, subject, text string) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.mails = append(e.mails, sentMail{to, subject, text})
			return e.mailErr
		},
		PublicURL: "https://shop.example/", ReservationTTL: 10 * time.Minute,
		StockChanged: func(_ context.Context, ids []int64, sold bool) {
			e.mu.Lock()
			e.stocked = append(e.stocked, stockCall{ids, sold})
			e.mu.Unlock()
			e.changed.Add(1)
		},
		Locker: e.locker, Now: cl.Now,
	}
	for _, o := range opts {
		o(&e.cfg)
	}
	e.svc = checkout.New(e.cfg)
	return e
}

func (e *env) seedCatalog() {
	e.t.Helper()
	cs := catalog.NewService(e.db.Catalog(), nil)
	cat := &catalog.Category{Slug: "clothing", Name: "Clothing"}
	if err := cs.CreateCategory(e.ctx, cat); err != nil {
		e.t.Fatal(err)
	}
	zar := func(a int64) ocean.Money { return ocean.Money{Amount: a, Currency: "ZAR"} }
	p := &catalog.Product{Slug: "tee", Name: "Tee", CategoryID: cat.ID,
		Options: []catalog.Option{{Name: "size", Values: []string{"M", "L"}}},
		Variants: []catalog.Variant{
			{SKU: "TEE-M", Options: map[string]string{"size": "M"}, Price: zar(20000), Stock: 10},
			{SKU: "TEE-L", Options: map[string]string{"size": "L"}, Price: zar(5000), Stock: 3},
		}}
	if err := cs.CreateProduct(e.ctx, p); err != nil {
		e.t.Fatal(err)
	}
	e.tee, e.cap = p.Variants[0].ID, p.Variants[1].ID
	free := int64(100000)
	for _, m := range []pricing.ShippingMethod{
		{Code: "standard", Name: "Standard delivery", Country: "ZA", Price: zar(6000), FreeAbove: &free, Position: 1},
		{Code: "collect", Name: "Collect in store", Country: "ZA", Price: zar(0), Position: 2},
		{Code: "international", Name: "Courier", Country: "*", Price: zar(45000), Position: 3},
	} {
		if err := e.db.Commerce().CreateShippingMethod(e.ctx, &m); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := e.db.Commerce().SetTaxRate(e.ctx, pricing.TaxRate{Country: "ZA", Name: "VAT 15%", RateBP: 1500}); err != nil {
		e.t.Fatal(err)
	}
	// These tests price tax on top of the prices (the shop's settings say
	// whether prices include it).
	st, err := e.db.Commerce().Settings(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	st.PricesIncludeTax = false
	if _, err := e.db.Commerce().UpdateSettings(e.ctx, *st, pricing.Actor{}); err != nil {
		e.t.Fatal(err)
	}
}

// newCart returns a guest (userID 0) or shopper cart holding qty of variant.
func (e *env) newCart(userID, variant int64, qty int) string {
	e.t.Helper()
	v, err := e.carts.Create(e.ctx, userID)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.carts.Add(e.ctx, v.ID, userID, variant, qty); err != nil {
		e.t.Fatal(err)
	}
	return v.ID
}

// user adds a shopper and returns the id.
func (e *env) user(email string) int64 {
	e.t.Helper()
	now := time.Now().UTC()
	u := &account.User{Email: email, Name: "Shopper", Role: "customer", CreatedAt: now, UpdatedAt: now}
	if err := e.db.Accounts().CreateUser(e.ctx, u); err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

var keys atomic.Int64

// request is a valid checkout of cartID with a new idempotency key.
func (e *env) request(cartID string, userID int64, token string) checkout.Request {
	return checkout.Request{
		CartID: cartID, UserID: userID, IdempotencyKey: fmt.Sprintf("key-%08d", keys.Add(1)), Email: "ann@example.com",
		Address:        ocean.Address{Name: "Ann Buyer", Line1: "1 Long Street", Line2: "Flat 2", City: "Cape Town", PostalCode: "8001", Country: "ZA"},
		ShippingMethod: "standard", Gateway: "sandbox", Token: token,
	}
}

func (e *env) stock(variant int64) int {
	e.t.Helper()
	vs, err := e.data.Variants(e.ctx, []int64{variant})
	if err != nil {
		e.t.Fatal(err)
	}
	return vs[variant].Stock
}

func (e *env) order(id int64) *order.Order {
	e.t.Helper()
	o, err := e.data.Order(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// rows lists the order rows as the store has them, newest first: paid
// orders and the checkouts that never became one (which the service's
// lists leave out).
func (e *env) rows(f order.Filter) []order.Order {
	e.t.Helper()
	f.Limit = 50
	os, err := e.data.Orders(e.ctx, f)
	if err != nil {
		e.t.Fatal(err)
	}
	return os
}

// attempts lists the payment attempts of an order's checkout.
func (e *env) attempts(o *order.Order) []order.Attempt {
	e.t.Helper()
	as, err := e.svc.Attempts(e.ctx, o)
	if err != nil {
		e.t.Fatal(err)
	}
	return as
}

func (e *env) cartStatus(id string) string {
	e.t.Helper()
	c, err := e.data.Cart(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Status
}

// auth is the sandbox's record of an order's payment.
func (e *env) auth(o *order.Order) payment.Authorization {
	e.t.Helper()
	a, err := e.sb.Lookup(e.ctx, o.PaymentRef)
	if err != nil {
		e.t.Fatalf("gateway has no payment for %s: %v", o.Number(), err)
	}
	return a
}

// paid checks out a new cart of qty tees with a good card and returns the
// paid, captured order.
func (e *env) paid(qty int) *order.Order {
	e.t.Helper()
	o, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, qty), 0, "tok_visa"))
	if err != nil {
		e.t.Fatal(err)
	}
	if o.Status != order.Paid || o.PaymentStatus != order.PaymentCaptured {
		e.t.Fatalf("order %s is %s/%s, want paid/captured", o.Number(), o.Status, o.PaymentStatus)
	}
	return o
}

func (e *env) sentMails() []sentMail {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sentMail(nil), e.mails...)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := ocean.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}
