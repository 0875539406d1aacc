package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/ratelimit"
	"github.com/oceanshop/ocean/internal/secret"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
	"github.com/oceanshop/ocean/internal/throttle"
	"github.com/oceanshop/ocean/internal/token"
	"github.com/oceanshop/ocean/internal/web"
)

// accShop is a storefront with accounts over a real SQLite database,
// served over TLS (the __Host- cookies need https).
type accShop struct {
	srv *httptest.Server
	svc *account.Service
	box *mail.Mailbox
}

func newAccShop(t *testing.T) *accShop {
	t.Helper()
	return newAccShopBehind(t, nil)
}

// newAccShopBehind is newAccShop with OCEAN_TRUSTED_PROXIES set to trusted.
func newAccShopBehind(t *testing.T, trusted []netip.Prefix) *accShop {
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
	w, err := web.New(web.Config{Catalog: catalog.NewService(db.Catalog(), nil), Log: quiet, Accounts: svc, Mailbox: box})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	w.Register(mux)
	h := httpx.Chain(mux, httpx.WithRequestID, httpx.WithClientAddr(trusted), httpx.SecurityHeaders, httpx.CheckRequest(w.ErrorPage), httpx.Recover(quiet, w.ErrorPage))
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return &accShop{srv: srv, svc: svc, box: box}
}

// browser is one person's browser: its own cookie jar.
type browser struct {
	t        *testing.T
	s        *accShop
	c        *http.Client
	noFollow bool
	xff      string // X-Forwarded-For on every request, as a proxy in front would add
	hops     []int  // the statuses of the redirects the last request followed
}

func (s *accShop) browser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, s: s}
	b.c = &http.Client{Transport: s.srv.Client().Transport, Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.Response != nil {
			b.hops = append(b.hops, req.Response.StatusCode)
		}
		if b.noFollow {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// visit is what the browser ended up showing.
type visit struct {
	response
	url     *url.URL // after redirects
	cookies []*http.Cookie
	method  string // of the request sent
	hops    []int  // the redirects' statuses on the way
}

// refused reports whether a form post was refused the way a reload cannot
// resend: answered 303, to a GET page shown with 200.
func (v visit) refused() bool {
	return v.method == http.MethodPost && len(v.hops) > 0 && v.hops[0] == http.StatusSeeOther &&
		v.status == http.StatusOK && v.url != nil
}

// wantRefused checks that a form post was refused by a redirect to a GET
// page (not answered on the POST's address) that passes the page rules,
// shows the refusal in a focused summary or at a field, and says texts.
// wantAnswer is wantRefused for status 303 (a refused form), wantPage for
// any other.
func wantAnswer(t *testing.T, v visit, status int, texts ...string) {
	t.Helper()
	if status == http.StatusSeeOther {
		wantRefused(t, v, texts...)
		return
	}
	wantPage(t, v, status, texts...)
}

func wantRefused(t *testing.T, v visit, texts ...string) {
	t.Helper()
	if !v.refused() {
		t.Fatalf("%s %s: status %d after redirects %v, want 303 then 200\n%s", v.method, v.url, v.status, v.hops, v.body)
	}
	if !strings.Contains(v.body, `autofocus`) && !strings.Contains(v.body, `aria-invalid="true"`) {
		t.Errorf("%s: the refusal has no focused summary and no invalid field\n%s", v.url, v.body)
	}
	wantPage(t, v, http.StatusOK, texts...)
}

func (b *browser) do(req *http.Request) visit {
	b.t.Helper()
	if b.xff != "" {
		req.Header.Set("X-Forwarded-For", b.xff)
	}
	b.hops = nil
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return visit{response: response{status: res.StatusCode, header: res.Header, body: string(body)}, url: res.Request.URL, cookies: res.Cookies(),
		method: req.Method, hops: b.hops}
}

func (b *browser) get(path string) visit {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.s.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form as a browser on our page would: with our Origin.
func (b *browser) post(path string, form url.Values, hdr ...string) visit {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.s.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.s.srv.URL)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	return b.do(req)
}

var reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf opens a page and returns its forms' token.
func (b *browser) csrf(page string) string {
	b.t.Helper()
	v := b.get(page)
	m := reCSRF.FindStringSubmatch(v.body)
	if m == nil {
		b.t.Fatalf("GET %s (%d, at %s): no csrf field\n%s", page, v.status, v.url, v.body)
	}
	return html.UnescapeString(m[1])
}

// submit opens page and sends form to action with the page's token.
func (b *browser) submit(page, action string, form url.Values) visit {
	b.t.Helper()
	form.Set("csrf", b.csrf(page))
	return b.post(action, form)
}

// signUp sends the registration form and returns the page it leads to.
func (b *browser) signUp(email, name, password string) visit {
	b.t.Helper()
	return b.submit("/account/register", "/account/register", url.Values{"email": {email}, "name": {name}, "password": {password}})
}

// register creates an account and signs in with it.
func (b *browser) register(email, name, password string) visit {
	b.t.Helper()
	if v := b.signUp(email, name, password); v.url.Path != "/account/register" || v.url.Query().Get("sent") != "1" {
		b.t.Fatalf("register %s: at %s (%d)\n%s", email, v.url, v.status, v.body)
	}
	return b.signIn(email, password)
}

// waitMail waits for a message to to whose subject contains subject (mail
// goes in the background) and returns it.
func waitMail(t *testing.T, box *mail.Mailbox, to, subject string) mail.Stored {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range mustList(t, box) {
			if m.To == to && strings.Contains(m.Subject, subject) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %q to %s; have %+v", subject, to, mustList(t, box))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *browser) signIn(email, password string) visit {
	b.t.Helper()
	return b.submit("/account/signin", "/account/signin", url.Values{"email": {email}, "password": {password}})
}

func (b *browser) signOut() visit {
	b.t.Helper()
	return b.submit("/account", "/account/signout", url.Values{})
}

// sessionCookie is the session cookie the jar holds, "" if none.
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.s.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "__Host-ocean_session" {
			return c.Value
		}
	}
	return ""
}

func wantAt(t *testing.T, v visit, path string) {
	t.Helper()
	if v.url.Path != path {
		t.Fatalf("at %s (%d), want %s\n%s", v.url, v.status, path, v.body)
	}
}

func wantHTML(t *testing.T, v visit, status int) {
	t.Helper()
	if v.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", v.url, v.status, status, v.body)
	}
	checkHTML(t, v.url.String(), v.response)
}

