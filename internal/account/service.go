package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/secret"
	"github.com/oceanshop/ocean/internal/throttle"
	"github.com/oceanshop/ocean/internal/token"
)

// Limiter slows down guessing: Check before an attempt says how long the
// key must wait, Fail records a failed attempt, Reset forgets the key.
// internal/throttle implements it in process; Redis does for a fleet.
type Limiter interface {
	Check(ctx context.Context, key string) (time.Duration, error)
	Fail(ctx context.Context, key string) (time.Duration, error)
	Reset(ctx context.Context, key string) error
}

// SendMail delivers one plain-text message.
type SendMail func(ctx context.Context, to, subject, text string) error

// Lifetimes. Staff sessions are short because they can do more harm.
const (
	CustomerIdle     = 7 * 24 * time.Hour
	CustomerAbsolute = 30 * 24 * time.Hour
	AdminIdle        = time.Hour
	AdminAbsolute    = 12 * time.Hour
	AccessTTL        = 15 * time.Minute
	RefreshLifetime  = 30 * 24 * time.Hour // of a family: sign in again after this
	ResetLifetime    = time.Hour
	touchEvery       = time.Minute // last_seen_at is written at most this often
)

// Config wires a Service.
type Config struct {
	Store  Store
	Keys   *secret.Keyring
	Tokens *token.Signer
	// SignInLimit and ResetLimit throttle per account and per IP.
	SignInLimit Limiter
	ResetLimit  Limiter
	Mail        SendMail
	// BaseURL is the shop's public origin for links in mail (never taken
	// from a request's Host header, which an attacker controls).
	BaseURL string
	Log     *slog.Logger
	Now     func() time.Time
	// ReloadKeys, when set, re-reads the encryption keys. It is called when
	// a value is under a key this process does not know: another process
	// (ocean keys rotate) re-encrypted it under a new key.
	ReloadKeys func() (*secret.Keyring, error)
}

// Service is the accounts use cases.
type Service struct {
	c      Config
	now    func() time.Time
	log    *slog.Logger
	keyset atomic.Pointer[secret.Keyring]
	// orderExport lists a shopper's orders for Export (SetOrderExport).
	orderExport atomic.Pointer[func(ctx context.Context, userID int64) ([]order.Export, error)]
	reload      sync.Mutex
}

// NewService returns the accounts service.
func NewService(c Config) *Service {
	s := &Service{c: c, now: c.Now, log: c.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.keyset.Store(c.Keys)
	return s
}

// Meta is what the service knows of the request behind a call.
type Meta struct {
	IP      string
	ActorID int64 // the signed-in account acting, if any
}

// Errors a client sees. Sign-in failures never say which part was wrong.
var (
	errBadCredentials = &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: "The email address or password is wrong."}
	errSignedOut      = &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: "Please sign in."}
	errRefresh        = &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: "The refresh token is not valid: sign in again."}
	errResetLink      = &ocean.Error{Code: ocean.EINVALID, Message: "This reset link is not valid any more: it was used, it expired, or it was mistyped. Ask for a new one.",
		Fields: []ocean.FieldError{{Field: "token", Message: "is not valid"}}}
)

// Throttled is the error of a throttled attempt; RetryAfter tells when to try again.
type Throttled struct{ RetryAfter time.Duration }

func (t *Throttled) Error() string {
	return "Too many attempts. Try again in " + humanDuration(t.RetryAfter) + "."
}

func throttled(d time.Duration) error {
	t := &Throttled{RetryAfter: d}
	return &ocean.Error{Code: ocean.ERATELIMITED, Message: t.Error(), Err: t}
}

// RetryAfter returns how long a throttled caller must wait, or 0.
func RetryAfter(err error) time.Duration {
	var t *Throttled
	if errors.As(err, &t) {
		return t.RetryAfter
	}
	return 0
}

func humanDuration(d time.Duration) string {
	s := int(math.Ceil(d.Seconds()))
	switch {
	case s <= 1:
		return "a second"
	case s < 120:
		return strconv.Itoa(s) + " seconds"
	default:
		return strconv.Itoa((s+59)/60) + " minutes"
	}
}

func (s *Service) audit(ctx context.Context, event string, actor, subject int64, m Meta, detail string) {
	e := &AuditEvent{At: s.now().UTC(), Event: event, ActorID: actor, SubjectID: subject, IP: m.IP, Detail: detail}
	if err := s.c.Store.Audit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit event not written", "event", event, "err", err)
	}
}

// ---------------------------------------------------------------- accounts

// Register creates a customer account.
func (s *Service) Register(ctx context.Context, email, password, name string, m Meta) (*User, error) {
	var fe []ocean.FieldError
	email, err := NormalizeEmail(email)
	if err != nil {
		fe = append(fe, ocean.ErrorFields(err)...)
	}
	name = strings.TrimSpace(name)
	fe = checkText(fe, "name", name, true, MaxName)
	if err := CheckPassword(password); err != nil {
		fe = append(fe, ocean.ErrorFields(err)...)
	}
	if len(fe) > 0 {
		return nil, ocean.Invalid(firstMessage(fe), fe...)
	}
	return s.create(ctx, email, password, name, RoleCustomer, m)
}

