package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/api"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/ratelimit"
	"github.com/oceanshop/ocean/internal/secret"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
	"github.com/oceanshop/ocean/internal/throttle"
	"github.com/oceanshop/ocean/internal/token"
)

const pw = "correct horse battery staple"

// apiShop is the account API over a real SQLite database, behind the same
// middleware the server uses.
type apiShop struct {
	srv *httptest.Server
	svc *account.Service
	box *mail.Mailbox
}

func newAPIShop(t *testing.T, trusted []netip.Prefix) *apiShop {
	t.Helper()
	return newAPIShopWith(t, trusted, nil)
}

// newAPIShopWith lets start configure and start the server (nil: TLS with
// httptest's defaults).
func newAPIShopWith(t *testing.T, trusted []netip.Prefix, start func(*httptest.Server)) *apiShop {
	t.Helper()
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
	box := mail.NewMailbox(db.Mailbox(), time.Now)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := account.NewService(account.Config{
		Store: db.Accounts(), Keys: keys, Tokens: signer,
		SignInLimit: throttle.NewLocal(throttle.SignIn(), time.Now),
		ResetLimit:  throttle.NewLocal(throttle.SignIn(), time.Now),
		Mail: func(ctx context.Context, to, subject, text string) error {
			return box.Send(ctx, mail.Message{To: to, Subject: subject, Text: text})
		},
		BaseURL: "https://shop.test",
		Log:     quiet,
	})
	mux := http.NewServeMux()
	(&api.API{Accounts: svc}).Register(mux)
	h := httpx.Chain(mux, httpx.WithRequestID, httpx.WithClientAddr(trusted), httpx.SecurityHeaders, httpx.Recover(quiet, nil),
		httpx.CheckRequest(nil), httpx.LimitBodies(nil))
	srv := httptest.NewUnstartedServer(h)
	if start != nil {
		start(srv)
	} else {
		srv.StartTLS()
	}
	t.Cleanup(srv.Close)
	return &apiShop{srv: srv, svc: svc, box: box}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends a JSON body (a string, sent as is) with the headers given as
// name, value pairs.
func (s *apiShop) call(t *testing.T, method, path, body string, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := reply{status: res.StatusCode, header: res.Header, raw: string(b)}
	_ = json.Unmarshal(b, &out.body)
	return out
}

func (s *apiShop) login(t *testing.T, email, password string, hdr ...string) reply {
	t.Helper()
	return s.call(t, "POST", "/api/v1/auth/login", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password), hdr...)
}

// user creates an account directly through the service and returns an
// access token for it.
func (s *apiShop) user(t *testing.T, email string) string {
	t.Helper()
	if _, err := s.svc.Register(context.Background(), email, pw, "Test", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	r := s.login(t, email, pw)
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", email, r.status, r.raw)
	}
	return r.body["access_token"].(string)
}

// TestLoginThrottleBehindProxy: behind a trusted proxy, one client's failed
// logins lock out that client only; from an untrusted peer X-Forwarded-For
// is ignored, so forging a new one per attempt does not escape.
func TestLoginThrottleBehindProxy(t *testing.T) {
	proxies, err := ratelimit.ParseTrustedProxies("loopback")
	if err != nil {
		t.Fatal(err)
	}
	s := newAPIShop(t, proxies)
	s.user(t, "ada@example.com")
	// Five failures are free, then lockouts double from 1 s; a short one
	// may lapse between attempts on a slow machine, so go on until one
	// lands (15 attempts reach minutes).
	var r reply
	for i := 0; i < 15 && r.status != 429; i++ {
		r = s.login(t, fmt.Sprintf("guess%d@example.com", i), "wrong", "X-Forwarded-For", "203.0.113.9")
	}
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("attacker's 7th failure: %d (Retry-After %q), want 429", r.status, r.header.Get("Retry-After"))
	}
	if r := s.login(t, "ada@example.com", pw, "X-Forwarded-For", "198.51.100.7"); r.status != 200 {
		t.Fatalf("another client behind the proxy: %d %s, want 200", r.status, r.raw)
	}

	direct := newAPIShop(t, nil)
	r = reply{}
	for i := 0; i < 15 && r.status != 429; i++ {
		r = direct.login(t, fmt.Sprintf("guess%d@example.com", i), "wrong", "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
	}
	if r.status != 429 {
		t.Fatalf("forged X-Forwarded-For from an untrusted peer escaped the throttle: %d", r.status)
	}
}

// wantProblem checks a 4xx problem: status, a detail that says what, and
// (when field is set) the field it names.
func wantProblem(t *testing.T, r reply, status int, field, says string) {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %s: %s, want a %d problem", r.status, r.header.Get("Content-Type"), r.raw, status)
	}
	if d, _ := r.body["detail"].(string); !strings.Contains(d, says) {
		t.Errorf("detail %q does not say %q", d, says)
	}
	if field == "" {
		return
	}
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		if m, _ := e.(map[string]any); m["field"] == field {
			return
		}
	}
	t.Errorf("problem does not name %s: %s", field, r.raw)
}