const pw = "correct horse battery staple"

func TestRegisterSignOutSignIn(t *testing.T) {
	s := newAccShop(t)
	b := s.browser(t)
	for _, p := range []string{"/account/register", "/account/signin", "/account/forgot", "/account/reset?token=x"} {
		v := b.get(p)
		wantHTML(t, v, 200)
		if v.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", p, v.header.Get("Cache-Control"))
		}
	}
	if v := b.get("/"); !strings.Contains(v.body, `href="/account/signin"`) {
		t.Error("signed-out header has no Sign in link")
	}

	v := b.signUp("ada@example.com", "Ada Lovelace", pw)
	wantAt(t, v, "/account/register")
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, "We sent a message to that address") || b.sessionCookie() != "" {
		t.Fatalf("page after register (must not sign in: an existing address cannot be):\n%s", v.body)
	}
	if m := waitMail(t, s.box, "ada@example.com", "Your account is ready"); !strings.Contains(m.Text, "/account/signin") {
		t.Errorf("welcome mail:\n%s", m.Text)
	}
	v = b.signIn("ada@example.com", pw)
	wantAt(t, v, "/account")
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, "Hello, Ada Lovelace") {
		t.Fatalf("account page after sign-in:\n%s", v.body)
	}
	if v := b.get("/"); !strings.Contains(v.body, `href="/account"`) || strings.Contains(v.body, `href="/admin"`) {
		t.Error("signed-in header should link the account and not the admin")
	}
	wantHTML(t, b.get("/account/orders"), 200)
	if v := b.get("/account/orders"); !strings.Contains(v.body, "No orders yet") {
		t.Error("orders page lacks its empty state")
	}

	// The same address again: the very same answer as for a new one (the
	// page tells no one which addresses have accounts); the owner is
	// mailed instead, and the account is unchanged.
	other := s.browser(t)
	again := other.signUp("ada@example.com", "Ada Again", "another good passphrase")
	wantAt(t, again, "/account/register")
	if again.status != 200 || !strings.Contains(again.body, "We sent a message to that address") || other.sessionCookie() != "" {
		t.Errorf("register of a taken address differs from a new one (%d):\n%s", again.status, again.body)
	}
	if m := waitMail(t, s.box, "ada@example.com", "You already have an account"); !strings.Contains(m.Text, "/account/forgot") || !strings.Contains(m.Text, "/account/signin") {
		t.Errorf("notice to the owner:\n%s", m.Text)
	}
	if v := other.signIn("ada@example.com", "another good passphrase"); !v.refused() {
		t.Errorf("the second registration's password signs in: %d", v.status)
	}
	// A weak password: the rule is shown next to the field.
	v = other.signUp("bob@example.com", "Bob", "short")
	wantRefused(t, v)
	if !strings.Contains(v.body, "too short") || !strings.Contains(v.body, `aria-invalid="true"`) || !strings.Contains(v.body, `value="bob@example.com"`) {
		t.Errorf("weak password page:\n%s", v.body)
	}

	v = b.signOut()
	wantAt(t, v, "/account/signin")
	if !strings.Contains(v.body, "You are signed out") {
		t.Error("no signed-out confirmation")
	}
	v = b.get("/account")
	wantAt(t, v, "/account/signin")
	if v.url.Query().Get("next") != "/account" {
		t.Errorf("sign-in redirect %s lacks next=/account", v.url)
	}

	v = b.signIn("ada@example.com", "wrong password!")
	wantRefused(t, v)
	if !strings.Contains(v.body, "The email address or password is wrong.") || !strings.Contains(v.body, `value="ada@example.com"`) || strings.Contains(v.body, "wrong password!") {
		t.Errorf("wrong password page:\n%s", v.body)
	}
	// An unknown account gets the very same message.
	if v := b.signIn("nobody@example.com", pw); !v.refused() || !strings.Contains(v.body, "The email address or password is wrong.") {
		t.Errorf("unknown account: %d", v.status)
	}
	v = b.signIn("ada@example.com", pw)
	wantAt(t, v, "/account")
	if !strings.Contains(v.body, "Hello, Ada Lovelace") {
		t.Error("not signed in")
	}
	// Signed in, the sign-in page goes straight to the account.
	wantAt(t, b.get("/account/signin"), "/account")
}

