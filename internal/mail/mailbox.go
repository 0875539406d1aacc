package mail

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Stored is a message kept by a [Mailbox].
type Stored struct {
	ID      int64 // assigned by the Store, > 0
	To      string
	Subject string
	Text    string
	SentAt  time.Time
}

// Store keeps the messages of a [Mailbox].
type Store interface {
	// SaveMail stores m under a new ID, ignoring m.ID.
	SaveMail(ctx context.Context, m Stored) error
	// ListMail returns up to limit messages, newest SentAt first (ties:
	// highest ID first). A limit below 1 is ocean.EINVALID.
	ListMail(ctx context.Context, limit int) ([]Stored, error)
}

// Mailbox is a Mailer for development and for shops without a mail server:
// instead of delivering a message it saves it in a Store, where the admin
// can show it.
type Mailbox struct {
	store Store
	now   func() time.Time
}

// NewMailbox returns a Mailbox that saves into store, stamping messages with
// the time from now (time.Now when nil).
func NewMailbox(store Store, now func() time.Time) *Mailbox {
	if now == nil {
		now = time.Now
	}
	return &Mailbox{store: store, now: now}
}

// Send implements [Mailer]. It rejects the same malformed messages as
// [SMTP.Send], so that a problem shows up in development, not in production.
func (b *Mailbox) Send(ctx context.Context, m Message) error {
	if _, err := m.validate(); err != nil {
		return err
	}
	return b.store.SaveMail(ctx, Stored{To: m.To, Subject: m.Subject, Text: m.Text, SentAt: b.now().UTC()})
}

// List returns up to limit saved messages, newest first.
func (b *Mailbox) List(ctx context.Context, limit int) ([]Stored, error) {
	return b.store.ListMail(ctx, limit)
}

// MemStoreMax is how many messages a [MemStore] keeps; older ones are
// dropped, so a long-running shop without a database table for mail does not
// grow without bound.
const MemStoreMax = 1000

// MemStore is a Store in memory, holding the latest [MemStoreMax] messages.
// Its zero value is ready to use. It is safe for concurrent use.
type MemStore struct {
	mu     sync.Mutex
	lastID int64
	mails  []Stored
}

// SaveMail implements [Store].
func (s *MemStore) SaveMail(_ context.Context, m Stored) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastID++
	m.ID = s.lastID
	s.mails = append(s.mails, m)
	if len(s.mails) > MemStoreMax {
		// Drop the oldest by SentAt, not the first saved: callers may
		// save out of order.
		slices.SortFunc(s.mails, newestFirst)
		s.mails = slices.Clip(s.mails[:MemStoreMax])
	}
	return nil
}

// ListMail implements [Store].
func (s *MemStore) ListMail(_ context.Context, limit int) ([]Stored, error) {
	if limit < 1 {
		return nil, ocean.Errorf(ocean.EINVALID, "The limit must be at least 1.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.mails)
	slices.SortFunc(out, newestFirst)
	return out[:min(limit, len(out))], nil
}

func newestFirst(a, b Stored) int {
	if c := b.SentAt.Compare(a.SentAt); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}
