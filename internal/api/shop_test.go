package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/api"
	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/payment/sandbox"
	"github.com/oceanshop/ocean/internal/pricing"
	"github.com/oceanshop/ocean/internal/ratelimit"
	rllocal "github.com/oceanshop/ocean/internal/ratelimit/local"
	"github.com/oceanshop/ocean/internal/secret"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
	"github.com/oceanshop/ocean/internal/throttle"
	"github.com/oceanshop/ocean/internal/token"
)

// answered records every (route, status) the route tests saw, so
// TestEveryRoute can check each documented response was exercised.
var answered = struct {
	sync.Mutex
	m map[string]map[int]bool
}{m: map[string]map[int]bool{}}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// record notes the route pattern the mux chooses for a request and the
// status next (the mux, possibly behind a limiter) wrote.
func record(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if !strings.Contains(pattern, " ") {
			return // a catch-all (404, 405), not a route
		}
		answered.Lock()
		defer answered.Unlock()
		if answered.m[pattern] == nil {
			answered.m[pattern] = map[int]bool{}
		}
		answered.m[pattern][sw.status] = true
	})
}

// limitRegistrations is the request rate limit the server puts in front
// of registration (the sign-in class), at 10 a minute per client.
func limitRegistrations(t *testing.T) func(http.Handler) http.Handler {
	l, err := rllocal.New([]ratelimit.Policy{{Name: ratelimit.SignIn, Limit: 10, Window: time.Minute, FailOpen: true}}, rllocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ratelimit.Middleware(l, ratelimit.SignIn, func(r *http.Request) string {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v1/auth/register" {
			return ratelimit.IPKey(httpx.ClientAddr(r))
		}
		return ""
	}, ratelimit.Hooks{Deny: func(w http.ResponseWriter, r *http.Request, _ ratelimit.Decision, _ error) {
		httpx.WriteProblem(w, r, ocean.Errorf(ocean.ERATELIMITED, "Too many requests: try again in a minute."))
	}})
}

// flakyGateway is the sandbox gateway whose network can be cut: every call
// then fails before the gateway acts.
type flakyGateway struct {
	*sandbox.Gateway
	down atomic.Bool
}

func (g *flakyGateway) net() error {
	if g.down.Load() {
		return sandbox.ErrTransport
	}
	return nil
}
func (g *flakyGateway) Authorize(ctx context.Context, r payment.AuthorizeRequest) (payment.Authorization, error) {
	if err := g.net(); err != nil {
		return payment.Authorization{}, err
	}
	return g.Gateway.Authorize(ctx, r)
}
func (g *flakyGateway) Lookup(ctx context.Context, ref string) (payment.Authorization, error) {
	if err := g.net(); err != nil {
		return payment.Authorization{}, err
	}
	return g.Gateway.Lookup(ctx, ref)
}
func (g *flakyGateway) Refund(ctx context.Context, id string, amount int64, ref string) (payment.Authorization, error) {
	if err := g.net(); err != nil {
		return payment.Authorization{}, err
	}
	return g.Gateway.Refund(ctx, id, amount, ref)
}

// shop is the whole API over a real SQLite database, wired as the server
// wires it, behind the same middleware.
type shop struct {
	t        *testing.T
	srv      *httptest.Server
	accounts *account.Service
	catalog  *catalog.Service
	checkout *checkout.Service
	box      *mail.Mailbox
	gw       *flakyGateway
	ready    atomic.Value // error
	tee, cap int64        // variant ids: TEE-M (ZAR 200.00, 10 in stock), TEE-L (ZAR 50.00, 3)
	product  int64
	admin    string // an admin's access token
	db       *sqldb.DB
}

const password = "correct horse battery staple"