// SignUp is registration as the doors (web and API) offer it: its answer
// does not tell whether the address already had an account. With valid
// input it returns nil either way, after the same work (the password is
// hashed and an insert attempted in both cases); a new account is created
// and its owner welcomed by mail, while the owner of an existing account
// is told by mail that someone tried to register with the address, with
// links to sign in or reset the password. Mail goes in the background; the
// notices to one existing address are throttled like reset mail, so
// SignUp cannot be used to flood an inbox. Invalid input (which says
// nothing about existence) is an EINVALID error naming the fields.
func (s *Service) SignUp(ctx context.Context, email, password, name string, m Meta) error {
	u, err := s.Register(ctx, email, password, name, m)
	switch {
	case err == nil:
		go s.mailWelcome(context.WithoutCancel(ctx), u)
		return nil
	case ocean.ErrorCode(err) == ocean.ECONFLICT:
		norm, _ := NormalizeEmail(email) // valid: Register checked it
		go s.mailTaken(context.WithoutCancel(ctx), norm, m)
		return nil
	}
	return err
}

func (s *Service) mailWelcome(ctx context.Context, u *User) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	base := strings.TrimRight(s.c.BaseURL, "/")
	text := "Hello " + u.Name + ",\n\nYour Ocean account is ready. Sign in here:\n\n" + base + "/account/signin" +
		"\n\nIf you did not create it, reply to this message and we will remove it.\n"
	if err := s.c.Mail(ctx, u.Email, "Your account is ready", text); err != nil {
		s.log.Error("welcome mail not sent", "err", err)
	}
}

func (s *Service) mailTaken(ctx context.Context, email string, m Meta) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u, err := s.c.Store.UserByEmail(ctx, email)
	if err != nil || u.ErasedAt != nil {
		if err != nil && ocean.ErrorCode(err) != ocean.ENOTFOUND {
			s.log.Error("registration notice lookup failed", "err", err)
		}
		return
	}
	s.audit(ctx, EventRegisterTaken, 0, u.ID, m, "")
	key := throttle.AccountKey("register", email)
	if d, err := s.c.ResetLimit.Check(ctx, key); err != nil || d > 0 {
		return // told recently; the registration answer is the same anyway
	}
	_, _ = s.c.ResetLimit.Fail(ctx, key)
	base := strings.TrimRight(s.c.BaseURL, "/")
	text := "Hello " + u.Name + ",\n\nSomeone tried to create an Ocean account with this email address, which already has one. " +
		"No new account was made and yours is unchanged.\n\nIf it was you, sign in here:\n\n" + base + "/account/signin" +
		"\n\nForgot your password? Choose a new one here:\n\n" + base + "/account/forgot" +
		"\n\nIf it was not you, you can ignore this message.\n"
	if err := s.c.Mail(ctx, u.Email, "You already have an account", text); err != nil {
		s.log.Error("registration notice mail not sent", "err", err)
	}
}

func firstMessage(fe []ocean.FieldError) string {
	if len(fe) == 1 && fe[0].Field == "password" {
		return fe[0].Message
	}
	return "Some fields need attention."
}

func (s *Service) create(ctx context.Context, email, password, name, role string, m Meta) (*User, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := &User{Email: email, Name: name, Role: role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := s.c.Store.CreateUser(ctx, u); err != nil {
		if ocean.ErrorCode(err) == ocean.ECONFLICT {
			// Registration must say the address is taken; that is the one
			// place an address's existence shows, and it is throttled by the
			// API rate limit. The message does not help guess passwords.
			return nil, &ocean.Error{Code: ocean.ECONFLICT, Message: "An account with this email address exists. Sign in or reset its password.",
				Fields: []ocean.FieldError{{Field: "email", Message: "is already registered"}}}
		}
		return nil, err
	}
	ev := EventRegister
	if role == RoleAdmin {
		ev = EventAdminCreate
	}
	s.audit(ctx, ev, m.ActorID, u.ID, m, "")
	return u, nil
}

// User loads an account that has not been erased.
func (s *Service) User(ctx context.Context, id int64) (*User, error) {
	u, err := s.c.Store.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.ErasedAt != nil {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "No such account.")
	}
	if u.Phone, err = s.open(u.Phone, phoneAAD(u.ID)); err != nil {
		return nil, err
	}
	return u, nil
}

