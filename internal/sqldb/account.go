package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/ocean"
)

// AccountStore implements account.Store.
type AccountStore struct{ db *DB }

var _ account.Store = (*AccountStore)(nil)

// Accounts returns the accounts store.
func (db *DB) Accounts() *AccountStore { return &AccountStore{db: db} }

// nullTime scans a nullable time in either representation.
type nullTime struct{ t *time.Time }

func (n *nullTime) Scan(src any) error {
	if src == nil {
		n.t = nil
		return nil
	}
	var tv timeValue
	if err := tv.Scan(src); err != nil {
		return err
	}
	n.t = &tv.t
	return nil
}

func notFound(what string) error { return ocean.Errorf(ocean.ENOTFOUND, "No such %s.", what) }

func (s *AccountStore) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.db.exec(ctx, q, args...)
}

// affected returns ENOTFOUND when a statement changed no row.
func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return notFound(what)
	}
	return nil
}

const userCols = `id, email, name, phone, role, password_hash, created_at, updated_at, erased_at`

func scanUser(row interface{ Scan(...any) error }) (*account.User, error) {
	var u account.User
	var created, updated timeValue
	var erased nullTime
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Phone, &u.Role, &u.PasswordHash, &created, &updated, &erased); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt, u.ErasedAt = created.t, updated.t, erased.t
	return &u, nil
}

func (s *AccountStore) CreateUser(ctx context.Context, u *account.User) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		id, err := tx.insertID(ctx, `INSERT INTO users (email, name, phone, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.Email, u.Name, u.Phone, u.Role, u.PasswordHash, s.db.timeArg(u.CreatedAt), s.db.timeArg(u.UpdatedAt))
		if err != nil {
			if s.db.IsUnique(err) {
				return ocean.Errorf(ocean.ECONFLICT, "An account with this email address exists.")
			}
			return err
		}
		u.ID = id
		return nil
	})
}

func (s *AccountStore) user(ctx context.Context, where string, arg any) (*account.User, error) {
	u, err := scanUser(s.db.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("account")
	}
	return u, err
}

func (s *AccountStore) UserByID(ctx context.Context, id int64) (*account.User, error) {
	return s.user(ctx, "id = ?", id)
}

func (s *AccountStore) UserByEmail(ctx context.Context, email string) (*account.User, error) {
	return s.user(ctx, "email = ?", email)
}

func (s *AccountStore) UpdateUser(ctx context.Context, u *account.User) error {
	res, err := s.exec(ctx, `UPDATE users SET email = ?, name = ?, phone = ?, updated_at = ? WHERE id = ? AND erased_at IS NULL`,
		u.Email, u.Name, u.Phone, s.db.timeArg(u.UpdatedAt), u.ID)
	if err != nil && s.db.IsUnique(err) {
		return ocean.Errorf(ocean.ECONFLICT, "An account with this email address exists.")
	}
	return affected(res, err, "account")
}

func (s *AccountStore) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	res, err := s.exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND erased_at IS NULL`, hash, id)
	return affected(res, err, "account")
}

func (s *AccountStore) SetRole(ctx context.Context, id int64, role string) error {
	res, err := s.exec(ctx, `UPDATE users SET role = ? WHERE id = ? AND erased_at IS NULL`, role, id)
	return affected(res, err, "account")
}

func (s *AccountStore) Users(ctx context.Context, after int64, limit int) ([]account.User, error) {
	rows, err := s.db.query(ctx, `SELECT `+userCols+` FROM users WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

func (s *AccountStore) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.db.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin' AND erased_at IS NULL`).Scan(&n)
	return n, err
}