func newShop(t *testing.T) *shop {
	t.Helper()
	ctx := context.Background()
	db := sqlitetest.Open(t)
	keys, err := secret.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	k, err := token.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := token.NewSigner("https://shop.test", "ocean", []token.Key{k}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	box := mail.NewMailbox(db.Mailbox(), time.Now)
	send := func(ctx context.Context, to, subject, text string) error {
		return box.Send(ctx, mail.Message{To: to, Subject: subject, Text: text})
	}
	accounts := account.NewService(account.Config{
		Store: db.Accounts(), Keys: keys, Tokens: signer,
		SignInLimit: throttle.NewLocal(throttle.SignIn(), time.Now),
		ResetLimit:  throttle.NewLocal(throttle.SignIn(), time.Now),
		Mail:        send, BaseURL: "https://shop.test", Log: quiet,
	})
	cat := catalog.NewService(db.Catalog(), nil)
	store := db.Commerce()
	carts := cart.NewService(store, store, false)
	sb, err := sandbox.New(db.SandboxGateway(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gw := &flakyGateway{Gateway: sb}
	co := checkout.New(checkout.Config{Store: store, Carts: carts, CartData: store, Pricing: store,
		Gateways: map[string]payment.Gateway{"sandbox": gw}, Sealer: accounts, Log: quiet, Mail: send, PublicURL: "https://shop.test"})
	accounts.SetOrderExport(co.ExportOrders)
	s := &shop{t: t, accounts: accounts, catalog: cat, checkout: co, box: box, gw: gw}
	a := &api.API{Catalog: cat, Accounts: accounts, Carts: carts, Checkout: co, Inventory: inventory.NewService(store),
		Media: media.NewService(db.Media(), db.Media(), 1),
		Ready: func(context.Context) error {
			err, _ := s.ready.Load().(error)
			return err
		}}
	mux := http.NewServeMux()
	a.Register(mux)
	h := httpx.Chain(record(mux, limitRegistrations(t)(mux)), httpx.WithRequestID, httpx.WithClientAddr(nil), httpx.SecurityHeaders, httpx.Recover(quiet, nil), httpx.CheckRequest(nil))
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)

	// A catalog: one product in a subcategory, shipping and tax for ZA.
	parent := &catalog.Category{Slug: "clothing", Name: "Clothing"}
	if err := cat.CreateCategory(ctx, parent); err != nil {
		t.Fatal(err)
	}
	sub := &catalog.Category{Slug: "tees", Name: "Tees", ParentID: parent.ID}
	if err := cat.CreateCategory(ctx, sub); err != nil {
		t.Fatal(err)
	}
	zar := func(a int64) ocean.Money { return ocean.Money{Amount: a, Currency: "ZAR"} }
	p := &catalog.Product{Slug: "tee", Name: "Tee", Description: "A cotton tee.", CategoryID: sub.ID,
		Options: []catalog.Option{{Name: "size", Values: []string{"M", "L"}}},
		Variants: []catalog.Variant{
			{SKU: "TEE-M", Options: map[string]string{"size": "M"}, Price: zar(20000), Stock: 10},
			{SKU: "TEE-L", Options: map[string]string{"size": "L"}, Price: zar(5000), Stock: 3},
		}}
	if err := cat.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	other := &catalog.Product{Slug: "cap", Name: "Cap", CategoryID: parent.ID, Variants: []catalog.Variant{{SKU: "CAP", Price: zar(9000), Stock: 0}}}
	if err := cat.CreateProduct(ctx, other); err != nil {
		t.Fatal(err)
	}
	s.product, s.tee, s.cap = p.ID, p.Variants[0].ID, p.Variants[1].ID
	if err := store.CreateShippingMethod(ctx, &pricing.ShippingMethod{Code: "standard", Name: "Standard", Country: "ZA", Price: zar(6000), Position: 1}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetTaxRate(ctx, pricing.TaxRate{Country: "ZA", Name: "VAT 15%", RateBP: 1500}); err != nil {
		t.Fatal(err)
	}
	s.db = db
	s.admin = s.user("boss@example.com", account.RoleAdmin)
	return s
}

// passwordHash is the password hashed once for the whole run: most tests
// need accounts, not the cost of hashing (far more under -race).
var passwordHash = sync.OnceValue(func() string {
	h, err := account.HashPassword(password)
	if err != nil {
		panic(err)
	}
	return h
})

// user adds an account with the test password straight to the store and
// returns an access token for it (the auth routes are tested on their own).
func (s *shop) user(email, role string) string {
	s.t.Helper()
	now := time.Now().UTC()
	u := &account.User{Email: email, Name: "Shopper", Role: role, PasswordHash: passwordHash(), CreatedAt: now, UpdatedAt: now}
	if err := s.db.Accounts().CreateUser(context.Background(), u); err != nil {
		s.t.Fatal(err)
	}
	tk, err := s.accounts.IssueTokens(context.Background(), u)
	if err != nil {
		s.t.Fatal(err)
	}
	return tk.Access
}

// res is an answer: status, headers and the JSON body (when it is one).
type res struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r res) str(key string) string { s, _ := r.body[key].(string); return s }

func (r res) items() []any { l, _ := r.body["items"].([]any); return l }

// do sends body (JSON text, or "" for none) with header name/value pairs.
func (s *shop) do(method, path, body string, hdr ...string) res {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	out := res{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &out.body)
	return out
}

// want checks the status; for an error it also checks a problem document
// whose detail contains says.
func (s *shop) want(r res, status int, says string) res {
	s.t.Helper()
	if r.status != status {
		s.t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if status >= 400 {
		if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
			s.t.Fatalf("a %d answered with %s: %s", status, ct, r.raw)
		}
		if d := r.str("detail"); !strings.Contains(d, says) {
			s.t.Fatalf("detail %q does not say %q", d, says)
		}
	}
	return r
}

// bearer returns the Authorization header pair for tok.
func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// customer adds a shopper and returns an access token.
func (s *shop) customer(email string) string { return s.user(email, account.RoleCustomer) }

// cart creates a cart (for tok's shopper, or a guest) holding qty tees.
func (s *shop) cart(qty int, hdr ...string) string {
	s.t.Helper()
	id := s.want(s.do("POST", "/api/v1/carts", "", hdr...), 201, "").str("id")
	s.want(s.do("POST", "/api/v1/carts/"+id+"/items", fmt.Sprintf(`{"variant_id":"%d","quantity":%d}`, s.tee, qty), hdr...), 200, "")
	return id
}

var keyN atomic.Int64

func newKey() string { return fmt.Sprintf("key-%010d", keyN.Add(1)) }

func checkoutBody(token string) string {
	return `{"email":"ann@example.com","shipping_address":{"name":"Ann","line1":"1 Long Street","city":"Cape Town","postal_code":"8001","country":"ZA"},` +
		`"shipping_method":"standard","payment":{"gateway":"sandbox","token":"` + token + `"}}`
}

// order checks out a new cart of one tee and returns the order id.
func (s *shop) order(hdr ...string) string {
	s.t.Helper()
	id := s.cart(1, hdr...)
	r := s.want(s.do("POST", "/api/v1/carts/"+id+"/checkout", checkoutBody("tok_visa"), append([]string{"Idempotency-Key", newKey()}, hdr...)...), 201, "")
	return r.str("id")
}

// resetToken waits for the password-reset mail (it is sent in the
// background) and returns its token.
func (s *shop) resetToken() string {
	s.t.Helper()
	// Mail goes in the background: wait for it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ms, err := s.box.List(context.Background(), 50)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, m := range ms {
			if i := strings.Index(m.Text, "reset?token="); i >= 0 {
				tok := m.Text[i+len("reset?token="):]
				if j := strings.IndexAny(tok, " \n"); j >= 0 {
					tok = tok[:j]
				}
				if u, err := url.QueryUnescape(tok); err == nil {
					return u
				}
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatal("no reset mail")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var errNotReady = &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "database unreachable", Err: errors.New("dial tcp: connection refused")}
