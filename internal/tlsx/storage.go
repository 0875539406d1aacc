package tlsx

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/oceanshop/ocean/internal/sqldb"
)

// Storage keeps certmagic's certificates, keys, ACME account and
// challenge tokens in the shop's database (SQLite or PostgreSQL, table
// tls_storage of migration 0006), so every instance of a fleet serves the
// certificate one of them obtained, and any instance can answer the CA's
// HTTP-01 challenge: no shared disk needed. Its Locker (table tls_locks)
// makes sure one instance obtains or renews a name at a time.
//
// Keys are certmagic's slash-separated paths; a "directory" is any prefix
// of stored keys ending before a slash.
type Storage struct {
	db  *sqldb.DB
	log *slog.Logger
	now func() time.Time

	// LockTTL is how long a lock is held without its holder refreshing it
	// (a third of it); a lock whose holder died is taken over after it.
	LockTTL time.Duration
	// LockPoll is how often Lock tries again while another holds the lock.
	LockPoll time.Duration

	mu   sync.Mutex
	held map[string]heldLock
}

type heldLock struct {
	token string
	stop  context.CancelFunc
	done  chan struct{}
}

var _ certmagic.Storage = (*Storage)(nil)

// NewStorage returns the database storage. now is the clock (time.Now).
func NewStorage(db *sqldb.DB, now func() time.Time, log *slog.Logger) *Storage {
	return &Storage{db: db, log: log, now: now, LockTTL: 2 * time.Minute, LockPoll: time.Second, held: map[string]heldLock{}}
}

func (s *Storage) q(query string) string { return sqldb.Rebind(s.db.Dialect, query) }

func normKey(key string) string { return strings.Trim(path.Clean("/"+key), "/") }

// Store implements certmagic.Storage.
func (s *Storage) Store(ctx context.Context, key string, value []byte) error {
	key = normKey(key)
	if key == "" {
		return errors.New("tls storage: empty key")
	}
	_, err := s.db.Write.ExecContext(ctx, s.q(`INSERT INTO tls_storage (name, value, modified) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, modified = excluded.modified`), key, value, s.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("tls storage: store %s: %w", key, err)
	}
	return nil
}

