// Package account is who shoppers and staff are: accounts, passwords,
// storefront sessions, API tokens, password resets, addresses, the audit log
// of security events, and the export and erasure of personal data. It knows
// nothing of SQL or HTTP; adapters implement Store.
//
// Personal fields that identify where a person lives or how to call them
// (phone numbers, addresses) are encrypted by this package before they reach
// the Store, so no database, backup or log holds them in plain text.
package account

import (
	"context"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Roles.
const (
	RoleCustomer = "customer"
	RoleAdmin    = "admin"
	// RoleStaff runs the shop day to day: catalog, orders and inventory,
	// not settings, accounts or keys (see Can and roles.go).
	RoleStaff = "staff"
)

// User is an account. Phone is plain text here and encrypted in the Store.
type User struct {
	ID           int64
	Email        string
	Name         string
	Phone        string
	Role         string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ErasedAt     *time.Time
}

// IsAdmin reports whether the account may use the admin.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin && u.ErasedAt == nil }

// Address is an entry in a customer's address book. Its JSON is the
// address's fields between "id" and "is_default".
type Address struct {
	ID int64 `json:"id,string"`
	ocean.Address
	IsDefault bool `json:"is_default"`
}

// StoredAddress is an address as the Store keeps it: the personal fields
// sealed in Data, the country in clear for shipping and tax rules.
type StoredAddress struct {
	ID        int64
	UserID    int64
	Data      string
	Country   string
	IsDefault bool
	CreatedAt time.Time
}

// Session is a signed-in storefront browser. The cookie holds a random
// secret; the Store holds only its SHA-256 (IDHash).
type Session struct {
	IDHash     string
	UserID     int64
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end
}

// Refresh is a stored refresh token: only its hash, the family it belongs to
// (one sign-in and its rotations) and the family's absolute end.
type Refresh struct {
	Hash      string
	Family    string
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Reset is a password-reset token (hash only).
type Reset struct {
	Hash      string
	UserID    int64
	ExpiresAt time.Time
}

// AuditEvent is one security event. Accounts are named by id only, so the
// log stays meaningful but holds no personal data once an account is erased.
type AuditEvent struct {
	ID        int64     `json:"id,string"`
	At        time.Time `json:"at"`
	Event     string    `json:"event"`
	ActorID   int64     `json:"actor_id,string,omitempty"`
	SubjectID int64     `json:"subject_id,string,omitempty"`
	IP        string    `json:"ip,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

// Audit event names.
const (
	EventRegister        = "account.register"
	EventRegisterTaken   = "account.register_taken" // a registration for an address that has an account
	EventSignIn          = "signin.success"
	EventSignInFailed    = "signin.failure"
	EventSignInThrottled = "signin.throttled"
	EventSignOut         = "signout"
	EventRefreshReuse    = "token.refresh_reuse"
	EventPasswordChange  = "password.change"
	EventResetRequest    = "password.reset_request"
	EventReset           = "password.reset"
	EventProfileChange   = "profile.change"
	EventRoleChange      = "role.change"
	EventExport          = "data.export"
	EventErase           = "data.erase"
	EventAdminCreate     = "admin.create"
	EventKeysRotate      = "keys.rotate"
)

// Secret is one encrypted value, for re-encryption under a new key.
type Secret struct {
	Kind  string // "user.phone", "address.data" or "order.address"
	ID    int64
	Owner int64 // the user the value belongs to (part of its associated data)
	Value string
	AAD   string // the associated data when it is not "Kind:Owner" (order addresses)
}

// Store is what accounts need from a database. Not-found is ENOTFOUND; a
// taken email is ECONFLICT.
type Store interface {
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id int64) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUser writes email, name, phone and updated_at.
	UpdateUser(ctx context.Context, u *User) error
	SetPasswordHash(ctx context.Context, id int64, hash string) error
	SetRole(ctx context.Context, id int64, role string) error
	// Users lists accounts by id after the given id.
	Users(ctx context.Context, after int64, limit int) ([]User, error)
	CountAdmins(ctx context.Context) (int, error)

	Addresses(ctx context.Context, userID int64) ([]StoredAddress, error)
	// AddAddress inserts; when a.IsDefault the user's other addresses stop being default.
	AddAddress(ctx context.Context, a *StoredAddress) error
	// DeleteAddress removes the user's address; ENOTFOUND when the user has none with that id.
	DeleteAddress(ctx context.Context, userID, id int64) error

	CreateSession(ctx context.Context, s *Session) error
	Session(ctx context.Context, idHash string) (*Session, error)
	TouchSession(ctx context.Context, idHash string, at time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
	DeleteUserSessions(ctx context.Context, userID int64) error

	CreateRefresh(ctx context.Context, r *Refresh) error
	// SpendRefresh marks an unspent, unrevoked, unexpired token spent and
	// returns it. For a token that exists but was already spent or revoked
	// it returns the token and reused = true; unknown or expired: ENOTFOUND.
	SpendRefresh(ctx context.Context, hash string, now time.Time) (r *Refresh, reused bool, err error)
	RevokeFamily(ctx context.Context, family string) error
	RevokeUserRefresh(ctx context.Context, userID int64) error

	CreateReset(ctx context.Context, r *Reset) error
	// ConsumeReset marks an unused, unexpired reset token used (once) and
	// returns its user id; otherwise ENOTFOUND.
	ConsumeReset(ctx context.Context, hash string, now time.Time) (int64, error)

	Audit(ctx context.Context, e *AuditEvent) error
	// AuditEvents lists events newest first, before the given id (0: from the
	// newest), optionally only those whose actor or subject is userID.
	AuditEvents(ctx context.Context, userID, before int64, limit int) ([]AuditEvent, error)

	// Erase replaces the account's personal data by the pseudonym and
	// deletes its addresses, sessions, tokens and mail, in one transaction.
	Erase(ctx context.Context, id int64, pseudonym string, at time.Time) error

	// Secrets lists encrypted values after (kind, id) in a fixed order;
	// ReplaceSecret swaps one if it still holds old (false if it changed).
	Secrets(ctx context.Context, afterKind string, afterID int64, limit int) ([]Secret, error)
	ReplaceSecret(ctx context.Context, s Secret, newValue string) (bool, error)
}

// Limits on what a person may type.
const (
	MaxEmail = 254
	MaxName  = 100
	MaxPhone = 32
	MaxLine  = 200
)

// NormalizeEmail lowercases and trims an address and checks it is one
// person's plain address (no display name, no list).
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	bad := ocean.Invalid("The email address is not valid.", ocean.FieldError{Field: "email", Message: "must be an email address like name@example.com"})
	if s == "" || len(s) > MaxEmail || !utf8.ValidString(s) {
		return "", bad
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") && !strings.HasSuffix(s, "@localhost") {
		return "", bad
	}
	return s, nil
}

func checkText(fe []ocean.FieldError, field, v string, required bool, max int) []ocean.FieldError {
	switch {
	case required && strings.TrimSpace(v) == "":
		return append(fe, ocean.FieldError{Field: field, Message: "is required"})
	case !utf8.ValidString(v):
		return append(fe, ocean.FieldError{Field: field, Message: "is not valid UTF-8 text"})
	case utf8.RuneCountInString(v) > max:
		return append(fe, ocean.FieldError{Field: field, Message: "must be at most " + strconv.Itoa(max) + " characters"})
	case strings.ContainsAny(v, "\x00\r\n"):
		return append(fe, ocean.FieldError{Field: field, Message: "must be a single line"})
	}
	return fe
}

func checkPhone(fe []ocean.FieldError, field, v string) []ocean.FieldError {
	if v == "" {
		return fe
	}
	digits := 0
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+ ()-.", r):
		default:
			return append(fe, ocean.FieldError{Field: field, Message: "must be a phone number: digits, spaces, + ( ) - ."})
		}
	}
	if digits < 5 || len(v) > MaxPhone {
		return append(fe, ocean.FieldError{Field: field, Message: "must be a phone number of 5 to 20 digits"})
	}
	return fe
}

// Validate checks an address a person typed.
func (a *Address) Validate() error {
	var fe []ocean.FieldError
	fe = checkText(fe, "name", a.Name, true, MaxName)
	fe = checkText(fe, "line1", a.Line1, true, MaxLine)
	fe = checkText(fe, "line2", a.Line2, false, MaxLine)
	fe = checkText(fe, "city", a.City, true, MaxName)
	fe = checkText(fe, "postal_code", a.PostalCode, false, 16)
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	if !ocean.IsCountry(a.Country) {
		fe = append(fe, ocean.FieldError{Field: "country", Message: "must be an ISO 3166-1 two-letter country code such as ZA"})
	}
	fe = checkPhone(fe, "phone", a.Phone)
	if len(fe) > 0 {
		return ocean.Invalid("The address is not valid.", fe...)
	}
	return nil
}
