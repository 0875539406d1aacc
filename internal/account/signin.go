package account

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/throttle"
	"github.com/oceanshop/ocean/internal/token"
)

// Sign-in and sessions: registration, sign-in with throttling, the
// storefront's cookie sessions and the API's tokens.

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
	ok, rehash, err := verifyAdmitted(ctx, hash, password)
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
	if role == RoleAdmin || role == RoleStaff {
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
