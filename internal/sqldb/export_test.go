package sqldb

import (
	"context"
	"database/sql"
)

// Exec runs q in the transaction (tests of the group writer).
func (t *Tx) Exec(ctx context.Context, q string, args ...any) error {
	_, err := t.exec(ctx, q, args...)
	return err
}

// Queued reports how many functions wait for the group writer.
func (db *DB) Queued() int {
	w := db.writer()
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.jobs)
}

// ExecOne runs one statement as a write transaction of its own, as the
// stores' single-statement writes do.
func (db *DB) ExecOne(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return db.exec(ctx, q, args...)
}