func TestSessionCookie(t *testing.T) {
	s := newAccShop(t)
	b := s.browser(t)
	b.register("ada@example.com", "Ada", pw)
	first := b.sessionCookie()
	if first == "" {
		t.Fatal("no session cookie after register")
	}

	// Signing in again (while signed in) gives a new id and ends the old one.
	b.noFollow = true
	v := b.post("/account/signin", url.Values{"email": {"ada@example.com"}, "password": {pw}, "csrf": {b.csrf("/account")}})
	b.noFollow = false
	if v.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d\n%s", v.status, v.body)
	}
	var c *http.Cookie
	for _, ck := range v.cookies {
		if ck.Name == "__Host-ocean_session" {
			c = ck
		}
	}
	if c == nil {
		t.Fatalf("sign-in set no session cookie: %v", v.header["Set-Cookie"])
	}
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("session cookie attributes: %s", c)
	}
	if c.MaxAge <= 0 || c.MaxAge > int(account.CustomerAbsolute.Seconds()) {
		t.Errorf("session cookie Max-Age %d, want the session's absolute lifetime", c.MaxAge)
	}
	second := b.sessionCookie()
	if second == first || second != c.Value {
		t.Fatalf("session id did not change on sign-in")
	}
	// The old cookie is refused and cleared.
	old := s.browser(t)
	u, _ := url.Parse(s.srv.URL)
	old.c.Jar.SetCookies(u, []*http.Cookie{{Name: "__Host-ocean_session", Value: first, Path: "/", Secure: true}})
	wantAt(t, old.get("/account"), "/account/signin")
	if old.sessionCookie() != "" {
		t.Error("a refused cookie was not cleared")
	}

	// After sign-out the last cookie is dead too.
	b.signOut()
	if b.sessionCookie() != "" {
		t.Error("sign-out did not clear the cookie")
	}
	old.c.Jar.SetCookies(u, []*http.Cookie{{Name: "__Host-ocean_session", Value: second, Path: "/", Secure: true}})
	wantAt(t, old.get("/account"), "/account/signin")
	// And a third sign-in gets yet another id.
	b.signIn("ada@example.com", pw)
	if third := b.sessionCookie(); third == "" || third == first || third == second {
		t.Error("sign-in reused a session id")
	}
}