// Load implements certmagic.Storage.
func (s *Storage) Load(ctx context.Context, key string) ([]byte, error) {
	key = normKey(key)
	var v []byte
	err := s.db.Read.QueryRowContext(ctx, s.q(`SELECT value FROM tls_storage WHERE name = ?`), key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("tls storage: %s: %w", key, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("tls storage: load %s: %w", key, err)
	}
	return v, nil
}

// under returns the bounds of the keys below dir: dir/ ≤ key < dir0 ('0'
// follows '/'), or everything for the root.
func under(dir string) (lo, hi string) {
	if dir == "" {
		return "", "\U0010FFFF"
	}
	return dir + "/", dir + "0"
}

// Delete implements certmagic.Storage: the key and everything below it.
func (s *Storage) Delete(ctx context.Context, key string) error {
	key = normKey(key)
	lo, hi := under(key)
	_, err := s.db.Write.ExecContext(ctx, s.q(`DELETE FROM tls_storage WHERE name = ? OR (name >= ? AND name < ?)`), key, lo, hi)
	if err != nil {
		return fmt.Errorf("tls storage: delete %s: %w", key, err)
	}
	return nil
}

// Exists implements certmagic.Storage: a key or a directory.
func (s *Storage) Exists(ctx context.Context, key string) bool {
	_, err := s.Stat(ctx, key)
	return err == nil
}

// Stat implements certmagic.Storage.
func (s *Storage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	key = normKey(key)
	var size, modified int64
	err := s.db.Read.QueryRowContext(ctx, s.q(`SELECT LENGTH(value), modified FROM tls_storage WHERE name = ?`), key).Scan(&size, &modified)
	if err == nil {
		return certmagic.KeyInfo{Key: key, Modified: time.UnixMilli(modified), Size: size, IsTerminal: true}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return certmagic.KeyInfo{}, fmt.Errorf("tls storage: stat %s: %w", key, err)
	}
	lo, hi := under(key)
	var newest sql.NullInt64
	err = s.db.Read.QueryRowContext(ctx, s.q(`SELECT MAX(modified) FROM tls_storage WHERE name >= ? AND name < ?`), lo, hi).Scan(&newest)
	if err != nil {
		return certmagic.KeyInfo{}, fmt.Errorf("tls storage: stat %s: %w", key, err)
	}
	if !newest.Valid {
		return certmagic.KeyInfo{}, fmt.Errorf("tls storage: %s: %w", key, fs.ErrNotExist)
	}
	return certmagic.KeyInfo{Key: key, Modified: time.UnixMilli(newest.Int64)}, nil
}

// List implements certmagic.Storage: the keys and directories directly in
// dir, or with recursive everything below it, as full keys.
func (s *Storage) List(ctx context.Context, dir string, recursive bool) ([]string, error) {
	dir = normKey(dir)
	lo, hi := under(dir)
	rows, err := s.db.Read.QueryContext(ctx, s.q(`SELECT name FROM tls_storage WHERE name >= ? AND name < ? ORDER BY name`), lo, hi)
	if err != nil {
		return nil, fmt.Errorf("tls storage: list %s: %w", dir, err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		rel := strings.TrimPrefix(name, lo)
		parts := strings.Split(rel, "/")
		if !recursive {
			add(path.Join(dir, parts[0]))
			continue
		}
		for i := 1; i <= len(parts); i++ {
			add(path.Join(dir, strings.Join(parts[:i], "/")))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("tls storage: %s: %w", dir, fs.ErrNotExist)
	}
	return out, nil
}

// Lock implements certmagic.Locker. The lock is a row in tls_locks with a
// random token and an expiry; the holder pushes the expiry forward every
// third of LockTTL until Unlock, so a lock outlives its holder by at most
// LockTTL. It waits (polling every LockPoll) while another holds the lock,
// until ctx ends.
func (s *Storage) Lock(ctx context.Context, name string) error {
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	for {
		now := s.now()
		res, err := s.db.Write.ExecContext(ctx, s.q(`INSERT INTO tls_locks (name, token, expires) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET token = excluded.token, expires = excluded.expires WHERE tls_locks.expires < ?`),
			name, token, now.Add(s.LockTTL).UnixMilli(), now.UnixMilli())
		if err != nil {
			return fmt.Errorf("tls storage: lock %s: %w", name, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			break
		}
		t := time.NewTimer(s.LockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	kctx, stop := context.WithCancel(context.Background())
	h := heldLock{token: token, stop: stop, done: make(chan struct{})}
	go s.keepAlive(kctx, name, h)
	s.mu.Lock()
	s.held[name] = h
	s.mu.Unlock()
	return nil
}

func (s *Storage) keepAlive(ctx context.Context, name string, h heldLock) {
	defer close(h.done)
	t := time.NewTicker(s.LockTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			res, err := s.db.Write.ExecContext(ctx, s.q(`UPDATE tls_locks SET expires = ? WHERE name = ? AND token = ?`),
				s.now().Add(s.LockTTL).UnixMilli(), name, h.token)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("tls storage: could not extend a lock", "name", name, "err", err)
				}
				continue
			}
			if n, _ := res.RowsAffected(); n == 0 {
				s.log.Warn("tls storage: a lock this instance held was taken over (it went stale)", "name", name)
				return
			}
		}
	}
}

// Unlock implements certmagic.Locker.
func (s *Storage) Unlock(ctx context.Context, name string) error {
	s.mu.Lock()
	h, ok := s.held[name]
	delete(s.held, name)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("tls storage: unlock %s: not locked by this instance", name)
	}
	h.stop()
	<-h.done
	if _, err := s.db.Write.ExecContext(ctx, s.q(`DELETE FROM tls_locks WHERE name = ? AND token = ?`), name, h.token); err != nil {
		return fmt.Errorf("tls storage: unlock %s: %w", name, err)
	}
	return nil
}