func (s *AccountStore) Addresses(ctx context.Context, userID int64) ([]account.StoredAddress, error) {
	rows, err := s.db.query(ctx, `SELECT id, user_id, data, country, is_default, created_at FROM addresses WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.StoredAddress
	for rows.Next() {
		var a account.StoredAddress
		var created timeValue
		if err := rows.Scan(&a.ID, &a.UserID, &a.Data, &a.Country, &a.IsDefault, &created); err != nil {
			return nil, err
		}
		a.CreatedAt = created.t
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *AccountStore) AddAddress(ctx context.Context, a *account.StoredAddress) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if a.IsDefault {
			if _, err := tx.exec(ctx, `UPDATE addresses SET is_default = FALSE WHERE user_id = ?`, a.UserID); err != nil {
				return err
			}
		}
		id, err := tx.insertID(ctx, `INSERT INTO addresses (user_id, data, country, is_default, created_at) VALUES (?, ?, ?, ?, ?)`,
			a.UserID, a.Data, a.Country, a.IsDefault, s.db.timeArg(a.CreatedAt))
		a.ID = id
		return err
	})
}

func (s *AccountStore) DeleteAddress(ctx context.Context, userID, id int64) error {
	res, err := s.exec(ctx, `DELETE FROM addresses WHERE id = ? AND user_id = ?`, id, userID)
	return affected(res, err, "address")
}

func (s *AccountStore) CreateSession(ctx context.Context, x *account.Session) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (id_hash, user_id, csrf, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		x.IDHash, x.UserID, x.CSRF, s.db.timeArg(x.CreatedAt), s.db.timeArg(x.LastSeenAt), s.db.timeArg(x.ExpiresAt))
	return err
}

func (s *AccountStore) Session(ctx context.Context, idHash string) (*account.Session, error) {
	var x account.Session
	var created, seen, expires timeValue
	err := s.db.queryRow(ctx, `SELECT id_hash, user_id, csrf, created_at, last_seen_at, expires_at FROM sessions WHERE id_hash = ?`, idHash).
		Scan(&x.IDHash, &x.UserID, &x.CSRF, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("session")
	}
	if err != nil {
		return nil, err
	}
	x.CreatedAt, x.LastSeenAt, x.ExpiresAt = created.t, seen.t, expires.t
	return &x, nil
}

func (s *AccountStore) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, s.db.timeArg(at), idHash)
	return err
}

func (s *AccountStore) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
	return err
}

func (s *AccountStore) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return err
}

func (s *AccountStore) CreateRefresh(ctx context.Context, r *account.Refresh) error {
	_, err := s.exec(ctx, `INSERT INTO refresh_tokens (hash, family, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		r.Hash, r.Family, r.UserID, s.db.timeArg(r.CreatedAt), s.db.timeArg(r.ExpiresAt))
	return err
}

func (s *AccountStore) SpendRefresh(ctx context.Context, hash string, now time.Time) (*account.Refresh, bool, error) {
	var r account.Refresh
	var created, expires timeValue
	var spent nullTime
	var revoked bool
	var reused bool
	err := s.db.InTx(ctx, func(tx *Tx) error {
		// Compare-and-set: of two concurrent uses of one token exactly one
		// marks it spent; the other sees it spent and is treated as reuse.
		res, err := tx.exec(ctx, `UPDATE refresh_tokens SET spent_at = ? WHERE hash = ? AND spent_at IS NULL AND NOT revoked AND expires_at > ?`,
			s.db.timeArg(now), hash, s.db.timeArg(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		tx.db.queries.Add(1)
		err = tx.tx.QueryRowContext(tx.keep(ctx), Rebind(s.db.Dialect, `SELECT hash, family, user_id, created_at, expires_at, spent_at, revoked FROM refresh_tokens WHERE hash = ?`), hash).
			Scan(&r.Hash, &r.Family, &r.UserID, &created, &expires, &spent, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("refresh token")
		}
		if err != nil {
			return err
		}
		r.CreatedAt, r.ExpiresAt = created.t, expires.t
		if n == 0 {
			if spent.t == nil && !revoked {
				return notFound("refresh token") // expired, never used twice
			}
			reused = true
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return &r, reused, nil
}

func (s *AccountStore) RevokeFamily(ctx context.Context, family string) error {
	_, err := s.exec(ctx, `UPDATE refresh_tokens SET revoked = TRUE WHERE family = ?`, family)
	return err
}

func (s *AccountStore) RevokeUserRefresh(ctx context.Context, userID int64) error {
	_, err := s.exec(ctx, `UPDATE refresh_tokens SET revoked = TRUE WHERE user_id = ?`, userID)
	return err
}

func (s *AccountStore) CreateReset(ctx context.Context, r *account.Reset) error {
	_, err := s.exec(ctx, `INSERT INTO password_resets (hash, user_id, expires_at) VALUES (?, ?, ?)`, r.Hash, r.UserID, s.db.timeArg(r.ExpiresAt))
	return err
}

func (s *AccountStore) ConsumeReset(ctx context.Context, hash string, now time.Time) (int64, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *Tx) error {
		tx.db.queries.Add(1)
		err := tx.tx.QueryRowContext(tx.keep(ctx), Rebind(s.db.Dialect, `UPDATE password_resets SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id`),
			s.db.timeArg(now), hash, s.db.timeArg(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("reset token")
		}
		if err != nil {
			return err
		}
		// One reset spends every other outstanding link of the account.
		_, err = tx.exec(ctx, `UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL`, s.db.timeArg(now), id)
		return err
	})
	return id, err
}

func (s *AccountStore) Audit(ctx context.Context, e *account.AuditEvent) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		id, err := tx.insertID(ctx, `INSERT INTO audit_events (at, event, actor_id, subject_id, ip, detail) VALUES (?, ?, ?, ?, ?, ?)`,
			s.db.timeArg(e.At), e.Event, nullID(e.ActorID), nullID(e.SubjectID), e.IP, e.Detail)
		e.ID = id
		return err
	})
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (s *AccountStore) AuditEvents(ctx context.Context, userID, before int64, limit int) ([]account.AuditEvent, error) {
	q := `SELECT id, at, event, actor_id, subject_id, ip, detail FROM audit_events WHERE 1 = 1`
	var args []any
	if userID != 0 {
		q += ` AND (subject_id = ? OR actor_id = ?)`
		args = append(args, userID, userID)
	}
	if before != 0 {
		q += ` AND id < ?`
		args = append(args, before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.AuditEvent
	for rows.Next() {
		var e account.AuditEvent
		var at timeValue
		var actor, subject sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.Event, &actor, &subject, &e.IP, &e.Detail); err != nil {
			return nil, err
		}
		e.At, e.ActorID, e.SubjectID = at.t, actor.Int64, subject.Int64
		out = append(out, e)
	}
	return out, rows.Err()
}

// Erase also makes SQLite forget: secure_delete zeroes freed space in the
// database file, and a checkpoint moves the change out of the WAL and
// truncates it, so the old bytes are not left on disk.
func (s *AccountStore) Erase(ctx context.Context, id int64, pseudonym string, at time.Time) error {
	if err := s.erase(ctx, id, pseudonym, at); err != nil {
		return err
	}
	if s.db.Dialect == SQLite {
		if _, err := s.db.Write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return fmt.Errorf("checkpoint after erasure: %w", err)
		}
	}
	return nil
}

func (s *AccountStore) erase(ctx context.Context, id int64, pseudonym string, at time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		var email string
		tx.db.queries.Add(1)
		if err := tx.tx.QueryRowContext(tx.keep(ctx), Rebind(s.db.Dialect, `SELECT email FROM users WHERE id = ? AND erased_at IS NULL`), id).Scan(&email); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("account")
			}
			return err
		}
		for _, q := range []string{
			`DELETE FROM addresses WHERE user_id = ?`,
			`DELETE FROM sessions WHERE user_id = ?`,
			`DELETE FROM refresh_tokens WHERE user_id = ?`,
			`DELETE FROM password_resets WHERE user_id = ?`,
		} {
			if _, err := tx.exec(ctx, q, id); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `DELETE FROM mailbox WHERE to_addr = ?`, email); err != nil {
			return err
		}
		// Orders stay (invoices must be kept) but no longer say who or where.
		if _, err := tx.exec(ctx, `UPDATE orders SET email = ?, shipping_address = '' WHERE user_id = ?`, pseudonym, id); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `UPDATE users SET email = ?, name = '', phone = '', password_hash = '', role = 'customer', updated_at = ?, erased_at = ? WHERE id = ?`,
			pseudonym, s.db.timeArg(at), s.db.timeArg(at), id)
		return err
	})
}