// SignIn checks an email and password, throttled per account and per IP.
// Unknown accounts cost the same time as known ones.
func (s *Service) SignIn(ctx context.Context, email, password string, m Meta) (*User, error) {
	norm, nerr := NormalizeEmail(email)
	if nerr != nil {
		norm = strings.ToLower(strings.TrimSpace(email))
	}
	acctKey, ipKey := throttleKeys("signin", norm, m.IP)
	if d, err := s.wait(ctx, s.c.SignInLimit, acctKey, ipKey); err != nil || d > 0 {
		if err == nil {
			s.audit(ctx, EventSignInThrottled, 0, 0, m, "")
			err = throttled(d)
		}
		return nil, err
	}
	var u *User
	if nerr == nil {
		var err error
		u, err = s.c.Store.UserByEmail(ctx, norm)
		if err != nil && ocean.ErrorCode(err) != ocean.ENOTFOUND {
			return nil, err
		}
	}
	hash := DummyHash
	if u != nil && u.ErasedAt == nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok, rehash, err := VerifyPassword(hash, password)
	if err != nil {
		return nil, err
	}
	if !ok || hash == DummyHash {
		var subject int64
		if u != nil {
			subject = u.ID
		}
		s.audit(ctx, EventSignInFailed, 0, subject, m, "")
		d1, err1 := s.c.SignInLimit.Fail(ctx, acctKey)
		d2, err2 := s.c.SignInLimit.Fail(ctx, ipKey)
		if err := errors.Join(err1, err2); err != nil {
			s.log.Warn("sign-in throttle not updated", "err", err)
		}
		_, _ = d1, d2
		return nil, errBadCredentials
	}
	if err := s.c.SignInLimit.Reset(ctx, acctKey); err != nil {
		s.log.Warn("sign-in throttle not reset", "err", err)
	}
	if rehash {
		if h, err := HashPassword(password); err == nil {
			_ = s.c.Store.SetPasswordHash(ctx, u.ID, h)
		}
	}
	s.audit(ctx, EventSignIn, u.ID, u.ID, m, "")
	if u.Phone, err = s.open(u.Phone, phoneAAD(u.ID)); err != nil {
		return nil, err
	}
	return u, nil
}

// throttleKeys are the per-account and per-client keys of an action; IPv6
// clients are grouped by /64, which one household or host usually holds.
func throttleKeys(action, email, ip string) (acct, client string) {
	acct = throttle.AccountKey(action, email)
	if addr, err := netip.ParseAddr(ip); err == nil {
		return acct, throttle.IPKey(action, addr)
	}
	return acct, action + ":ip:" + ip
}

// wait returns the longest delay any of the keys must still wait.
func (s *Service) wait(ctx context.Context, l Limiter, keys ...string) (time.Duration, error) {
	var longest time.Duration
	for _, k := range keys {
		d, err := l.Check(ctx, k)
		if err != nil {
			return 0, err
		}
		longest = max(longest, d)
	}
	return longest, nil
}

// Profile is a change to an account's own fields; nil leaves one as is.
type Profile struct {
	Email *string
	Name  *string
	Phone *string
}

// UpdateProfile changes the caller's own email, name or phone. A client
// cannot change anything else (role, password) this way.
func (s *Service) UpdateProfile(ctx context.Context, id int64, p Profile, m Meta) (*User, error) {
	u, err := s.User(ctx, id)
	if err != nil {
		return nil, err
	}
	var fe []ocean.FieldError
	if p.Email != nil {
		e, err := NormalizeEmail(*p.Email)
		if err != nil {
			fe = append(fe, ocean.ErrorFields(err)...)
		}
		u.Email = e
	}
	if p.Name != nil {
		u.Name = strings.TrimSpace(*p.Name)
		fe = checkText(fe, "name", u.Name, true, MaxName)
	}
	if p.Phone != nil {
		u.Phone = strings.TrimSpace(*p.Phone)
		fe = checkPhone(fe, "phone", u.Phone)
	}
	if len(fe) > 0 {
		return nil, ocean.Invalid("Some fields need attention.", fe...)
	}
	stored := *u
	if stored.Phone, err = s.seal(u.Phone, phoneAAD(u.ID)); err != nil {
		return nil, err
	}
	stored.UpdatedAt = s.now().UTC()
	if err := s.c.Store.UpdateUser(ctx, &stored); err != nil {
		if ocean.ErrorCode(err) == ocean.ECONFLICT {
			return nil, &ocean.Error{Code: ocean.ECONFLICT, Message: "Another account uses this email address.", Fields: []ocean.FieldError{{Field: "email", Message: "is already registered"}}}
		}
		return nil, err
	}
	s.audit(ctx, EventProfileChange, m.ActorID, u.ID, m, "")
	return u, nil
}

