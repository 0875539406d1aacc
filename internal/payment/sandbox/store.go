package sandbox

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
)

// Token is a card the sandbox tokenized: only what a receipt shows, never
// the number or the CVC.
type Token struct {
	ID        string // "tok_…"
	Brand     string // "Visa"
	Last4     string
	Outcome   string // "" succeeds; otherwise the decline code a charge gets
	CreatedAt time.Time
}

// Card is how people see the card: "Visa ending 4242".
func (t Token) Card() string { return t.Brand + " ending " + t.Last4 }

// Record is a stored authorization with the bookkeeping around it.
type Record struct {
	payment.Authorization
	Token       string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Refund is one refund, idempotent on its Reference.
type Refund struct {
	Reference       string
	AuthorizationID string
	Amount          int64
	CreatedAt       time.Time
}

// Store errors. A Store returns them (bare or wrapped) so the gateway can
// tell the outcomes apart; the gateway turns them into *ocean.Error.
var (
	// ErrDuplicate: the id or reference is already stored.
	ErrDuplicate = errors.New("sandbox store: duplicate")
	// ErrRefused: a conditional write found the row not in the state it
	// required (wrong status, or not enough left to refund).
	ErrRefused = errors.New("sandbox store: refused")
)

// Store is where the sandbox keeps what a real processor would keep on its
// side, so it survives a restart of the shop. Reads of unknown ids return
// *ocean.Error ENOTFOUND. Every write is atomic; the conditions in
// Transition and AddRefund are checked and applied as one step (a
// compare-and-set), never read-then-write.
type Store interface {
	// PutToken stores a new token.
	PutToken(ctx context.Context, t Token) error
	// Token returns a stored token.
	Token(ctx context.Context, id string) (Token, error)
	// InsertAuthorization stores a new authorization; ErrDuplicate if its
	// id or Reference exists (the reference is unique).
	InsertAuthorization(ctx context.Context, r Record) error
	// Authorization returns the authorization with the id.
	Authorization(ctx context.Context, id string) (Record, error)
	// AuthorizationByReference returns the authorization with the reference.
	AuthorizationByReference(ctx context.Context, reference string) (Record, error)
	// Transition sets the status to `to` if it is `from`; ErrRefused if it
	// is not (or the id is unknown).
	Transition(ctx context.Context, id string, from, to payment.Status, at time.Time) error
	// AddRefund stores the refund and adds its amount to the
	// authorization's refunded total, if the authorization is captured and
	// the total stays within its amount (ErrRefused otherwise), and only
	// if the refund's reference is new (ErrDuplicate otherwise).
	AddRefund(ctx context.Context, r Refund) error
	// Refund returns the refund with the reference.
	Refund(ctx context.Context, reference string) (Refund, error)
}

// MemoryStore is a Store in memory, for tests and throwaway shops. It does
// not survive a restart.
type MemoryStore struct {
	mu      sync.Mutex
	tokens  map[string]Token
	auths   map[string]Record
	byRef   map[string]string
	refunds map[string]Refund
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{tokens: map[string]Token{}, auths: map[string]Record{}, byRef: map[string]string{}, refunds: map[string]Refund{}}
}

func notFound(what string) error { return ocean.Errorf(ocean.ENOTFOUND, "No such %s.", what) }

func (m *MemoryStore) PutToken(_ context.Context, t Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.tokens[t.ID]; ok {
		return ErrDuplicate
	}
	m.tokens[t.ID] = t
	return nil
}

func (m *MemoryStore) Token(_ context.Context, id string) (Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[id]
	if !ok {
		return Token{}, notFound("token")
	}
	return t, nil
}

func (m *MemoryStore) InsertAuthorization(_ context.Context, r Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.auths[r.ID]; ok {
		return ErrDuplicate
	}
	if _, ok := m.byRef[r.Reference]; ok {
		return ErrDuplicate
	}
	m.auths[r.ID] = r
	m.byRef[r.Reference] = r.ID
	return nil
}

func (m *MemoryStore) Authorization(_ context.Context, id string) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.auths[id]
	if !ok {
		return Record{}, notFound("payment")
	}
	return r, nil
}

func (m *MemoryStore) AuthorizationByReference(ctx context.Context, reference string) (Record, error) {
	m.mu.Lock()
	id, ok := m.byRef[reference]
	m.mu.Unlock()
	if !ok {
		return Record{}, notFound("payment")
	}
	return m.Authorization(ctx, id)
}

func (m *MemoryStore) Transition(_ context.Context, id string, from, to payment.Status, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.auths[id]
	if !ok || r.Status != from {
		return ErrRefused
	}
	r.Status, r.UpdatedAt = to, at
	m.auths[id] = r
	return nil
}

func (m *MemoryStore) AddRefund(_ context.Context, f Refund) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.refunds[f.Reference]; ok {
		return ErrDuplicate
	}
	r, ok := m.auths[f.AuthorizationID]
	if !ok || r.Status != payment.Captured || f.Amount <= 0 || r.Refunded+f.Amount > r.Amount.Amount {
		return ErrRefused
	}
	r.Refunded += f.Amount
	r.UpdatedAt = f.CreatedAt
	m.auths[r.ID] = r
	m.refunds[f.Reference] = f
	return nil
}

func (m *MemoryStore) Refund(_ context.Context, reference string) (Refund, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.refunds[reference]
	if !ok {
		return Refund{}, notFound("refund")
	}
	return f, nil
}