func (s *AccountStore) Secrets(ctx context.Context, afterKind string, afterID int64, limit int) ([]account.Secret, error) {
	// Three kinds, walked in order: user.phone rows, address.data rows,
	// then the shipping addresses of orders.
	kinds := []struct{ kind, q string }{
		{"user.phone", `SELECT id, id, phone, '' FROM users WHERE phone <> '' AND id > ? ORDER BY id LIMIT ?`},
		{"address.data", `SELECT id, user_id, data, '' FROM addresses WHERE id > ? ORDER BY id LIMIT ?`},
		{"order.address", `SELECT id, 0, shipping_address, public_id FROM orders WHERE shipping_address <> '' AND id > ? ORDER BY id LIMIT ?`},
	}
	started := afterKind == ""
	for _, k := range kinds {
		if !started {
			if k.kind != afterKind {
				continue
			}
			started = true
		} else {
			afterID = 0
		}
		rows, err := s.db.query(ctx, k.q, afterID, limit)
		if err != nil {
			return nil, err
		}
		out, err := scanSecrets(rows, k.kind, nil)
		if err != nil || len(out) > 0 {
			return out, err
		}
	}
	return nil, nil
}

func scanSecrets(rows *sql.Rows, kind string, out []account.Secret) ([]account.Secret, error) {
	defer rows.Close()
	for rows.Next() {
		x := account.Secret{Kind: kind}
		var pid string
		if err := rows.Scan(&x.ID, &x.Owner, &x.Value, &pid); err != nil {
			return nil, err
		}
		if pid != "" {
			x.AAD = kind + ":" + pid
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (s *AccountStore) ReplaceSecret(ctx context.Context, x account.Secret, newValue string) (bool, error) {
	var q string
	switch x.Kind {
	case "user.phone":
		q = `UPDATE users SET phone = ? WHERE id = ? AND phone = ?`
	case "address.data":
		q = `UPDATE addresses SET data = ? WHERE id = ? AND data = ?`
	case "order.address":
		q = `UPDATE orders SET shipping_address = ? WHERE id = ? AND shipping_address = ?`
	default:
		return false, fmt.Errorf("unknown secret kind %q", x.Kind)
	}
	res, err := s.exec(ctx, q, newValue, x.ID, x.Value)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MailboxStore keeps the dev mailbox (mail.Store) in the database, so the
// admin can read the shop's mail in the browser when no SMTP is set.
type MailboxStore struct{ db *DB }

// Mailbox returns the dev mailbox store.
func (db *DB) Mailbox() *MailboxStore { return &MailboxStore{db: db} }

func (s *MailboxStore) SaveMail(ctx context.Context, m mail.Stored) error {
	_, err := (&AccountStore{db: s.db}).exec(ctx, `INSERT INTO mailbox (to_addr, subject, body, sent_at) VALUES (?, ?, ?, ?)`, m.To, m.Subject, m.Text, s.db.timeArg(m.SentAt))
	return err
}

func (s *MailboxStore) ListMail(ctx context.Context, limit int) ([]mail.Stored, error) {
	if limit < 1 {
		return nil, ocean.Invalid("The limit must be at least 1.", ocean.FieldError{Field: "limit", Message: "must be at least 1"})
	}
	rows, err := s.db.query(ctx, `SELECT id, to_addr, subject, body, sent_at FROM mailbox ORDER BY sent_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []mail.Stored
	for rows.Next() {
		var m mail.Stored
		var at timeValue
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Text, &at); err != nil {
			return nil, err
		}
		m.SentAt = at.t
		out = append(out, m)
	}
	return out, rows.Err()
}
