package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/secret"
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

// SetOrderExport sets how Export lists a shopper's orders: the checkout
// owns orders and is wired after accounts.
func (s *Service) SetOrderExport(f func(ctx context.Context, userID int64) ([]order.Export, error)) {
	s.orderExport.Store(&f)
}