func TestCSRF(t *testing.T) {
	s := newAccShop(t)
	b := s.browser(t)
	b.register("ada@example.com", "Ada", pw)
	tok := b.csrf("/account")
	name := func() string {
		t.Helper()
		st, u, err := s.svc.SessionUser(context.Background(), b.sessionCookie())
		if err != nil || st == nil {
			t.Fatal(err)
		}
		return u.Name
	}
	good := url.Values{"name": {"Mallory"}, "email": {"ada@example.com"}, "phone": {""}}
	wrong := "x" + tok[1:]
	if tok[0] == 'x' {
		wrong = "y" + tok[1:] // a token that starts with x would make "x"+tok[1:] the right one
	}
	for _, c := range []struct {
		what string
		form url.Values
		hdr  []string
	}{
		{"no token", good, nil},
		{"wrong token", withCSRF(good, wrong), nil},
		{"foreign origin", withCSRF(good, tok), []string{"Origin", "https://evil.example"}},
		{"null origin", withCSRF(good, tok), []string{"Origin", "null"}},
		{"plain-http origin", withCSRF(good, tok), []string{"Origin", strings.Replace(s.srv.URL, "https:", "http:", 1)}},
		{"cross-site fetch", withCSRF(good, tok), []string{"Origin", "", "Sec-Fetch-Site", "cross-site"}},
	} {
		v := b.post("/account/profile", c.form, c.hdr...)
		if v.status != 403 || !strings.Contains(v.body, "This form expired, please try again") {
			t.Errorf("%s: %d\n%s", c.what, v.status, v.body)
		}
		checkHTML(t, c.what, v.response)
		if n := name(); n != "Ada" {
			t.Fatalf("%s: the name changed to %q", c.what, n)
		}
	}
	// Same origin, or no Origin at all (older browsers): accepted.
	if v := b.post("/account/profile", withCSRF(good, tok), "Origin", "", "Sec-Fetch-Site", "same-origin"); v.status != 200 || name() != "Mallory" {
		t.Fatalf("genuine form refused: %d", v.status)
	}
	// Another person's token is no good for this session.
	other := s.browser(t)
	other.register("eve@example.com", "Eve", pw)
	if v := b.post("/account/profile", withCSRF(url.Values{"name": {"Eve's"}, "email": {"ada@example.com"}}, other.csrf("/account"))); v.status != 403 {
		t.Errorf("another session's token: %d", v.status)
	}
	// Sign-out is a form too.
	if v := b.post("/account/signout", url.Values{}); v.status != 403 || b.sessionCookie() == "" {
		t.Errorf("sign-out without token: %d", v.status)
	}

	// Signed out: the double-submit cookie. Without the form's token, or
	// without the cookie, nothing happens.
	anon := s.browser(t)
	if v := anon.post("/account/register", url.Values{"email": {"zed@example.com"}, "name": {"Zed"}, "password": {pw}}); v.status != 403 {
		t.Errorf("register without token: %d", v.status)
	}
	fresh := s.browser(t)
	stolen := anon.csrf("/account/register") // a token from another browser
	if v := fresh.post("/account/register", url.Values{"email": {"zed@example.com"}, "name": {"Zed"}, "password": {pw}, "csrf": {stolen}}); v.status != 403 || fresh.sessionCookie() != "" {
		t.Errorf("register with a token but no cookie: %d", v.status)
	}
	if v := anon.post("/account/signin", url.Values{"email": {"ada@example.com"}, "password": {pw}}); v.status != 403 || anon.sessionCookie() != "" {
		t.Errorf("sign-in without token: %d", v.status)
	}
	if _, err := s.svc.SignIn(context.Background(), "zed@example.com", pw, account.Meta{IP: "192.0.2.1"}); err == nil {
		t.Error("an account was created by a forged form")
	}
	// The double-submit cookie's attributes.
	var found bool
	for _, c := range s.browser(t).get("/account/signin").cookies {
		if c.Name == "__Host-ocean_csrf" {
			found = true
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" {
				t.Errorf("csrf cookie attributes: %s", c)
			}
		}
	}
	if !found {
		t.Error("the sign-in form set no csrf cookie")
	}
}

func withCSRF(f url.Values, tok string) url.Values {
	g := url.Values{}
	for k, v := range f {
		g[k] = v
	}
	g.Set("csrf", tok)
	return g
}

var reLink = regexp.MustCompile(`https://shop\.test(/account/reset\?token=[A-Za-z0-9_-]+)`)

