package storetest

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/secret"
	"github.com/oceanshop/ocean/internal/token"
)

// AccountDB is a fresh accounts store and a way to read every byte the
// database holds (the SQLite files, the PostgreSQL rows as text), to prove
// what is and is not stored in plain text.
type AccountDB struct {
	Store account.Store
	Dump  func(t *testing.T) []byte
}

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// openLimiter never throttles (throttling has its own tests).
type openLimiter struct{}

func (openLimiter) Check(context.Context, string) (time.Duration, error) { return 0, nil }
func (openLimiter) Fail(context.Context, string) (time.Duration, error)  { return 0, nil }
func (openLimiter) Reset(context.Context, string) error                  { return nil }

// Outbox collects mail sent by a service under test.
type Outbox struct {
	mu   sync.Mutex
	msgs []string
	c    chan struct{}
}

// NewOutbox returns an empty outbox.
func NewOutbox() *Outbox { return &Outbox{c: make(chan struct{}, 100)} }

// Send implements account.SendMail.
func (o *Outbox) Send(_ context.Context, to, subject, text string) error {
	o.mu.Lock()
	o.msgs = append(o.msgs, "To: "+to+"\nSubject: "+subject+"\n\n"+text)
	o.mu.Unlock()
	o.c <- struct{}{}
	return nil
}