// ChangePassword sets a new password after checking the current one, and
// signs out every other browser and API client of the account.
func (s *Service) ChangePassword(ctx context.Context, id int64, current, next string, keepSession string, m Meta) error {
	u, err := s.c.Store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	// A stolen session must not become a way to guess the password: wrong
	// current passwords count against the account like failed sign-ins.
	acctKey := throttle.AccountKey("signin", u.Email)
	if d, err := s.wait(ctx, s.c.SignInLimit, acctKey); err != nil || d > 0 {
		if err == nil {
			err = throttled(d)
		}
		return err
	}
	if ok, _, err := VerifyPassword(u.PasswordHash, current); err != nil || !ok {
		_, _ = s.c.SignInLimit.Fail(ctx, acctKey)
		s.audit(ctx, EventSignInFailed, id, id, m, "wrong current password")
		return &ocean.Error{Code: ocean.EINVALID, Message: "The current password is wrong.", Fields: []ocean.FieldError{{Field: "current_password", Message: "is wrong"}}}
	}
	if err := CheckPassword(next); err != nil {
		return err
	}
	if err := s.setPassword(ctx, id, next, keepSession); err != nil {
		return err
	}
	s.audit(ctx, EventPasswordChange, id, id, m, "")
	return nil
}

func (s *Service) setPassword(ctx context.Context, id int64, pw, keepSession string) error {
	h, err := HashPassword(pw)
	if err != nil {
		return err
	}
	if err := s.c.Store.SetPasswordHash(ctx, id, h); err != nil {
		return err
	}
	return s.signOutEverywhere(ctx, id, keepSession)
}

func (s *Service) signOutEverywhere(ctx context.Context, id int64, keepSession string) error {
	var keep *Session
	if keepSession != "" {
		keep, _ = s.c.Store.Session(ctx, hashSecret(keepSession))
	}
	if err := s.c.Store.DeleteUserSessions(ctx, id); err != nil {
		return err
	}
	if keep != nil && keep.UserID == id {
		if err := s.c.Store.CreateSession(ctx, keep); err != nil {
			return err
		}
	}
	return s.c.Store.RevokeUserRefresh(ctx, id)
}

// ---------------------------------------------------------------- reset

// RequestReset mails a single-use link if the address has an account. The
// answer and its timing are the same either way: the mail is sent in the
// background.
func (s *Service) RequestReset(ctx context.Context, email string, m Meta) error {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	acctKey, ipKey := throttleKeys("reset", norm, m.IP)
	if d, err := s.wait(ctx, s.c.ResetLimit, acctKey, ipKey); err != nil || d > 0 {
		if err == nil {
			err = throttled(d)
		}
		return err
	}
	// Every request counts, known address or not, so the limit itself
	// says nothing about whether an account exists.
	_, _ = s.c.ResetLimit.Fail(ctx, acctKey)
	_, _ = s.c.ResetLimit.Fail(ctx, ipKey)
	go s.sendReset(context.WithoutCancel(ctx), norm, m)
	return nil
}

func (s *Service) sendReset(ctx context.Context, email string, m Meta) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u, err := s.c.Store.UserByEmail(ctx, email)
	if err != nil || u.ErasedAt != nil {
		if err != nil && ocean.ErrorCode(err) != ocean.ENOTFOUND {
			s.log.Error("password reset lookup failed", "err", err)
		}
		return
	}
	tok, err := randomSecret()
	if err != nil {
		s.log.Error("password reset token", "err", err)
		return
	}
	if err := s.c.Store.CreateReset(ctx, &Reset{Hash: hashSecret(tok), UserID: u.ID, ExpiresAt: s.now().UTC().Add(ResetLifetime)}); err != nil {
		s.log.Error("password reset not stored", "err", err)
		return
	}
	s.audit(ctx, EventResetRequest, 0, u.ID, m, "")
	link := strings.TrimRight(s.c.BaseURL, "/") + "/account/reset?token=" + tok
	text := "Hello " + u.Name + ",\n\nSomeone asked to reset the password of your Ocean account. " +
		"If it was you, choose a new password here within an hour:\n\n" + link +
		"\n\nThe link works once. If you did not ask, ignore this message: your password stays as it is.\n"
	if err := s.c.Mail(ctx, u.Email, "Reset your password", text); err != nil {
		s.log.Error("password reset mail not sent", "err", err)
	}
}

// ResetPassword sets a new password with a token from RequestReset's mail.
// The token works once; every session and API client is signed out.
func (s *Service) ResetPassword(ctx context.Context, tok, password string, m Meta) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	if !validSecret(tok) {
		return errResetLink
	}
	id, err := s.c.Store.ConsumeReset(ctx, hashSecret(tok), s.now().UTC())
	if err != nil {
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			return errResetLink
		}
		return err
	}
	if err := s.setPassword(ctx, id, password, ""); err != nil {
		return err
	}
	_ = s.c.SignInLimit.Reset(ctx, throttle.AccountKey("signin", s.emailOf(ctx, id)))
	s.audit(ctx, EventReset, id, id, m, "")
	return nil
}

func (s *Service) emailOf(ctx context.Context, id int64) string {
	u, err := s.c.Store.UserByID(ctx, id)
	if err != nil {
		return ""
	}
	return u.Email
}

// ---------------------------------------------------------------- sessions