func TestForgotAndReset(t *testing.T) {
	s := newAccShop(t)
	b := s.browser(t)
	b.register("ada@example.com", "Ada", pw)
	b.signOut()

	answers := map[string]string{}
	for _, email := range []string{"nobody@example.com", "ada@example.com"} {
		v := b.submit("/account/forgot", "/account/forgot", url.Values{"email": {email}})
		wantHTML(t, v, 200)
		if !strings.Contains(v.body, "If an account exists for that address") {
			t.Fatalf("forgot answer for %s:\n%s", email, v.body)
		}
		answers[email] = v.url.String()
	}
	if answers["nobody@example.com"] != answers["ada@example.com"] {
		t.Errorf("the answer differs: %v", answers)
	}

	// The mail is sent in the background.
	msg := waitMail(t, s.box, "ada@example.com", "Reset your password")
	waitMail(t, s.box, "ada@example.com", "Your account is ready")
	if n := len(mustList(t, s.box)); n != 2 {
		t.Fatalf("mails: %+v, want the welcome and one reset", mustList(t, s.box))
	}
	m := reLink.FindStringSubmatch(msg.Text)
	if m == nil {
		t.Fatalf("no reset link in:\n%s", msg.Text)
	}
	v := b.get(m[1])
	wantHTML(t, v, 200)
	if v.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("reset page Referrer-Policy %q", v.header.Get("Referrer-Policy"))
	}
	tok := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(v.body)
	if tok == nil {
		t.Fatalf("no token field:\n%s", v.body)
	}
	newPW := "a new and different passphrase"
	// A weak password first: the form comes back with the rule, token kept.
	v = b.submit(m[1], "/account/reset", url.Values{"token": {tok[1]}, "password": {"short"}})
	wantRefused(t, v)
	if !strings.Contains(v.body, "too short") || !strings.Contains(v.body, `name="token"`) {
		t.Errorf("weak reset password page:\n%s", v.body)
	}
	v = b.submit(m[1], "/account/reset", url.Values{"token": {tok[1]}, "password": {newPW}})
	wantAt(t, v, "/account/signin")
	if !strings.Contains(v.body, "Sign in with your new password") {
		t.Error("no confirmation after reset")
	}
	// Once only.
	v = b.submit(m[1], "/account/reset", url.Values{"token": {tok[1]}, "password": {"yet another passphrase"}})
	wantRefused(t, v)
	if !strings.Contains(v.body, "not valid any more") || !strings.Contains(v.body, `href="/account/forgot"`) {
		t.Errorf("reused reset link:\n%s", v.body)
	}
	if v := b.signIn("ada@example.com", pw); !v.refused() {
		t.Errorf("old password still works: %d", v.status)
	}
	wantAt(t, b.signIn("ada@example.com", newPW), "/account")
}