// TestJSONInputRefused: the account API refuses, with a 400 naming the
// problem, bodies it used to accept or quietly bend, and nothing changes.
func TestJSONInputRefused(t *testing.T) {
	s := newAPIShop(t, nil)
	tok := s.user(t, "ada@example.com")
	auth := []string{"Authorization", "Bearer " + tok}

	// Invalid UTF-8 used to become U+FFFD and create such an account.
	r := s.call(t, "POST", "/api/v1/auth/register", "{\"email\":\"bob@example.com\",\"password\":\""+pw+"\",\"name\":\"B\xffb\"}")
	wantProblem(t, r, 400, "name", "UTF-8")
	if _, err := s.svc.SignIn(context.Background(), "bob@example.com", pw, account.Meta{}); err == nil {
		t.Error("the refused registration created an account")
	}
	// A null body is not an empty object.
	wantProblem(t, s.call(t, "PATCH", "/api/v1/me", "null", auth...), 400, "", "null")
	for name, c := range map[string]struct{ body, field, says string }{
		"duplicate key":  {`{"name":"Eve","name":"Ada"}`, "name", "twice"},
		"unknown field":  {`{"name":"Eve","role":"admin"}`, "role", "does not accept"},
		"trailing data":  {`{"name":"Eve"} {"name":"Mallory"}`, "", "after the JSON object"},
		"deep nesting":   {`{"name":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`, "", "levels deep"},
		"huge array":     {`{"name":[` + strings.TrimSuffix(strings.Repeat("1,", 10000), ",") + `]}`, "name", "more than 1000 elements"},
		"lone surrogate": {`{"name":"\ud83d"}`, "name", "UTF-8"},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, s.call(t, "PATCH", "/api/v1/me", c.body, auth...), 400, c.field, c.says)
		})
	}
	if me := s.call(t, "GET", "/api/v1/me", "", auth...); me.body["name"] != "Test" || me.body["role"] != "customer" {
		t.Errorf("a refused PATCH changed the account: %s", me.raw)
	}
	// An unknown country in an address.
	r = s.call(t, "POST", "/api/v1/me/addresses", `{"name":"Ada","line1":"1 Road","city":"Cape Town","country":"UK"}`, auth...)
	wantProblem(t, r, 400, "country", "")
	if r := s.call(t, "POST", "/api/v1/me/addresses", `{"name":"Ada","line1":"1 Road","city":"Cape Town","country":"GB"}`, auth...); r.status != 201 {
		t.Errorf("a GB address: %d %s", r.status, r.raw)
	}
}

// TestListParamsRefused: a list refuses a malformed cursor and a parameter
// it does not take (?before= on a list paged by ?cursor=).
func TestListParamsRefused(t *testing.T) {
	s := newAPIShop(t, nil)
	if _, err := s.svc.CreateAdmin(context.Background(), "boss@example.com", pw, "Boss", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	r := s.login(t, "boss@example.com", pw)
	auth := []string{"Authorization", "Bearer " + r.body["access_token"].(string)}
	for q, field := range map[string]string{"?before=abc": "before", "?before=5": "before", "?cursor=abc": "cursor", "?cursor=-1": "cursor", "?limit=0": "limit"} {
		wantProblem(t, s.call(t, "GET", "/api/v1/admin/users"+q, "", auth...), 400, field, "not valid")
	}
	if r := s.call(t, "GET", "/api/v1/admin/audit?user=1&limit=5", "", auth...); r.status != 200 {
		t.Errorf("audit with its own parameters: %d %s", r.status, r.raw)
	}
}

// TestRegisterSameAnswer: registering a new address and a taken one get
// the same status, headers that matter and body; neither issues tokens;
// the owner of the taken address is mailed and keeps the password.
func TestRegisterSameAnswer(t *testing.T) {
	s := newAPIShop(t, nil)
	s.user(t, "ada@example.com")
	body := func(email, password string) string {
		return fmt.Sprintf(`{"email":%q,"password":%q,"name":"Someone"}`, email, password)
	}
	fresh := s.call(t, "POST", "/api/v1/auth/register", body("new@example.com", pw))
	taken := s.call(t, "POST", "/api/v1/auth/register", body("ada@example.com", "another good passphrase"))
	if fresh.status != 202 || taken.status != 202 || fresh.raw != taken.raw {
		t.Fatalf("new address: %d %s\ntaken address: %d %s", fresh.status, fresh.raw, taken.status, taken.raw)
	}
	for _, r := range []reply{fresh, taken} {
		if strings.Contains(r.raw, "token") && strings.Contains(r.raw, "ort_") || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("register answered %s (Cache-Control %q)", r.raw, r.header.Get("Cache-Control"))
		}
	}
	if r := s.login(t, "new@example.com", pw); r.status != 200 {
		t.Errorf("the new account cannot sign in: %d %s", r.status, r.raw)
	}
	if r := s.login(t, "ada@example.com", "another good passphrase"); r.status != 401 {
		t.Errorf("the second registration's password signs in to the existing account: %d", r.status)
	}
	// Mail goes in the background: wait for both.
	want := map[string]string{"new@example.com": "Your account is ready", "ada@example.com": "You already have an account"}
	deadline := time.Now().Add(10 * time.Second)
	for len(want) > 0 {
		ms, err := s.box.List(context.Background(), 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if want[m.To] == m.Subject {
				delete(want, m.To)
			}
		}
		if len(want) > 0 && time.Now().After(deadline) {
			t.Fatalf("mail not sent: %v", want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Invalid input is still refused, the same for new and taken addresses.
	for _, email := range []string{"ada@example.com", "bob@example.com"} {
		wantProblem(t, s.call(t, "POST", "/api/v1/auth/register", body(email, "short")), 400, "password", "")
	}
}