// StartSession creates a storefront session and returns the cookie value.
func (s *Service) StartSession(ctx context.Context, u *User) (string, *Session, error) {
	secretValue, err := randomSecret()
	if err != nil {
		return "", nil, err
	}
	csrf, err := randomSecret()
	if err != nil {
		return "", nil, err
	}
	now := s.now().UTC()
	_, absolute := sessionLimits(u.Role)
	sess := &Session{IDHash: hashSecret(secretValue), UserID: u.ID, CSRF: csrf, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(absolute)}
	if err := s.c.Store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return secretValue, sess, nil
}

func sessionLimits(role string) (idle, absolute time.Duration) {
	if role == RoleAdmin {
		return AdminIdle, AdminAbsolute
	}
	return CustomerIdle, CustomerAbsolute
}

// SessionUser returns the session and account behind a cookie value, or
// EUNAUTHORIZED when it is unknown, idle too long or past its end.
func (s *Service) SessionUser(ctx context.Context, cookie string) (*Session, *User, error) {
	if !validSecret(cookie) {
		return nil, nil, errSignedOut
	}
	h := hashSecret(cookie)
	sess, err := s.c.Store.Session(ctx, h)
	if err != nil {
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			return nil, nil, errSignedOut
		}
		return nil, nil, err
	}
	u, err := s.c.Store.UserByID(ctx, sess.UserID)
	if err != nil || u.ErasedAt != nil {
		_ = s.c.Store.DeleteSession(ctx, h)
		return nil, nil, errSignedOut
	}
	now := s.now().UTC()
	idle, _ := sessionLimits(u.Role)
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > idle {
		_ = s.c.Store.DeleteSession(ctx, h)
		return nil, nil, errSignedOut
	}
	if now.Sub(sess.LastSeenAt) > touchEvery {
		_ = s.c.Store.TouchSession(ctx, h, now)
	}
	if u.Phone, err = s.open(u.Phone, phoneAAD(u.ID)); err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// EndSession signs a browser out: the server record is deleted.
func (s *Service) EndSession(ctx context.Context, cookie string, m Meta) error {
	if !validSecret(cookie) {
		return nil
	}
	s.audit(ctx, EventSignOut, m.ActorID, m.ActorID, m, "session")
	return s.c.Store.DeleteSession(ctx, hashSecret(cookie))
}

// CheckCSRF compares a submitted form token with the session's.
func CheckCSRF(sess *Session, submitted string) bool {
	return sess != nil && submitted != "" && subtle.ConstantTimeCompare([]byte(sess.CSRF), []byte(submitted)) == 1
}

// ---------------------------------------------------------------- API tokens

// Tokens is an access and refresh token pair.
type Tokens struct {
	Access    string
	Refresh   string
	ExpiresIn time.Duration
}

// IssueTokens starts a new refresh family for u.
func (s *Service) IssueTokens(ctx context.Context, u *User) (*Tokens, error) {
	fam, err := randomSecret()
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, u, fam[:22], s.now().UTC().Add(RefreshLifetime))
}

func (s *Service) issue(ctx context.Context, u *User, family string, end time.Time) (*Tokens, error) {
	now := s.now().UTC()
	at, err := s.c.Tokens.Issue(token.Claims{Subject: strconv.FormatInt(u.ID, 10), Role: u.Role, TTL: AccessTTL}, now)
	if err != nil {
		return nil, err
	}
	rt, hash, err := token.NewRefresh()
	if err != nil {
		return nil, err
	}
	if err := s.c.Store.CreateRefresh(ctx, &Refresh{Hash: hex.EncodeToString(hash), Family: family, UserID: u.ID, CreatedAt: now, ExpiresAt: end}); err != nil {
		return nil, err
	}
	return &Tokens{Access: at, Refresh: rt, ExpiresIn: AccessTTL}, nil
}

// Refresh spends a refresh token and returns a new pair in the same family.
// A token presented twice means it leaked: the whole family is revoked, so
// both the thief and the owner must sign in again.
func (s *Service) Refresh(ctx context.Context, rt string, m Meta) (*Tokens, *User, error) {
	if token.ParseRefresh(rt) != nil {
		return nil, nil, errRefresh
	}
	now := s.now().UTC()
	r, reused, err := s.c.Store.SpendRefresh(ctx, hex.EncodeToString(token.HashRefresh(rt)), now)
	if err != nil {
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			return nil, nil, errRefresh
		}
		return nil, nil, err
	}
	if reused {
		if err := s.c.Store.RevokeFamily(ctx, r.Family); err != nil {
			return nil, nil, err
		}
		s.audit(ctx, EventRefreshReuse, 0, r.UserID, m, "family revoked")
		return nil, nil, errRefresh
	}
	u, err := s.c.Store.UserByID(ctx, r.UserID)
	if err != nil || u.ErasedAt != nil {
		return nil, nil, errRefresh
	}
	t, err := s.issue(ctx, u, r.Family, r.ExpiresAt)
	if err != nil {
		return nil, nil, err
	}
	return t, u, nil
}