func mustList(t *testing.T, box *mail.Mailbox) []mail.Stored {
	t.Helper()
	ms, err := box.List(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

var reDeleteAddr = regexp.MustCompile(`action="/account/addresses/(\d+)/delete"`)

func TestAddressesExportAndDelete(t *testing.T) {
	s := newAccShop(t)
	ada, eve := s.browser(t), s.browser(t)
	ada.register("ada@example.com", "Ada", pw)
	eve.register("eve@example.com", "Eve", pw)

	addr := url.Values{"name": {"Ada Lovelace"}, "line1": {"12 Analytical Street"}, "city": {"Cape Town"}, "postal_code": {"8001"}, "country": {"za"}, "phone": {"+27 21 555 0100"}}
	v := ada.submit("/account", "/account/addresses", addr)
	wantAt(t, v, "/account")
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, "12 Analytical Street") || !strings.Contains(v.body, "Default") {
		t.Fatalf("address not shown:\n%s", v.body)
	}
	adaAddr := reDeleteAddr.FindStringSubmatch(v.body)[1]
	// A bad address: field messages and what was typed.
	v = ada.submit("/account", "/account/addresses", url.Values{"name": {"Ada"}, "line1": {"1 Road"}, "city": {""}, "country": {"Nowhere"}})
	wantRefused(t, v)
	if !strings.Contains(v.body, "City is required") || !strings.Contains(v.body, "two-letter") || !strings.Contains(v.body, `value="1 Road"`) {
		t.Errorf("invalid address page:\n%s", v.body)
	}
	// One country list everywhere: the address book offers a select of the
	// countries the shop ships to, and refuses any other with a message.
	if !strings.Contains(v.body, `<select id="address-country" name="country"`) || !strings.Contains(v.body, `<option value="NA">Namibia</option>`) {
		t.Errorf("address form has no country select:\n%s", v.body)
	}
	v = ada.submit("/account", "/account/addresses", url.Values{"name": {"Ada"}, "line1": {"1 Rua"}, "city": {"Rio"}, "country": {"BR"}})
	wantRefused(t, v)
	if !strings.Contains(v.body, "We do not ship there") || !strings.Contains(v.body, `value="1 Rua"`) || strings.Contains(v.body, "Rua</") {
		t.Errorf("address in a country the shop does not ship to:\n%s", v.body)
	}
	// Phone on the profile.
	v = ada.submit("/account", "/account/profile", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "phone": {"+27 82 555 0199"}})
	wantAt(t, v, "/account")
	if !strings.Contains(v.body, `value="&#43;27 82 555 0199"`) && !strings.Contains(v.body, `value="+27 82 555 0199"`) {
		t.Errorf("phone not shown:\n%s", v.body)
	}

	// Eve cannot delete Ada's address: 404, and it is still there.
	v = eve.submit("/account", "/account/addresses/"+adaAddr+"/delete", url.Values{})
	if v.status != 404 {
		t.Errorf("deleting another account's address: %d", v.status)
	}
	if !strings.Contains(ada.get("/account").body, "12 Analytical Street") {
		t.Fatal("Eve deleted Ada's address")
	}
	if strings.Contains(eve.get("/account").body, "Analytical") {
		t.Fatal("Eve sees Ada's address")
	}

	// The export has the phone and the street, as a download.
	v = ada.get("/account/export.json")
	if v.status != 200 || !strings.HasPrefix(v.header.Get("Content-Disposition"), "attachment") || !strings.HasPrefix(v.header.Get("Content-Type"), "application/json") {
		t.Fatalf("export: %d %v", v.status, v.header)
	}
	var e account.Export
	if err := json.Unmarshal([]byte(v.body), &e); err != nil {
		t.Fatal(err)
	}
	if e.Account.Phone != "+27 82 555 0199" || len(e.Addresses) != 1 || e.Addresses[0].Line1 != "12 Analytical Street" || e.Addresses[0].Phone != "+27 21 555 0100" {
		t.Errorf("export: %s", v.body)
	}
	if v := s.browser(t).get("/account/export.json"); v.url.Path != "/account/signin" || strings.Contains(v.body, "Analytical") {
		t.Errorf("export without a session: at %s", v.url)
	}

	// Ada deletes her own address.
	v = ada.submit("/account", "/account/addresses/"+adaAddr+"/delete", url.Values{})
	wantAt(t, v, "/account")
	if strings.Contains(v.body, "12 Analytical Street") || !strings.Contains(v.body, "The address was deleted") {
		t.Error("address not deleted")
	}

	// Changing the password keeps this browser signed in and signs out others.
	second := s.browser(t)
	second.signIn("ada@example.com", pw)
	v = ada.submit("/account", "/account/password", url.Values{"current_password": {"nope nope nope"}, "new_password": {"another long passphrase"}})
	wantRefused(t, v)
	if !strings.Contains(v.body, "Current password is wrong") {
		t.Errorf("wrong current password page:\n%s", v.body)
	}
	v = ada.submit("/account", "/account/password", url.Values{"current_password": {pw}, "new_password": {"another long passphrase"}})
	wantAt(t, v, "/account")
	if !strings.Contains(v.body, "Your password was changed") {
		t.Error("no confirmation of the password change")
	}
	wantAt(t, second.get("/account"), "/account/signin")

	// Deleting the account needs the word.
	v = ada.submit("/account", "/account/delete", url.Values{"confirm": {"delete"}})
	wantRefused(t, v)
	if !strings.Contains(v.body, "Type DELETE in capital letters") {
		t.Errorf("delete without the word:\n%s", v.body)
	}
	wantAt(t, ada.get("/account"), "/account")
	v = ada.submit("/account", "/account/delete", url.Values{"confirm": {"DELETE"}})
	wantAt(t, v, "/account/goodbye")
	wantHTML(t, v, 200)
	wantAt(t, ada.get("/account"), "/account/signin")
	if v := ada.signIn("ada@example.com", "another long passphrase"); !v.refused() {
		t.Errorf("sign-in after deletion: %d", v.status)
	}
}

