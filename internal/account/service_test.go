package account_test

// The account service's rules, over the real SQLite account store (its
// contract runs on SQLite and PostgreSQL in internal/storetest).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/secret"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
	"github.com/oceanshop/ocean/internal/throttle"
	"github.com/oceanshop/ocean/internal/token"
)

const pw = "correct horse battery staple"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type mailbox struct {
	mu   sync.Mutex
	msgs []string // "to|subject|text"
	err  error
}

func (m *mailbox) send(_ context.Context, to, subject, text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, to+"|"+subject+"|"+text)
	return m.err
}

func (m *mailbox) all() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.msgs...)
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *sqldb.DB
	keys  *secret.Keyring
	clock *clock
	mail  *mailbox
	svc   *account.Service
	cfg   account.Config
}

func newFixture(t *testing.T) *fixture {
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
	f := &fixture{t: t, ctx: context.Background(), db: db, keys: keys, clock: &clock{t: time.Now().UTC()}, mail: &mailbox{}}
	f.cfg = account.Config{
		Store: db.Accounts(), Keys: keys, Tokens: signer,
		SignInLimit: throttle.NewLocal(throttle.SignIn(), f.clock.now),
		ResetLimit:  throttle.NewLocal(throttle.SignIn(), f.clock.now),
		Mail:        f.mail.send, BaseURL: "https://shop.test/", Log: slog.New(slog.DiscardHandler), Now: f.clock.now,
	}
	f.svc = account.NewService(f.cfg)
	return f
}

// pwHash is pw hashed once for the whole run: most tests need accounts,
// not the cost of hashing (tens of milliseconds, far more under -race).
var pwHash = sync.OnceValue(func() string {
	h, err := account.HashPassword(pw)
	if err != nil {
		panic(err)
	}
	return h
})

// register adds a customer with password pw straight to the store
// (TestRegister goes through Register itself).
func (f *fixture) register(email string) *account.User {
	f.t.Helper()
	now := f.clock.now()
	u := &account.User{Email: email, Name: "Ann Shopper", Role: account.RoleCustomer, PasswordHash: pwHash(), CreatedAt: now, UpdatedAt: now}
	if err := f.db.Accounts().CreateUser(f.ctx, u); err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *fixture) events(userID int64) []string {
	f.t.Helper()
	evs, err := f.svc.AuditEvents(f.ctx, userID, 0, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Event)
	}
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func code(t *testing.T, err error, want string) {
	t.Helper()
	if got := ocean.ErrorCode(err); got != want {
		t.Fatalf("%v: code %q, want %q", err, got, want)
	}
}

func fields(err error) string {
	var fs []string
	for _, f := range ocean.ErrorFields(err) {
		fs = append(fs, f.Field)
	}
	return strings.Join(fs, ",")
}

func TestRegister(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u, err := f.svc.Register(f.ctx, " Ann@Example.COM ", pw, "Ann Shopper", account.Meta{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ann@example.com" || u.Role != account.RoleCustomer || u.IsAdmin() || u.PasswordHash == "" {
		t.Fatalf("%+v", u)
	}
	_, err = f.svc.Register(f.ctx, "ann@example.com", pw, "Ann", account.Meta{})
	code(t, err, ocean.ECONFLICT)
	if fields(err) != "email" {
		t.Errorf("fields %s", fields(err))
	}
	_, err = f.svc.Register(f.ctx, "not-an-email", "short", "", account.Meta{})
	code(t, err, ocean.EINVALID)
	if fs := fields(err); !strings.Contains(fs, "email") || !strings.Contains(fs, "name") || !strings.Contains(fs, "password") {
		t.Errorf("fields %s", fs)
	}
	// Only the password wrong: its own message leads.
	_, err = f.svc.Register(f.ctx, "bob@example.com", "password", "Bob", account.Meta{})
	if ocean.ErrorCode(err) != ocean.EINVALID || ocean.ErrorMessage(err) == "Some fields need attention." {
		t.Errorf("%v", err)
	}
	if !has(f.events(u.ID), account.EventRegister) {
		t.Error("registration not audited")
	}
	if _, err := f.svc.User(f.ctx, 99999); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Error(err)
	}
}