// RevokeRefresh signs an API client out: its refresh family is revoked.
// Unknown tokens are ignored (sign-out is idempotent).
func (s *Service) RevokeRefresh(ctx context.Context, rt string, m Meta) error {
	if token.ParseRefresh(rt) != nil {
		return nil
	}
	r, _, err := s.c.Store.SpendRefresh(ctx, hex.EncodeToString(token.HashRefresh(rt)), s.now().UTC())
	if err != nil {
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			return nil
		}
		return err
	}
	s.audit(ctx, EventSignOut, r.UserID, r.UserID, m, "api")
	return s.c.Store.RevokeFamily(ctx, r.Family)
}

// AccessUser verifies an access token and loads its account. The role is
// read from the database, not trusted from the token, so a demotion takes
// effect at once.
func (s *Service) AccessUser(ctx context.Context, at string) (*User, error) {
	v, err := s.c.Tokens.Verify(at, s.now())
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(v.Subject, 10, 64)
	if err != nil {
		return nil, &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: "The access token is not valid."}
	}
	u, err := s.User(ctx, id)
	if err != nil {
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			return nil, &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: "The access token is not valid."}
		}
		return nil, err
	}
	return u, nil
}

// ---------------------------------------------------------------- addresses

func phoneAAD(userID int64) string   { return "user.phone:" + strconv.FormatInt(userID, 10) }
func addressAAD(userID int64) string { return "address.data:" + strconv.FormatInt(userID, 10) }

func (s *Service) seal(plain, aad string) (string, error) {
	if plain == "" {
		return "", nil
	}
	return s.keys().EncryptString(plain, aad)
}

func (s *Service) keys() *secret.Keyring { return s.keyset.Load() }

// reloadKeys swaps in the key file's current keys, once for a burst of
// callers that all met the same new key.
func (s *Service) reloadKeys(seen *secret.Keyring) bool {
	if s.c.ReloadKeys == nil {
		return false
	}
	s.reload.Lock()
	defer s.reload.Unlock()
	if s.keys() != seen {
		return true // another caller reloaded meanwhile
	}
	k, err := s.c.ReloadKeys()
	if err != nil {
		s.log.Error("encryption keys not reloaded", "err", err)
		return false
	}
	s.keyset.Store(k)
	s.log.Info("encryption keys reloaded", "primary", k.Primary())
	return true
}

func (s *Service) open(sealed, aad string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	keys := s.keys()
	p, err := keys.DecryptString(sealed, aad)
	if errors.Is(err, secret.ErrUnknownKey) && s.reloadKeys(keys) {
		p, err = s.keys().DecryptString(sealed, aad)
	}
	if err != nil {
		return "", fmt.Errorf("decrypt personal data: %w", err)
	}
	return p, nil
}

type addressData struct {
	Name       string `json:"n"`
	Line1      string `json:"l1"`
	Line2      string `json:"l2,omitempty"`
	City       string `json:"c"`
	PostalCode string `json:"p,omitempty"`
	Phone      string `json:"t,omitempty"`
}

// Addresses lists the account's address book, default first.
func (s *Service) Addresses(ctx context.Context, userID int64) ([]Address, error) {
	rows, err := s.c.Store.Addresses(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Address, 0, len(rows))
	for _, r := range rows {
		plain, err := s.open(r.Data, addressAAD(userID))
		if err != nil {
			return nil, err
		}
		var d addressData
		if err := json.Unmarshal([]byte(plain), &d); err != nil {
			return nil, fmt.Errorf("address %d: %w", r.ID, err)
		}
		a := Address{ID: r.ID, Name: d.Name, Line1: d.Line1, Line2: d.Line2, City: d.City, PostalCode: d.PostalCode, Phone: d.Phone, Country: r.Country, IsDefault: r.IsDefault}
		if a.IsDefault {
			out = append([]Address{a}, out...)
		} else {
			out = append(out, a)
		}
	}
	return out, nil
}

// MaxAddresses bounds an address book.
const MaxAddresses = 20

// AddAddress adds to the caller's address book; the first becomes default.
func (s *Service) AddAddress(ctx context.Context, userID int64, a Address, m Meta) (*Address, error) {
	a.Name, a.Line1, a.Line2, a.City, a.PostalCode, a.Phone = strings.TrimSpace(a.Name), strings.TrimSpace(a.Line1), strings.TrimSpace(a.Line2), strings.TrimSpace(a.City), strings.TrimSpace(a.PostalCode), strings.TrimSpace(a.Phone)
	if err := a.Validate(); err != nil {
		return nil, err
	}
	existing, err := s.c.Store.Addresses(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(existing) >= MaxAddresses {
		return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "The address book is full (" + strconv.Itoa(MaxAddresses) + " addresses): delete one first."}
	}
	if len(existing) == 0 {
		a.IsDefault = true
	}
	b, _ := json.Marshal(addressData{Name: a.Name, Line1: a.Line1, Line2: a.Line2, City: a.City, PostalCode: a.PostalCode, Phone: a.Phone})
	sealed, err := s.seal(string(b), addressAAD(userID))
	if err != nil {
		return nil, err
	}
	r := &StoredAddress{UserID: userID, Data: sealed, Country: a.Country, IsDefault: a.IsDefault, CreatedAt: s.now().UTC()}
	if err := s.c.Store.AddAddress(ctx, r); err != nil {
		return nil, err
	}
	a.ID = r.ID
	s.audit(ctx, EventProfileChange, m.ActorID, userID, m, "address added")
	return &a, nil
}