func TestAdmin(t *testing.T) {
	s := newAccShop(t)
	ctx := context.Background()
	if _, err := s.svc.CreateAdmin(ctx, "boss@example.com", pw, "Boss", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	cust := s.browser(t)
	cust.register("ada@example.com", "Ada", pw)
	anon := s.browser(t)
	for _, p := range []string{"/admin", "/admin/users", "/admin/audit", "/admin/mailbox"} {
		v := cust.get(p)
		if v.status != 404 || !strings.Contains(v.body, "find that page") || strings.Contains(v.body, "Admin") {
			t.Errorf("customer %s: %d", p, v.status)
		}
		if v.url.Path != p {
			t.Errorf("customer %s: redirected to %s", p, v.url)
		}
		// Signed out, an admin page asks to sign in, and comes back after.
		v = anon.get(p)
		if v.status != 200 || v.url.Path != "/account/signin" || v.url.Query().Get("next") != p || strings.Contains(v.body, "Audit") {
			t.Errorf("signed out %s: %d at %s", p, v.status, v.url)
		}
	}
	v := anon.submit("/account/signin?next=%2Fadmin%2Faudit", "/account/signin?next=%2Fadmin%2Faudit", url.Values{"email": {"boss@example.com"}, "password": {pw}, "next": {"/admin/audit"}})
	if v.status != 200 || v.url.Path != "/admin/audit" {
		t.Errorf("signing in from an admin page: %d at %s", v.status, v.url)
	}
	// A customer cannot change roles, even with a valid token.
	v = cust.submit("/account", "/admin/users/2/role", url.Values{"role": {"admin"}})
	if v.status != 404 {
		t.Errorf("customer role change: %d", v.status)
	}
	if v := cust.get("/admin"); v.status != 404 {
		t.Fatalf("customer became admin: %d", v.status)
	}

	boss := s.browser(t)
	wantAt(t, boss.signIn("boss@example.com", pw), "/account")
	v = boss.get("/admin")
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, "2 accounts") || !strings.Contains(v.body, `href="/admin/mailbox"`) {
		t.Errorf("admin overview:\n%s", v.body)
	}
	if !strings.Contains(boss.get("/").body, `href="/admin"`) {
		t.Error("the admin's header has no admin link")
	}
	v = boss.get("/admin/users")
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, "ada@example.com") || !strings.Contains(v.body, "boss@example.com") {
		t.Fatalf("users page:\n%s", v.body)
	}
	adaID := regexp.MustCompile(`<td>(\d+)</td>\s*<td>Ada`).FindStringSubmatch(v.body)[1]
	v = boss.submit("/admin/users", "/admin/users/"+adaID+"/role", url.Values{"role": {"admin"}})
	wantAt(t, v, "/admin/users")
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, "The role was changed") {
		t.Error("no confirmation of the role change")
	}
	// Ada was signed out by the change; signing in again she is an admin.
	wantAt(t, cust.get("/account"), "/account/signin")
	cust.signIn("ada@example.com", pw)
	if v := cust.get("/admin"); v.status != 200 {
		t.Errorf("promoted account gets %d on /admin", v.status)
	}
	// A bad role is refused on the page.
	if v := boss.submit("/admin/users", "/admin/users/"+adaID+"/role", url.Values{"role": {"owner"}}); !v.refused() || !strings.Contains(v.body, "role is not valid") {
		t.Errorf("bad role: %d", v.status)
	}

	v = boss.get("/admin/audit")
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, "role.change") || !strings.Contains(v.body, "customer → admin") {
		t.Errorf("audit lacks the role change:\n%s", v.body)
	}
	v = boss.get("/admin/audit?user=" + adaID)
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, "account.register") || strings.Contains(v.body, "admin.create") {
		t.Errorf("filtered audit:\n%s", v.body)
	}
	if v := boss.get("/admin/audit?before=abc"); v.status != 400 {
		t.Errorf("bad cursor: %d", v.status)
	}

	// The mailbox shows a message with its link.
	boss.submit("/account/forgot", "/account/forgot", url.Values{"email": {"ada@example.com"}})
	// The reset mail is sent in the background, after the welcome mail
	// of the registration: wait for it, not for any message.
	resetSent := func() bool {
		for _, m := range mustList(t, s.box) {
			if m.Subject == "Reset your password" {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(30 * time.Second)
	for !resetSent() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	v = boss.get("/admin/mailbox")
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, "Reset your password") || !strings.Contains(v.body, `href="https://shop.test/account/reset?token=`) {
		t.Errorf("mailbox:\n%s", v.body)
	}
}

func TestAdminPaging(t *testing.T) {
	s := newAccShop(t)
	ctx := context.Background()
	if _, err := s.svc.CreateAdmin(ctx, "boss@example.com", pw, "Boss", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	for i := range 55 {
		if _, err := s.svc.Register(ctx, "c"+strconv.Itoa(i)+"@example.com", pw, "Customer "+strconv.Itoa(i), account.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	boss := s.browser(t)
	boss.signIn("boss@example.com", pw)
	if v := boss.get("/admin"); !strings.Contains(v.body, "56 accounts") {
		t.Error("overview count wrong")
	}
	v := boss.get("/admin/users")
	next := regexp.MustCompile(`href="(/admin/users\?after=\d+)"`).FindStringSubmatch(v.body)
	if next == nil || strings.Contains(v.body, "c54@example.com") {
		t.Fatalf("first page:\n%s", v.body)
	}
	v = boss.get(html.UnescapeString(next[1]))
	if !strings.Contains(v.body, "c54@example.com") || strings.Contains(v.body, "c0@example.com") {
		t.Errorf("second page:\n%s", v.body)
	}
	v = boss.get("/admin/audit")
	older := regexp.MustCompile(`href="(/admin/audit\?before=\d+)"`).FindStringSubmatch(v.body)
	if older == nil {
		t.Fatal("no older-events link")
	}
	if v := boss.get(html.UnescapeString(older[1])); v.status != 200 || !strings.Contains(v.body, "admin.create") {
		t.Errorf("older events page: %d", v.status)
	}
}

func TestOpenRedirect(t *testing.T) {
	s := newAccShop(t)
	b := s.browser(t)
	b.register("ada@example.com", "Ada", pw)
	b.signOut()
	for next, want := range map[string]string{
		"//evil.example":         "/account",
		"https://evil.example/":  "/account",
		`/\evil.example`:         "/account",
		"/%2F%2Fevil.example":    "/account",
		"javascript:alert(1)":    "/account",
		" /account/orders":       "/account",
		"/account/orders":        "/account/orders",
		"/account/orders?page=2": "/account/orders",
	} {
		page := "/account/signin?" + url.Values{"next": {next}}.Encode()
		v := b.submit(page, "/account/signin", url.Values{"email": {"ada@example.com"}, "password": {pw}, "next": {next}})
		if v.url.Host != strings.TrimPrefix(s.srv.URL, "https://") || v.url.Path != want {
			t.Errorf("next=%q: landed on %s, want %s", next, v.url, want)
		}
		b.signOut()
	}
	// The sign-in page never writes an unsafe next into its form.
	v := b.get("/account/signin?next=//evil.example")
	if strings.Contains(v.body, "evil") {
		t.Error("sign-in page echoes an unsafe next")
	}
}

func TestSignInThrottled(t *testing.T) {
	s := newAccShop(t)
	b := s.browser(t)
	b.register("ada@example.com", "Ada", pw)
	b.signOut()
	var v visit
	for range 7 {
		v = b.signIn("ada@example.com", "not the password")
	}
	wantHTML(t, v, 429)
	ra, err := strconv.Atoi(v.header.Get("Retry-After"))
	if err != nil || ra < 1 {
		t.Errorf("Retry-After %q", v.header.Get("Retry-After"))
	}
	if !strings.Contains(v.body, "Try again in") {
		t.Errorf("429 page does not say when:\n%s", v.body)
	}
	// Even the right password waits.
	if v := b.signIn("ada@example.com", pw); v.status != 429 {
		t.Errorf("right password while locked: %d", v.status)
	}
}

// TestSignInThrottleBehindProxy: behind a trusted proxy every connection
// comes from the proxy, so the throttle must count the client the proxy
// names. One client's failures lock that client out, not everyone else.
func TestSignInThrottleBehindProxy(t *testing.T) {
	proxies, err := ratelimit.ParseTrustedProxies("loopback")
	if err != nil {
		t.Fatal(err)
	}
	s := newAccShopBehind(t, proxies)
	ada := s.browser(t)
	ada.xff = "198.51.100.7"
	ada.register("ada@example.com", "Ada", pw)
	ada.signOut()

	attacker := s.browser(t)
	attacker.xff = "203.0.113.9"
	// A different account each time: only the address throttle can stop
	// this. Five failures are free, then lockouts double from 1 s; on a
	// slow machine a short one may lapse between attempts, so keep going
	// until one lands (15 attempts reach minutes).
	var v visit
	for i := 0; i < 15 && v.status != 429; i++ {
		v = attacker.signIn(fmt.Sprintf("guess%d@example.com", i), "not the password")
	}
	wantHTML(t, v, 429)
	// Ada comes through the same proxy from another address and signs in.
	v = ada.signIn("ada@example.com", pw)
	wantAt(t, v, "/account")
	wantHTML(t, v, 200)
	// The audit log records the client, not the proxy.
	events, err := s.svc.AuditEvents(context.Background(), 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ips []string
	for _, e := range events {
		ips = append(ips, e.IP)
	}
	if !slices.Contains(ips, "198.51.100.7") || !slices.Contains(ips, "203.0.113.9") || slices.Contains(ips, "127.0.0.1") {
		t.Errorf("audit log addresses %v, want the clients' (198.51.100.7, 203.0.113.9), never the proxy's", ips)
	}
}

// TestSignInThrottleIgnoresForgedXFF: with no trusted proxy, X-Forwarded-For
// is the client's own claim; a fresh one per attempt does not escape the
// throttle.
func TestSignInThrottleIgnoresForgedXFF(t *testing.T) {
	s := newAccShop(t)
	attacker := s.browser(t)
	var v visit
	for i := 0; i < 15 && v.status != 429; i++ { // see TestSignInThrottleBehindProxy
		attacker.xff = fmt.Sprintf("203.0.113.%d", i+1)
		v = attacker.signIn(fmt.Sprintf("guess%d@example.com", i), "not the password")
	}
	wantHTML(t, v, 429)
}