// Wait returns the next message, failing the test after 5 seconds.
func (o *Outbox) Wait(t *testing.T) string {
	t.Helper()
	select {
	case <-o.c:
	case <-time.After(5 * time.Second):
		t.Fatal("no mail within 5s")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.msgs[len(o.msgs)-1]
}

var resetLink = regexp.MustCompile(`/account/reset\?token=([A-Za-z0-9_-]+)`)

// ResetToken extracts the token from a reset mail.
func ResetToken(t *testing.T, mail string) string {
	t.Helper()
	m := resetLink.FindStringSubmatch(mail)
	if m == nil {
		t.Fatalf("no reset link in mail:\n%s", mail)
	}
	return m[1]
}

type accountEnv struct {
	svc   *account.Service
	clock *Clock
	keys  *secret.Keyring
	mail  *Outbox
	db    AccountDB
}

func newAccountEnv(t *testing.T, open func(t *testing.T) AccountDB) *accountEnv {
	keys, err := secret.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	k, err := token.GenerateKey("t1")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := token.NewSigner("https://shop.test", "ocean-api", []token.Key{k}, "t1")
	if err != nil {
		t.Fatal(err)
	}
	e := &accountEnv{clock: NewClock(), keys: keys, mail: NewOutbox(), db: open(t)}
	e.svc = account.NewService(account.Config{Store: e.db.Store, Keys: keys, Tokens: signer, SignInLimit: openLimiter{}, ResetLimit: openLimiter{},
		Mail: e.mail.Send, BaseURL: "https://shop.test", Now: e.clock.Now})
	return e
}

func (e *accountEnv) register(t *testing.T, email string) *account.User {
	t.Helper()
	u, err := e.svc.Register(ctx, email, "correct horse battery", "Thandi Nkosi", account.Meta{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Accounts runs the accounts contract: the service's promises, kept by
// whichever database the store uses.
func Accounts(t *testing.T, open func(t *testing.T) AccountDB) {
	t.Run("sign up and sign in", func(t *testing.T) { testSignIn(t, newAccountEnv(t, open)) })
	t.Run("personal data encrypted, exported, erased", func(t *testing.T) { testPersonalData(t, newAccountEnv(t, open)) })
	t.Run("refresh rotation and reuse", func(t *testing.T) { testRefresh(t, newAccountEnv(t, open)) })
	t.Run("password reset", func(t *testing.T) { testReset(t, newAccountEnv(t, open)) })
	t.Run("sessions expire", func(t *testing.T) { testSessions(t, newAccountEnv(t, open)) })
	t.Run("no access to another account's data", func(t *testing.T) { testOwnership(t, newAccountEnv(t, open)) })
	t.Run("key rotation", func(t *testing.T) { testKeyRotation(t, newAccountEnv(t, open)) })
	t.Run("roles", func(t *testing.T) { testRoles(t, newAccountEnv(t, open)) })
}

func testSignIn(t *testing.T, e *accountEnv) {
	u := e.register(t, " Thandi@Example.COM ")
	if u.Email != "thandi@example.com" || u.Role != account.RoleCustomer || u.ID == 0 {
		t.Fatalf("registered %+v", u)
	}
	if _, err := e.svc.Register(ctx, "thandi@example.com", "another good password", "T", account.Meta{}); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("second registration: %v", err)
	}
	for _, bad := range []struct{ email, pw, name, field string }{
		{"not-an-email", "correct horse battery", "X", "email"},
		{"a@example.com", "short", "X", "password"},
		{"a@example.com", "password123", "X", "password"}, // common
		{"a@example.com", "correct horse battery", "", "name"},
	} {
		_, err := e.svc.Register(ctx, bad.email, bad.pw, bad.name, account.Meta{})
		if ocean.ErrorCode(err) != ocean.EINVALID || !hasField(err, bad.field) {
			t.Errorf("register %+v: got %v %+v", bad, err, ocean.ErrorFields(err))
		}
	}
	got, err := e.svc.SignIn(ctx, "THANDI@example.com", "correct horse battery", account.Meta{})
	if err != nil || got.ID != u.ID {
		t.Fatalf("sign in: %v", err)
	}
	_, wrong := e.svc.SignIn(ctx, "thandi@example.com", "wrong password here", account.Meta{})
	_, unknown := e.svc.SignIn(ctx, "nobody@example.com", "wrong password here", account.Meta{})
	if ocean.ErrorCode(wrong) != ocean.EUNAUTHORIZED || wrong.Error() != unknown.Error() {
		t.Fatalf("wrong password %q and unknown account %q must look the same", wrong, unknown)
	}
	if err := e.svc.ChangePassword(ctx, u.ID, "wrong", "a brand new secret", "", account.Meta{}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatalf("change with wrong current password: %v", err)
	}
	if err := e.svc.ChangePassword(ctx, u.ID, "correct horse battery", "a brand new secret", "", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SignIn(ctx, "thandi@example.com", "correct horse battery", account.Meta{}); err == nil {
		t.Fatal("old password still works")
	}
	events, _ := e.svc.AuditEvents(ctx, u.ID, 0, 100)
	seen := map[string]bool{}
	for _, ev := range events {
		seen[ev.Event] = true
	}
	for _, want := range []string{account.EventRegister, account.EventSignIn, account.EventSignInFailed, account.EventPasswordChange} {
		if !seen[want] {
			t.Errorf("audit log lacks %s: %+v", want, events)
		}
	}
}

func hasField(err error, field string) bool {
	for _, f := range ocean.ErrorFields(err) {
		if f.Field == field {
			return true
		}
	}
	return false
}

const (
	seededPhone  = "+27 82 555 0147"
	seededStreet = "14 Jacaranda Crescent"
)

func testPersonalData(t *testing.T, e *accountEnv) {
	u := e.register(t, "lindiwe@example.com")
	phone := seededPhone
	if _, err := e.svc.UpdateProfile(ctx, u.ID, account.Profile{Phone: &phone}, account.Meta{ActorID: u.ID}); err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.AddAddress(ctx, u.ID, account.Address{Address: ocean.Address{Name: "Lindiwe Dube", Line1: seededStreet, City: "Pretoria", PostalCode: "0181", Country: "za", Phone: "012 555 0199"}}, account.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if !a.IsDefault || a.Country != "ZA" {
		t.Fatalf("first address %+v", a)
	}
	if _, err := e.svc.AddAddress(ctx, u.ID, account.Address{Address: ocean.Address{Name: "L", Line1: "x", City: "y", Country: "South Africa"}}, account.Meta{}); !hasField(err, "country") {
		t.Fatalf("bad country: %v", err)
	}
	raw := e.db.Dump(t)
	for _, plain := range []string{seededPhone, seededStreet, "Jacaranda", "012 555 0199"} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Errorf("the database holds %q in plain text", plain)
		}
	}
	if !bytes.Contains(raw, []byte("lindiwe@example.com")) {
		t.Fatal("dump does not see the database (email missing): the check above proves nothing")
	}
	x, err := e.svc.Export(ctx, u.ID, account.Meta{ActorID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if x.Account.Phone != seededPhone || len(x.Addresses) != 1 || x.Addresses[0].Line1 != seededStreet || x.Account.Email != "lindiwe@example.com" {
		t.Fatalf("export %+v", x)
	}
	// A reset mail in the dev mailbox is personal data too.
	if err := e.svc.Erase(ctx, u.ID, account.Meta{ActorID: u.ID}); err != nil {
		t.Fatal(err)
	}
	raw = e.db.Dump(t)
	for _, gone := range []string{"lindiwe@example.com", "Thandi Nkosi"} {
		if bytes.Contains(raw, []byte(gone)) {
			t.Errorf("after erasure the database still holds %q", gone)
		}
	}
	if addrs, _ := e.db.Store.Addresses(ctx, u.ID); len(addrs) != 0 {
		t.Error("addresses survive erasure")
	}
	if _, err := e.svc.SignIn(ctx, "lindiwe@example.com", "correct horse battery", account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatalf("erased account signs in: %v", err)
	}
	if _, err := e.svc.Export(ctx, u.ID, account.Meta{}); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("export after erasure: %v", err)
	}
	// The address can be used again by a new person.
	e.register(t, "lindiwe@example.com")
}

func testRefresh(t *testing.T, e *accountEnv) {
	u := e.register(t, "sipho@example.com")
	first, err := e.svc.IssueTokens(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.AccessUser(ctx, first.Access); err != nil || got.ID != u.ID {
		t.Fatalf("access token: %v", err)
	}
	second, _, err := e.svc.Refresh(ctx, first.Refresh, account.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	// The first token is spent: presenting it again is theft, and the
	// whole family (including the fresh second token) dies.
	if _, _, err := e.svc.Refresh(ctx, first.Refresh, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatalf("reuse: %v", err)
	}
	if _, _, err := e.svc.Refresh(ctx, second.Refresh, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatalf("token of a revoked family still works: %v", err)
	}
	// Another sign-in (another family) is untouched.
	other, _ := e.svc.IssueTokens(ctx, u)
	// Twenty clients race with one token: one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := e.svc.Refresh(ctx, other.Refresh, account.Meta{}); err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent refreshes with one token succeeded, want 1", wins.Load())
	}
	// Expiry: a family ends after RefreshLifetime whatever the rotations.
	fam, _ := e.svc.IssueTokens(ctx, u)
	e.clock.Advance(account.RefreshLifetime + time.Minute)
	if _, _, err := e.svc.Refresh(ctx, fam.Refresh, account.Meta{}); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatalf("expired family: %v", err)
	}
	if _, err := e.svc.AccessUser(ctx, fam.Access); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatalf("expired access token: %v", err)
	}
	if err := e.svc.RevokeRefresh(ctx, "ort_nonsense", account.Meta{}); err != nil {
		t.Fatalf("logout with junk: %v", err)
	}
}

func testReset(t *testing.T, e *accountEnv) {
	u := e.register(t, "anele@example.com")
	cookie, _, err := e.svc.StartSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	pair, _ := e.svc.IssueTokens(ctx, u)
	if err := e.svc.RequestReset(ctx, "nobody@example.com", account.Meta{}); err != nil {
		t.Fatalf("unknown address must get the same answer: %v", err)
	}
	if err := e.svc.RequestReset(ctx, "Anele@Example.com", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	msg := e.mail.Wait(t)
	if !strings.Contains(msg, "To: anele@example.com") || !strings.Contains(msg, "https://shop.test/account/reset?token=") {
		t.Fatalf("mail:\n%s", msg)
	}
	tok := ResetToken(t, msg)
	if err := e.svc.ResetPassword(ctx, tok, "123", account.Meta{}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatalf("weak new password: %v", err)
	}
	if err := e.svc.ResetPassword(ctx, tok, "a whole new password", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ResetPassword(ctx, tok, "yet another password", account.Meta{}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatalf("token used twice: %v", err)
	}
	if _, err := e.svc.SignIn(ctx, "anele@example.com", "a whole new password", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.SessionUser(ctx, cookie); err == nil {
		t.Fatal("a session survived the password reset")
	}
	if _, _, err := e.svc.Refresh(ctx, pair.Refresh, account.Meta{}); err == nil {
		t.Fatal("a refresh token survived the password reset")
	}
	// Expired links do not work.
	if err := e.svc.RequestReset(ctx, "anele@example.com", account.Meta{}); err != nil {
		t.Fatal(err)
	}
	tok = ResetToken(t, e.mail.Wait(t))
	e.clock.Advance(account.ResetLifetime + time.Second)
	if err := e.svc.ResetPassword(ctx, tok, "a whole new password 2", account.Meta{}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatalf("expired token: %v", err)
	}
	if err := e.svc.ResetPassword(ctx, "garbage", "a whole new password 2", account.Meta{}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatalf("garbage token: %v", err)
	}
}

func testSessions(t *testing.T, e *accountEnv) {
	u := e.register(t, "zola@example.com")
	c1, s1, err := e.svc.StartSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	c2, s2, _ := e.svc.StartSession(ctx, u)
	if c1 == c2 || s1.CSRF == s2.CSRF {
		t.Fatal("two sessions share a secret")
	}
	if raw := e.db.Dump(t); bytes.Contains(raw, []byte(c1)) {
		t.Fatal("the session cookie value is stored as is")
	}
	if _, got, err := e.svc.SessionUser(ctx, c1); err != nil || got.ID != u.ID {
		t.Fatalf("session: %v", err)
	}
	if !account.CheckCSRF(s1, s1.CSRF) || account.CheckCSRF(s1, s2.CSRF) || account.CheckCSRF(s1, "") {
		t.Fatal("CSRF check")
	}
	if err := e.svc.EndSession(ctx, c1, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.SessionUser(ctx, c1); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatalf("signed-out session: %v", err)
	}
	// Idle expiry, then absolute expiry despite activity.
	e.clock.Advance(account.CustomerIdle + time.Minute)
	if _, _, err := e.svc.SessionUser(ctx, c2); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatalf("idle session: %v", err)
	}
	c3, _, _ := e.svc.StartSession(ctx, u)
	for elapsed := time.Duration(0); elapsed < account.CustomerAbsolute; elapsed += 24 * time.Hour {
		e.clock.Advance(24 * time.Hour)
		_, _, _ = e.svc.SessionUser(ctx, c3)
	}
	if _, _, err := e.svc.SessionUser(ctx, c3); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatalf("session past its absolute end: %v", err)
	}
	for _, junk := range []string{"", "x", strings.Repeat("A", 43), "../../etc/passwd"} {
		if _, _, err := e.svc.SessionUser(ctx, junk); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
			t.Errorf("cookie %q: %v", junk, err)
		}
	}
}

func testOwnership(t *testing.T, e *accountEnv) {
	a := e.register(t, "a@example.com")
	b := e.register(t, "b@example.com")
	addr, err := e.svc.AddAddress(ctx, a.ID, account.Address{Address: ocean.Address{Name: "A", Line1: "1 Main Rd", City: "Durban", Country: "ZA"}}, account.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteAddress(ctx, b.ID, addr.ID, account.Meta{}); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("b deleted a's address: %v", err)
	}
	if got, _ := e.svc.Addresses(ctx, a.ID); len(got) != 1 {
		t.Fatal("a's address is gone")
	}
	if got, _ := e.svc.Addresses(ctx, b.ID); len(got) != 0 {
		t.Fatal("b sees a's address")
	}
	// Sealed values are bound to their owner: a copied ciphertext does not open.
	rows, _ := e.db.Store.Addresses(ctx, a.ID)
	if err := e.db.Store.AddAddress(ctx, &account.StoredAddress{UserID: b.ID, Data: rows[0].Data, Country: "ZA", CreatedAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Addresses(ctx, b.ID); err == nil {
		t.Fatal("a's sealed address opened as b's")
	}
}

func testKeyRotation(t *testing.T, e *accountEnv) {
	u := e.register(t, "k@example.com")
	phone := seededPhone
	if _, err := e.svc.UpdateProfile(ctx, u.ID, account.Profile{Phone: &phone}, account.Meta{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := e.svc.AddAddress(ctx, u.ID, account.Address{Address: ocean.Address{Name: "K", Line1: seededStreet, City: "Cape Town", Country: "ZA", Phone: strings.Repeat("1", 6+i)}}, account.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	old := e.keys.Primary()
	if _, err := e.keys.Rotate(); err != nil {
		t.Fatal(err)
	}
	n, err := e.svc.ReencryptAll(ctx)
	if err != nil || n != 4 {
		t.Fatalf("re-encrypted %d values, %v; want 4", n, err)
	}
	if err := e.keys.Remove(old); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.User(ctx, u.ID)
	if err != nil || got.Phone != seededPhone {
		t.Fatalf("after rotation: %v %q", err, got.Phone)
	}
	if addrs, err := e.svc.Addresses(ctx, u.ID); err != nil || len(addrs) != 3 || addrs[0].Line1 != seededStreet {
		t.Fatalf("addresses after rotation: %v %+v", err, addrs)
	}
	if n, err := e.svc.ReencryptAll(ctx); err != nil || n != 0 {
		t.Fatalf("second run re-encrypted %d, %v", n, err)
	}
}

func testRoles(t *testing.T, e *accountEnv) {
	admin, pw, err := e.svc.EnsureAdmin(ctx, "owner@example.com", "")
	if err != nil || admin == nil || len(pw) < 16 || !admin.IsAdmin() {
		t.Fatalf("first admin: %+v %q %v", admin, pw, err)
	}
	if again, _, err := e.svc.EnsureAdmin(ctx, "other@example.com", ""); err != nil || again != nil {
		t.Fatalf("a second first admin: %+v %v", again, err)
	}
	if _, err := e.svc.SignIn(ctx, "owner@example.com", pw, account.Meta{}); err != nil {
		t.Fatalf("generated password: %v", err)
	}
	c := e.register(t, "c@example.com")
	cookie, _, _ := e.svc.StartSession(ctx, c)
	if err := e.svc.SetRole(ctx, c.ID, "root", account.Meta{ActorID: admin.ID}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatalf("unknown role: %v", err)
	}
	// The staff role (migration 0014 widened the CHECK) is stored and read back.
	if err := e.svc.SetRole(ctx, c.ID, account.RoleStaff, account.Meta{ActorID: admin.ID}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.User(ctx, c.ID); err != nil || got.Role != account.RoleStaff || got.IsAdmin() || !got.IsStaff() {
		t.Fatalf("staff role: %+v %v", got, err)
	}
	if err := e.svc.SetRole(ctx, c.ID, account.RoleAdmin, account.Meta{ActorID: admin.ID}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.SessionUser(ctx, cookie); err == nil {
		t.Fatal("a session kept its id across a privilege change")
	}
	if err := e.svc.SetRole(ctx, admin.ID, account.RoleCustomer, account.Meta{ActorID: c.ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetRole(ctx, c.ID, account.RoleCustomer, account.Meta{}); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("demoting the last admin: %v", err)
	}
	if err := e.svc.Erase(ctx, c.ID, account.Meta{}); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("erasing the last admin: %v", err)
	}
}