// DeleteAddress removes one of the caller's addresses; another account's
// address is ENOTFOUND, exactly like a missing one.
func (s *Service) DeleteAddress(ctx context.Context, userID, id int64, m Meta) error {
	if err := s.c.Store.DeleteAddress(ctx, userID, id); err != nil {
		return err
	}
	s.audit(ctx, EventProfileChange, m.ActorID, userID, m, "address deleted")
	return nil
}

// ---------------------------------------------------------------- export, erasure

// Export is every piece of personal data the shop holds about an account.
type Export struct {
	ExportedAt time.Time      `json:"exported_at"`
	Account    ExportUser     `json:"account"`
	Addresses  []Address      `json:"addresses"`
	Orders     []order.Export `json:"orders"`
	Events     []AuditEvent   `json:"security_events"`
}

// ExportUser is the account part of an export.
type ExportUser struct {
	ID        int64     `json:"id,string"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Export gathers the account's personal data.
func (s *Service) Export(ctx context.Context, id int64, m Meta) (*Export, error) {
	u, err := s.User(ctx, id)
	if err != nil {
		return nil, err
	}
	addrs, err := s.Addresses(ctx, id)
	if err != nil {
		return nil, err
	}
	events, err := s.c.Store.AuditEvents(ctx, id, 0, 1000)
	if err != nil {
		return nil, err
	}
	orders := []order.Export{}
	if f := s.orderExport.Load(); f != nil {
		if orders, err = (*f)(ctx, id); err != nil {
			return nil, err
		}
	}
	s.audit(ctx, EventExport, m.ActorID, id, m, "")
	return &Export{ExportedAt: s.now().UTC(), Account: ExportUser{ID: u.ID, Email: u.Email, Name: u.Name, Phone: u.Phone, Role: u.Role, CreatedAt: u.CreatedAt},
		Addresses: addrs, Orders: orders, Events: events}, nil
}

// Erase deletes an account's personal data. The account row stays with a
// pseudonym so orders (kept for invoices) still point somewhere.
func (s *Service) Erase(ctx context.Context, id int64, m Meta) error {
	u, err := s.User(ctx, id)
	if err != nil {
		return err
	}
	if u.Role == RoleAdmin {
		n, err := s.c.Store.CountAdmins(ctx)
		if err != nil {
			return err
		}
		if n <= 1 {
			return &ocean.Error{Code: ocean.ECONFLICT, Message: "This is the shop's last admin account: make another admin before deleting it."}
		}
	}
	pseudonym := "erased-" + strconv.FormatInt(id, 10) + "@invalid"
	if err := s.c.Store.Erase(ctx, id, pseudonym, s.now().UTC()); err != nil {
		return err
	}
	s.audit(ctx, EventErase, m.ActorID, id, m, "")
	return nil
}

// ---------------------------------------------------------------- staff

// Users lists accounts for the admin.
// Personal fields that the list does not need (the sealed phone, the
// password hash) are cleared.
func (s *Service) Users(ctx context.Context, after int64, limit int) ([]User, error) {
	users, err := s.c.Store.Users(ctx, after, limit)
	for i := range users {
		users[i].Phone, users[i].PasswordHash = "", ""
	}
	return users, err
}

// SetRole changes an account's role. The account is signed out everywhere,
// so its next session starts with a new id and the new privileges.
func (s *Service) SetRole(ctx context.Context, id int64, role string, m Meta) error {
	if role != RoleAdmin && role != RoleCustomer {
		return ocean.Invalid("The role is not valid.", ocean.FieldError{Field: "role", Message: "must be customer or admin"})
	}
	u, err := s.User(ctx, id)
	if err != nil {
		return err
	}
	if u.Role == role {
		return nil
	}
	if u.Role == RoleAdmin {
		n, err := s.c.Store.CountAdmins(ctx)
		if err != nil {
			return err
		}
		if n <= 1 {
			return &ocean.Error{Code: ocean.ECONFLICT, Message: "The shop needs at least one admin."}
		}
	}
	if err := s.c.Store.SetRole(ctx, id, role); err != nil {
		return err
	}
	if err := s.signOutEverywhere(ctx, id, ""); err != nil {
		return err
	}
	s.audit(ctx, EventRoleChange, m.ActorID, id, m, u.Role+" → "+role)
	return nil
}

// CreateAdmin makes a staff account (or promotes an existing one, keeping
// its password when password is empty).
func (s *Service) CreateAdmin(ctx context.Context, email, password, name string, m Meta) (*User, error) {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if existing, err := s.c.Store.UserByEmail(ctx, norm); err == nil && existing.ErasedAt == nil {
		if password != "" {
			if err := CheckPassword(password); err != nil {
				return nil, err
			}
			if err := s.setPassword(ctx, existing.ID, password, ""); err != nil {
				return nil, err
			}
		}
		if existing.Role != RoleAdmin {
			if err := s.c.Store.SetRole(ctx, existing.ID, RoleAdmin); err != nil {
				return nil, err
			}
			if err := s.signOutEverywhere(ctx, existing.ID, ""); err != nil {
				return nil, err
			}
			s.audit(ctx, EventRoleChange, m.ActorID, existing.ID, m, existing.Role+" → admin")
			existing.Role = RoleAdmin
		}
		return existing, nil
	}
	if err := CheckPassword(password); err != nil {
		return nil, err
	}
	if name == "" {
		name = "Shop admin"
	}
	return s.create(ctx, norm, password, name, RoleAdmin, m)
}

// EnsureAdmin creates the first admin when the shop has none. With no
// password given it generates one and returns it to be shown once.
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) (u *User, generated string, err error) {
	n, err := s.c.Store.CountAdmins(ctx)
	if err != nil || n > 0 {
		return nil, "", err
	}
	if password == "" {
		if generated, err = GeneratePassword(); err != nil {
			return nil, "", err
		}
		password = generated
	}
	u, err = s.CreateAdmin(ctx, email, password, "Shop admin", Meta{})
	if ocean.ErrorCode(err) == ocean.ECONFLICT {
		// Instances of a fleet starting at once: another one won the race.
		if n, cerr := s.c.Store.CountAdmins(ctx); cerr == nil && n > 0 {
			return nil, "", nil
		}
	}
	if err != nil {
		return nil, "", err
	}
	return u, generated, nil
}

// GeneratePassword returns a random 20-character password.
func GeneratePassword() (string, error) {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)] // 256 % 57 bias is negligible at 20 chars
	}
	return string(b), nil
}

// AuditEvents lists the security log for the admin.
func (s *Service) AuditEvents(ctx context.Context, userID, before int64, limit int) ([]AuditEvent, error) {
	return s.c.Store.AuditEvents(ctx, userID, before, limit)
}

// RecordAdminAction writes an admin action to the audit log.
func (s *Service) RecordAdminAction(ctx context.Context, action string, m Meta) {
	s.audit(ctx, "admin."+action, m.ActorID, 0, m, "")
}

// RecordAdminActionDetail writes an admin action with what it was given
// and how it ended (cut to 1000 bytes) to the audit log.
func (s *Service) RecordAdminActionDetail(ctx context.Context, action, detail string, m Meta) {
	if len(detail) > 1000 {
		detail = strings.ToValidUTF8(detail[:1000], "")
	}
	s.audit(ctx, "admin."+action, m.ActorID, 0, m, detail)
}

// ---------------------------------------------------------------- keys

// ReencryptAll rewrites every encrypted value not under the keyring's
// primary key. Safe while the shop serves: each value is swapped only if it
// did not change meanwhile, and either key decrypts during the run.
func (s *Service) ReencryptAll(ctx context.Context) (n int, err error) {
	kind, after := "", int64(0)
	for {
		batch, err := s.c.Store.Secrets(ctx, kind, after, 200)
		if err != nil {
			return n, err
		}
		if len(batch) == 0 {
			break
		}
		for _, sec := range batch {
			kind, after = sec.Kind, sec.ID
			if !s.keys().NeedsReencrypt(sec.Value) {
				continue
			}
			aad := sec.Kind + ":" + strconv.FormatInt(sec.Owner, 10)
			if sec.AAD != "" {
				aad = sec.AAD
			}
			nv, err := s.keys().Reencrypt(sec.Value, []byte(aad))
			if err != nil {
				return n, fmt.Errorf("%s %d: %w", sec.Kind, sec.ID, err)
			}
			ok, err := s.c.Store.ReplaceSecret(ctx, sec, nv)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
	}
	s.audit(ctx, EventKeysRotate, 0, 0, Meta{}, strconv.Itoa(n)+" values re-encrypted")
	return n, nil
}

// ---------------------------------------------------------------- secrets

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func validSecret(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Seal encrypts personal data another package stores (an order's address)
// under the primary key, bound to aad so it cannot be moved to another row.
func (s *Service) Seal(plain, aad string) (string, error) { return s.seal(plain, aad) }

// Open decrypts what Seal produced with the same aad.
func (s *Service) Open(sealed, aad string) (string, error) { return s.open(sealed, aad) }

// SetOrderExport sets how Export lists a shopper's orders: the checkout
// owns orders and is wired after accounts.
func (s *Service) SetOrderExport(f func(ctx context.Context, userID int64) ([]order.Export, error)) {
	s.orderExport.Store(&f)
}
