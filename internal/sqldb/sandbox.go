package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/payment/sandbox"
)

// SandboxStore implements sandbox.Store: the sandbox payment gateway's
// records (migration 0004), so its authorizations outlive a restart.
type SandboxStore struct{ db *DB }

var _ sandbox.Store = (*SandboxStore)(nil)

// SandboxGateway returns the sandbox gateway's store.
func (db *DB) SandboxGateway() *SandboxStore { return &SandboxStore{db: db} }

func (s *SandboxStore) PutToken(ctx context.Context, t sandbox.Token) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO sandbox_tokens (id, brand, last4, outcome, created_at) VALUES (?, ?, ?, ?, ?)`,
			t.ID, t.Brand, t.Last4, t.Outcome, s.db.timeArg(t.CreatedAt))
		if err != nil && s.db.IsUnique(err) {
			return sandbox.ErrDuplicate
		}
		return err
	})
}

func (s *SandboxStore) Token(ctx context.Context, id string) (sandbox.Token, error) {
	var t sandbox.Token
	var created timeValue
	err := s.db.queryRow(ctx, `SELECT id, brand, last4, outcome, created_at FROM sandbox_tokens WHERE id = ?`, id).
		Scan(&t.ID, &t.Brand, &t.Last4, &t.Outcome, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return sandbox.Token{}, notFound("token")
	}
	t.CreatedAt = created.t
	return t, err
}

func (s *SandboxStore) InsertAuthorization(ctx context.Context, r sandbox.Record) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO sandbox_authorizations (id, reference, amount, currency, status, refunded, card, token, description, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Reference, r.Amount.Amount, r.Amount.Currency, string(r.Status), r.Refunded, r.Card, r.Token, r.Description,
			s.db.timeArg(r.CreatedAt), s.db.timeArg(r.UpdatedAt))
		if err != nil && s.db.IsUnique(err) {
			return sandbox.ErrDuplicate
		}
		return err
	})
}

const sandboxAuthCols = `id, reference, amount, currency, status, refunded, card, token, description, created_at, updated_at`

func (s *SandboxStore) authorization(ctx context.Context, where string, arg any) (sandbox.Record, error) {
	var r sandbox.Record
	var status string
	var created, updated timeValue
	err := s.db.queryRow(ctx, `SELECT `+sandboxAuthCols+` FROM sandbox_authorizations WHERE `+where, arg).
		Scan(&r.ID, &r.Reference, &r.Amount.Amount, &r.Amount.Currency, &status, &r.Refunded, &r.Card, &r.Token, &r.Description, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return sandbox.Record{}, notFound("payment")
	}
	if err != nil {
		return sandbox.Record{}, err
	}
	r.Status, r.CreatedAt, r.UpdatedAt = payment.Status(status), created.t, updated.t
	return r, nil
}

func (s *SandboxStore) Authorization(ctx context.Context, id string) (sandbox.Record, error) {
	return s.authorization(ctx, "id = ?", id)
}

func (s *SandboxStore) AuthorizationByReference(ctx context.Context, reference string) (sandbox.Record, error) {
	return s.authorization(ctx, "reference = ?", reference)
}

// Transition is one conditional UPDATE: the status check and the write
// cannot be split by another writer.
func (s *SandboxStore) Transition(ctx context.Context, id string, from, to payment.Status, at time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE sandbox_authorizations SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
			string(to), s.db.timeArg(at), id, string(from))
		if err := affected(res, err, "payment"); err != nil {
			if ocean.ErrorCode(err) == ocean.ENOTFOUND {
				return sandbox.ErrRefused
			}
			return err
		}
		return nil
	})
}

// AddRefund inserts the refund (its reference is the primary key, so a
// concurrent duplicate waits for the first and then fails) and raises the
// refunded total with a conditional UPDATE, in one transaction.
func (s *SandboxStore) AddRefund(ctx context.Context, f sandbox.Refund) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO sandbox_refunds (reference, authorization_id, amount, created_at) VALUES (?, ?, ?, ?)`,
			f.Reference, f.AuthorizationID, f.Amount, s.db.timeArg(f.CreatedAt))
		if err != nil {
			if s.db.IsUnique(err) {
				return sandbox.ErrDuplicate
			}
			if isForeignKey(err) {
				return sandbox.ErrRefused
			}
			return err
		}
		res, err := tx.exec(ctx, `UPDATE sandbox_authorizations SET refunded = refunded + ?, updated_at = ?
			WHERE id = ? AND status = 'captured' AND refunded + ? <= amount`,
			f.Amount, s.db.timeArg(f.CreatedAt), f.AuthorizationID, f.Amount)
		if err := affected(res, err, "payment"); err != nil {
			if ocean.ErrorCode(err) == ocean.ENOTFOUND {
				return sandbox.ErrRefused
			}
			return err
		}
		return nil
	})
}

// isForeignKey reports a foreign-key violation (a refund of an unknown
// payment) in either database, without importing their drivers.
func isForeignKey(err error) bool {
	type sqlState interface{ SQLState() string }
	var ss sqlState
	if errors.As(err, &ss) {
		return ss.SQLState() == "23503"
	}
	type coded interface{ Code() int }
	var c coded
	if errors.As(err, &c) {
		return c.Code() == 787 // SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

func (s *SandboxStore) Refund(ctx context.Context, reference string) (sandbox.Refund, error) {
	var f sandbox.Refund
	var created timeValue
	err := s.db.queryRow(ctx, `SELECT reference, authorization_id, amount, created_at FROM sandbox_refunds WHERE reference = ?`, reference).
		Scan(&f.Reference, &f.AuthorizationID, &f.Amount, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return sandbox.Refund{}, notFound("refund")
	}
	f.CreatedAt = created.t
	return f, err
}