func TestSignInAndThrottle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.register("ann@example.com")
	m := account.Meta{IP: "192.0.2.7"}
	got, err := f.svc.SignIn(f.ctx, "ANN@example.com", pw, m)
	if err != nil || got.ID != u.ID {
		t.Fatalf("%v %+v", err, got)
	}
	for _, c := range []struct{ email, pw string }{{"ann@example.com", "wrong"}, {"nobody@example.com", pw}, {"not an email", pw}} {
		_, err := f.svc.SignIn(f.ctx, c.email, c.pw, m)
		code(t, err, ocean.EUNAUTHORIZED)
		if ocean.ErrorMessage(err) != "The email address or password is wrong." {
			t.Errorf("%s: %v", c.email, err)
		}
	}
	if !has(f.events(u.ID), account.EventSignInFailed) || !has(f.events(u.ID), account.EventSignIn) {
		t.Errorf("events %v", f.events(u.ID))
	}
	// Failures pile up on the account until it must wait, even with the right password.
	var last error
	for i := 0; i < 10 && account.RetryAfter(last) == 0; i++ {
		_, last = f.svc.SignIn(f.ctx, "ann@example.com", "wrong", account.Meta{IP: fmt.Sprintf("198.51.100.%d", i)})
	}
	code(t, last, ocean.ERATELIMITED)
	if account.RetryAfter(last) <= 0 || !strings.Contains(last.Error(), "Try again in") {
		t.Fatalf("%v", last)
	}
	_, err = f.svc.SignIn(f.ctx, "ann@example.com", pw, account.Meta{IP: "203.0.113.1"})
	code(t, err, ocean.ERATELIMITED)
	if account.RetryAfter(errors.New("x")) != 0 {
		t.Error("RetryAfter of a plain error")
	}
	f.clock.add(time.Hour)
	if _, err := f.svc.SignIn(f.ctx, "ann@example.com", pw, m); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	// An IPv6 client and an unparsable address still get throttle keys.
	if _, err := f.svc.SignIn(f.ctx, "ann@example.com", pw, account.Meta{IP: "2001:db8::1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SignIn(f.ctx, "ann@example.com", pw, account.Meta{IP: "unknown"}); err != nil {
		t.Fatal(err)
	}
}

func TestProfile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.register("ann@example.com")
	f.register("bob@example.com")
	str := func(s string) *string { return &s }
	got, err := f.svc.UpdateProfile(f.ctx, u.ID, account.Profile{Name: str(" Ann B "), Phone: str("+27 21 555 0100"), Email: str("ANN.B@example.com")}, account.Meta{ActorID: u.ID})
	if err != nil || got.Name != "Ann B" || got.Phone != "+27 21 555 0100" || got.Email != "ann.b@example.com" {
		t.Fatalf("%v %+v", err, got)
	}
	raw, _ := f.db.Accounts().UserByID(f.ctx, u.ID)
	if raw.Phone == "" || strings.Contains(raw.Phone, "555") {
		t.Fatalf("the phone is stored as %q", raw.Phone)
	}
	if again, _ := f.svc.User(f.ctx, u.ID); again.Phone != "+27 21 555 0100" {
		t.Fatalf("%+v", again)
	}
	_, err = f.svc.UpdateProfile(f.ctx, u.ID, account.Profile{Email: str("bob@example.com")}, account.Meta{})
	code(t, err, ocean.ECONFLICT)
	_, err = f.svc.UpdateProfile(f.ctx, u.ID, account.Profile{Email: str("nope"), Name: str(""), Phone: str("call me")}, account.Meta{})
	code(t, err, ocean.EINVALID)
	if fs := fields(err); !strings.Contains(fs, "email") || !strings.Contains(fs, "name") || !strings.Contains(fs, "phone") {
		t.Errorf("fields %s", fs)
	}
	_, err = f.svc.UpdateProfile(f.ctx, 99999, account.Profile{}, account.Meta{})
	code(t, err, ocean.ENOTFOUND)
}

func TestSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.register("ann@example.com")
	cookie, sess, err := f.svc.StartSession(f.ctx, u)
	if err != nil || sess.ExpiresAt.Sub(sess.CreatedAt) != account.CustomerAbsolute {
		t.Fatal(err)
	}
	got, gu, err := f.svc.SessionUser(f.ctx, cookie)
	if err != nil || gu.ID != u.ID || got.CSRF != sess.CSRF {
		t.Fatal(err)
	}
	if !account.CheckCSRF(got, sess.CSRF) || account.CheckCSRF(got, "") || account.CheckCSRF(got, "x") || account.CheckCSRF(nil, sess.CSRF) {
		t.Error("CheckCSRF")
	}
	for _, bad := range []string{"", "short", strings.Repeat("A", 43)} {
		if _, _, err := f.svc.SessionUser(f.ctx, bad); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// Seen again within the idle time: still in, and the activity is noted.
	f.clock.add(6 * 24 * time.Hour)
	if _, _, err := f.svc.SessionUser(f.ctx, cookie); err != nil {
		t.Fatal(err)
	}
	f.clock.add(6 * 24 * time.Hour)
	if _, _, err := f.svc.SessionUser(f.ctx, cookie); err != nil {
		t.Fatal("the touch did not extend the idle time:", err)
	}
	// Idle too long: out.
	f.clock.add(8 * 24 * time.Hour)
	if _, _, err := f.svc.SessionUser(f.ctx, cookie); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal(err)
	}
	// Absolute end, however active.
	cookie, _, _ = f.svc.StartSession(f.ctx, u)
	for i := 0; i < 4; i++ {
		f.clock.add(6 * 24 * time.Hour)
		if _, _, err := f.svc.SessionUser(f.ctx, cookie); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.add(6*24*time.Hour + time.Hour) // 30 days and an hour after the start, 6 days after the last visit
	if _, _, err := f.svc.SessionUser(f.ctx, cookie); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal("past the absolute end:", err)
	}
	// Staff sessions idle out within the hour.
	admin, err := f.svc.CreateAdmin(f.ctx, "boss@example.com", pw, "", account.Meta{})
	if err != nil || admin.Name != "Shop admin" {
		t.Fatal(err)
	}
	ac, _, _ := f.svc.StartSession(f.ctx, admin)
	f.clock.add(61 * time.Minute)
	if _, _, err := f.svc.SessionUser(f.ctx, ac); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal(err)
	}
	// Sign out; a garbage cookie signs out nothing and fails nothing.
	cookie, _, _ = f.svc.StartSession(f.ctx, u)
	if err := f.svc.EndSession(f.ctx, cookie, account.Meta{ActorID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.SessionUser(f.ctx, cookie); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal(err)
	}
	if err := f.svc.EndSession(f.ctx, "garbage", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	// An erased account's session ends.
	cookie, _, _ = f.svc.StartSession(f.ctx, u)
	if err := f.svc.Erase(f.ctx, u.ID, account.Meta{ActorID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.SessionUser(f.ctx, cookie); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal(err)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.register("ann@example.com")
	tk, err := f.svc.IssueTokens(f.ctx, u)
	if err != nil || tk.ExpiresIn != account.AccessTTL {
		t.Fatal(err)
	}
	if got, err := f.svc.AccessUser(f.ctx, tk.Access); err != nil || got.ID != u.ID {
		t.Fatal(err)
	}
	if _, err := f.svc.AccessUser(f.ctx, "garbage"); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal(err)
	}
	f.clock.add(account.AccessTTL + time.Minute)
	if _, err := f.svc.AccessUser(f.ctx, tk.Access); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal("an expired access token worked:", err)
	}
	next, got, err := f.svc.Refresh(f.ctx, tk.Refresh, account.Meta{})
	if err != nil || got.ID != u.ID || next.Refresh == tk.Refresh {
		t.Fatal(err)
	}
	// The spent token again: it leaked. The family is revoked, the fresh token too.
	if _, _, err := f.svc.Refresh(f.ctx, tk.Refresh, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Refresh(f.ctx, next.Refresh, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal("the family survived a reuse:", err)
	}
	if !has(f.events(u.ID), account.EventRefreshReuse) {
		t.Error("reuse not audited")
	}
	for _, bad := range []string{"", "garbage"} {
		if _, _, err := f.svc.Refresh(f.ctx, bad, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
			t.Errorf("%q: %v", bad, err)
		}
		if err := f.svc.RevokeRefresh(f.ctx, bad, account.Meta{}); err != nil {
			t.Errorf("revoke %q: %v", bad, err)
		}
	}
	// Sign-out revokes the family; doing it twice is fine.
	tk, _ = f.svc.IssueTokens(f.ctx, u)
	if err := f.svc.RevokeRefresh(f.ctx, tk.Refresh, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Refresh(f.ctx, tk.Refresh, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal(err)
	}
	// The family ends after its lifetime.
	tk, _ = f.svc.IssueTokens(f.ctx, u)
	f.clock.add(account.RefreshLifetime + time.Hour)
	if _, _, err := f.svc.Refresh(f.ctx, tk.Refresh, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal(err)
	}
	// An erased account's tokens stop working at once.
	tk, _ = f.svc.IssueTokens(f.ctx, u)
	if err := f.svc.Erase(f.ctx, u.ID, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AccessUser(f.ctx, tk.Access); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Refresh(f.ctx, tk.Refresh, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal(err)
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.register("ann@example.com")
	keep, _, _ := f.svc.StartSession(f.ctx, u)
	other, _, _ := f.svc.StartSession(f.ctx, u)
	tk, _ := f.svc.IssueTokens(f.ctx, u)
	err := f.svc.ChangePassword(f.ctx, u.ID, "wrong", "a brand new passphrase", keep, account.Meta{})
	code(t, err, ocean.EINVALID)
	if fields(err) != "current_password" {
		t.Error(fields(err))
	}
	code(t, f.svc.ChangePassword(f.ctx, u.ID, pw, "short", keep, account.Meta{}), ocean.EINVALID)
	if err := f.svc.ChangePassword(f.ctx, u.ID, pw, "a brand new passphrase", keep, account.Meta{ActorID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.SessionUser(f.ctx, keep); err != nil {
		t.Fatal("the session that changed the password was signed out:", err)
	}
	if _, _, err := f.svc.SessionUser(f.ctx, other); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal("another session survived:", err)
	}
	if _, _, err := f.svc.Refresh(f.ctx, tk.Refresh, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal("an API client survived:", err)
	}
	if _, err := f.svc.SignIn(f.ctx, "ann@example.com", "a brand new passphrase", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	// Guessing the current password through a stolen session is throttled.
	var last error
	for i := 0; i < 10 && account.RetryAfter(last) == 0; i++ {
		last = f.svc.ChangePassword(f.ctx, u.ID, "guess", "another new passphrase", "", account.Meta{})
	}
	code(t, last, ocean.ERATELIMITED)
	code(t, f.svc.ChangePassword(f.ctx, 99999, pw, "x", "", account.Meta{}), ocean.ENOTFOUND)
}

func waitMail(t *testing.T, m *mailbox, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(m.all()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d mails, want %d", len(m.all()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return m.all()
}

func resetToken(t *testing.T, mail string) string {
	t.Helper()
	_, after, ok := strings.Cut(mail, "https://shop.test/account/reset?token=")
	if !ok {
		t.Fatalf("no link in %q", mail)
	}
	return strings.Fields(after)[0]
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.register("ann@example.com")
	tk, _ := f.svc.IssueTokens(f.ctx, u)
	code(t, f.svc.RequestReset(f.ctx, "not an email", account.Meta{}), ocean.EINVALID)
	// An unknown address answers the same and sends nothing.
	if err := f.svc.RequestReset(f.ctx, "nobody@example.com", account.Meta{IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RequestReset(f.ctx, "ANN@example.com", account.Meta{IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	msgs := waitMail(t, f.mail, 1)
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "ann@example.com|Reset your password|") {
		t.Fatalf("%q", msgs)
	}
	tok := resetToken(t, msgs[0])
	code(t, f.svc.ResetPassword(f.ctx, tok, "short", account.Meta{}), ocean.EINVALID)
	code(t, f.svc.ResetPassword(f.ctx, "garbage", "a brand new passphrase", account.Meta{}), ocean.EINVALID)
	code(t, f.svc.ResetPassword(f.ctx, strings.Repeat("A", 43), "a brand new passphrase", account.Meta{}), ocean.EINVALID)
	if err := f.svc.ResetPassword(f.ctx, tok, "a brand new passphrase", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	code(t, f.svc.ResetPassword(f.ctx, tok, "another passphrase here", account.Meta{}), ocean.EINVALID) // once only
	if _, err := f.svc.SignIn(f.ctx, "ann@example.com", "a brand new passphrase", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Refresh(f.ctx, tk.Refresh, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal("the reset left an API client signed in")
	}
	if ev := f.events(u.ID); !has(ev, account.EventReset) || !has(ev, account.EventResetRequest) {
		t.Errorf("%v", ev)
	}
	// A link older than an hour is refused.
	f.clock.add(time.Hour)
	if err := f.svc.RequestReset(f.ctx, "ann@example.com", account.Meta{IP: "192.0.2.2"}); err != nil {
		t.Fatal(err)
	}
	msgs = waitMail(t, f.mail, 2)
	f.clock.add(account.ResetLifetime + time.Minute)
	code(t, f.svc.ResetPassword(f.ctx, resetToken(t, msgs[1]), "a third passphrase here", account.Meta{}), ocean.EINVALID)
	// Asking too often is throttled, known address or not.
	var last error
	for i := 0; i < 12 && account.RetryAfter(last) == 0; i++ {
		last = f.svc.RequestReset(f.ctx, "nobody@example.com", account.Meta{IP: "192.0.2.3"})
	}
	code(t, last, ocean.ERATELIMITED)
	// A mail that cannot be sent is logged, the answer unchanged.
	f.mail.err = errors.New("smtp down")
	f.clock.add(time.Hour)
	if err := f.svc.RequestReset(f.ctx, "ann@example.com", account.Meta{IP: "192.0.2.4"}); err != nil {
		t.Fatal(err)
	}
	waitMail(t, f.mail, 3)
}

func TestAddresses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.register("ann@example.com")
	bob := f.register("bob@example.com")
	a, err := f.svc.AddAddress(f.ctx, u.ID, account.Address{Address: ocean.Address{Name: " Ann ", Line1: "1 Long Street", City: "Cape Town", Country: "ZA", Phone: "+27 21 555 0100"}}, account.Meta{})
	if err != nil || !a.IsDefault || a.Name != "Ann" || a.ID == 0 {
		t.Fatalf("%v %+v", err, a)
	}
	b, err := f.svc.AddAddress(f.ctx, u.ID, account.Address{Address: ocean.Address{Name: "Ann", Line1: "2 Short Street", City: "Durban", Country: "ZA"}, IsDefault: false}, account.Meta{})
	if err != nil || b.IsDefault {
		t.Fatalf("%v %+v", err, b)
	}
	if _, err := f.svc.AddAddress(f.ctx, u.ID, account.Address{Address: ocean.Address{Name: "", Country: "ZZ"}}, account.Meta{}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatal(err)
	}
	list, err := f.svc.Addresses(f.ctx, u.ID)
	if err != nil || len(list) != 2 || list[0].ID != a.ID || list[0].Phone != "+27 21 555 0100" || list[1].City != "Durban" {
		t.Fatalf("%v %+v", err, list)
	}
	// Another account's address is not found, like a missing one.
	code(t, f.svc.DeleteAddress(f.ctx, bob.ID, a.ID, account.Meta{}), ocean.ENOTFOUND)
	if err := f.svc.DeleteAddress(f.ctx, u.ID, b.ID, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < account.MaxAddresses; i++ {
		if _, err := f.svc.AddAddress(f.ctx, u.ID, account.Address{Address: ocean.Address{Name: "Ann", Line1: fmt.Sprint(i, " Road"), City: "Town", Country: "ZA"}}, account.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.svc.AddAddress(f.ctx, u.ID, account.Address{Address: ocean.Address{Name: "Ann", Line1: "Extra", City: "Town", Country: "ZA"}}, account.Meta{})
	code(t, err, ocean.EUNPROCESSABLE)
}

func TestExportAndErase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.register("ann@example.com")
	str := func(s string) *string { return &s }
	if _, err := f.svc.UpdateProfile(f.ctx, u.ID, account.Profile{Phone: str("+27 21 555 0100")}, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddAddress(f.ctx, u.ID, account.Address{Address: ocean.Address{Name: "Ann", Line1: "1 Long Street", City: "Cape Town", Country: "ZA"}}, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	x, err := f.svc.Export(f.ctx, u.ID, account.Meta{ActorID: u.ID})
	if err != nil || x.Account.Phone != "+27 21 555 0100" || len(x.Addresses) != 1 || len(x.Orders) != 0 || len(x.Events) == 0 {
		t.Fatalf("%v %+v", err, x)
	}
	f.svc.SetOrderExport(func(_ context.Context, id int64) ([]order.Export, error) {
		return []order.Export{{Email: "ann@example.com"}}, nil
	})
	if x, err := f.svc.Export(f.ctx, u.ID, account.Meta{}); err != nil || len(x.Orders) != 1 {
		t.Fatalf("%v %+v", err, x)
	}
	boom := errors.New("orders unreadable")
	f.svc.SetOrderExport(func(context.Context, int64) ([]order.Export, error) { return nil, boom })
	if _, err := f.svc.Export(f.ctx, u.ID, account.Meta{}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := f.svc.Erase(f.ctx, u.ID, account.Meta{ActorID: u.ID}); err != nil {
		t.Fatal(err)
	}
	code(t, f.svc.Erase(f.ctx, u.ID, account.Meta{}), ocean.ENOTFOUND)
	if _, err := f.svc.Export(f.ctx, u.ID, account.Meta{}); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatal(err)
	}
	if _, err := f.svc.SignIn(f.ctx, "ann@example.com", pw, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal("an erased account signed in:", err)
	}
	raw, _ := f.db.Accounts().UserByID(f.ctx, u.ID)
	if raw.Email == "ann@example.com" || raw.Phone != "" || raw.ErasedAt == nil {
		t.Fatalf("personal data kept: %+v", raw)
	}
	// The address is free for a new account.
	f.register("ann@example.com")
}

func TestStaff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// The first start creates an admin with a generated password, shown once.
	admin, generated, err := f.svc.EnsureAdmin(f.ctx, "boss@example.com", "")
	if err != nil || admin == nil || len(generated) != 20 || !admin.IsAdmin() {
		t.Fatalf("%v %+v %q", err, admin, generated)
	}
	if _, err := f.svc.SignIn(f.ctx, "boss@example.com", generated, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if again, g, err := f.svc.EnsureAdmin(f.ctx, "boss@example.com", ""); err != nil || again != nil || g != "" {
		t.Fatal("a second admin on the next start")
	}
	code(t, f.svc.Erase(f.ctx, admin.ID, account.Meta{}), ocean.ECONFLICT)
	code(t, f.svc.SetRole(f.ctx, admin.ID, account.RoleCustomer, account.Meta{}), ocean.ECONFLICT)
	code(t, f.svc.SetRole(f.ctx, admin.ID, "owner", account.Meta{}), ocean.EINVALID)
	code(t, f.svc.SetRole(f.ctx, 99999, account.RoleAdmin, account.Meta{}), ocean.ENOTFOUND)
	if err := f.svc.SetRole(f.ctx, admin.ID, account.RoleAdmin, account.Meta{}); err != nil {
		t.Fatal("setting the same role:", err)
	}

	u := f.register("ann@example.com")
	str := func(s string) *string { return &s }
	if _, err := f.svc.UpdateProfile(f.ctx, u.ID, account.Profile{Phone: str("+27 21 555 0100")}, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	users, err := f.svc.Users(f.ctx, 0, 10)
	if err != nil || len(users) != 2 {
		t.Fatal(err)
	}
	for _, x := range users {
		if x.Phone != "" || x.PasswordHash != "" {
			t.Fatalf("the list carries personal data: %+v", x)
		}
	}
	// A promotion signs the account out everywhere.
	cookie, _, _ := f.svc.StartSession(f.ctx, u)
	if err := f.svc.SetRole(f.ctx, u.ID, account.RoleAdmin, account.Meta{ActorID: admin.ID}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.SessionUser(f.ctx, cookie); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatal(err)
	}
	if err := f.svc.SetRole(f.ctx, u.ID, account.RoleCustomer, account.Meta{ActorID: admin.ID}); err != nil {
		t.Fatal(err)
	}
	// CreateAdmin promotes an existing account, keeping or setting its password.
	bob := f.register("bob@example.com")
	if got, err := f.svc.CreateAdmin(f.ctx, "bob@example.com", "", "", account.Meta{}); err != nil || got.ID != bob.ID || got.Role != account.RoleAdmin {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateAdmin(f.ctx, "bob@example.com", "a brand new passphrase", "", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SignIn(f.ctx, "bob@example.com", "a brand new passphrase", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateAdmin(f.ctx, "bob@example.com", "short", "", account.Meta{}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateAdmin(f.ctx, "nope", pw, "", account.Meta{}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateAdmin(f.ctx, "new@example.com", "short", "", account.Meta{}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatal(err)
	}
	// Now there are two admins: one may go.
	if err := f.svc.Erase(f.ctx, bob.ID, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	f.svc.RecordAdminAction(f.ctx, "order.refund", account.Meta{ActorID: admin.ID, IP: "192.0.2.1"})
	evs, err := f.svc.AuditEvents(f.ctx, 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range evs {
		seen = append(seen, e.Event)
	}
	for _, want := range []string{"admin.order.refund", account.EventRoleChange, account.EventAdminCreate, account.EventErase} {
		if !has(seen, want) {
			t.Errorf("no %s in %v", want, seen)
		}
	}
	p, err := account.GeneratePassword()
	if err != nil || len(p) != 20 || account.CheckPassword(p) != nil {
		t.Fatalf("%q %v", p, err)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.register("ann@example.com")
	str := func(s string) *string { return &s }
	if _, err := f.svc.UpdateProfile(f.ctx, u.ID, account.Profile{Phone: str("+27 21 555 0100")}, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddAddress(f.ctx, u.ID, account.Address{Address: ocean.Address{Name: "Ann", Line1: "1 Long Street", City: "Cape Town", Country: "ZA"}}, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	sealed, err := f.svc.Seal("1 Long Street", "order.address:abc")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := f.svc.Open(sealed, "order.address:abc"); err != nil || p != "1 Long Street" {
		t.Fatal(err)
	}
	if _, err := f.svc.Open(sealed, "order.address:other"); err == nil {
		t.Fatal("a sealed value opened under another row's aad")
	}
	if s, err := f.svc.Seal("", "x"); err != nil || s != "" {
		t.Fatal("empty value sealed")
	}

	// Another process rotates the key file and re-encrypts: this process
	// meets values under a key it does not know and reloads its keys.
	rotated, err := secret.ParseKeyring(f.keys.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.Rotate(); err != nil {
		t.Fatal(err)
	}
	cfg := f.cfg
	cfg.Keys = rotated
	other := account.NewService(cfg)
	n, err := other.ReencryptAll(f.ctx)
	if err != nil || n < 2 {
		t.Fatalf("re-encrypted %d: %v", n, err)
	}
	if n, err := other.ReencryptAll(f.ctx); err != nil || n != 0 {
		t.Fatalf("second run re-encrypted %d: %v", n, err)
	}
	if got, err := f.svc.User(f.ctx, u.ID); err == nil {
		t.Fatalf("a process without the new key read %+v", got)
	}
	reloads := 0
	cfg = f.cfg
	cfg.ReloadKeys = func() (*secret.Keyring, error) { reloads++; return secret.ParseKeyring(rotated.Marshal()) }
	svc := account.NewService(cfg)
	if got, err := svc.User(f.ctx, u.ID); err != nil || got.Phone != "+27 21 555 0100" || reloads != 1 {
		t.Fatalf("%v %+v after %d reloads", err, got, reloads)
	}
	if a, err := svc.Addresses(f.ctx, u.ID); err != nil || len(a) != 1 || reloads != 1 {
		t.Fatalf("%v %+v after %d reloads", err, a, reloads)
	}
	// A reload that fails leaves the value unreadable, and says so.
	cfg.ReloadKeys = func() (*secret.Keyring, error) { return nil, errors.New("key file unreadable") }
	if _, err := account.NewService(cfg).User(f.ctx, u.ID); err == nil {
		t.Fatal("read without the key")
	}
}

func TestSignUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A new address: the account is made and its owner welcomed.
	if err := f.svc.SignUp(f.ctx, "ann@example.com", pw, "Ann", account.Meta{IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	msgs := waitMail(t, f.mail, 1)
	if !strings.HasPrefix(msgs[0], "ann@example.com|Your account is ready|") || !strings.Contains(msgs[0], "https://shop.test/account/signin") {
		t.Fatalf("%q", msgs[0])
	}
	// A taken address answers the same; the owner is told, not the caller.
	for i := 0; i < 3; i++ {
		if err := f.svc.SignUp(f.ctx, "ANN@example.com", "another passphrase here", "Mallory", account.Meta{IP: "203.0.113.9"}); err != nil {
			t.Fatal(err)
		}
	}
	msgs = waitMail(t, f.mail, 2)
	if !strings.HasPrefix(msgs[1], "ann@example.com|You already have an account|") || !strings.Contains(msgs[1], "/account/forgot") {
		t.Fatalf("%q", msgs[1])
	}
	u, err := f.svc.SignIn(f.ctx, "ann@example.com", pw, account.Meta{})
	if err != nil || u.Name != "Ann" {
		t.Fatal("the taken address's account changed:", err)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	n := 0
	waitFor("the attempts audited", func() bool {
		n = 0
		for _, e := range f.events(u.ID) {
			if e == account.EventRegisterTaken {
				n++
			}
		}
		return n == 3
	})
	for _, m := range f.mail.all() {
		if !strings.HasPrefix(m, "ann@example.com|") {
			t.Errorf("a mail to someone else than the owner: %q", m)
		}
	}
	// Bad input is still an error.
	code(t, f.svc.SignUp(f.ctx, "not an email", pw, "X", account.Meta{}), ocean.EINVALID)
	// A mail that cannot be sent is logged; the answer does not change.
	f.mail.err = errors.New("smtp down")
	if err := f.svc.SignUp(f.ctx, "bob@example.com", pw, "Bob", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	waitFor("the welcome to bob", func() bool {
		for _, m := range f.mail.all() {
			if strings.HasPrefix(m, "bob@example.com|") {
				return true
			}
		}
		return false
	})
	f.svc.RecordAdminActionDetail(f.ctx, "catalog.import", strings.Repeat("é", 600), account.Meta{ActorID: u.ID})
	evs, err := f.svc.AuditEvents(f.ctx, 0, 0, 10)
	if err != nil || evs[0].Event != "admin.catalog.import" || len(evs[0].Detail) > 1000 || !utf8.ValidString(evs[0].Detail) {
		t.Fatalf("%v %+v", err, evs[0])
	}
}
