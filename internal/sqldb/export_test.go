package sqldb

import "context"

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
