package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/postgres/postgrestest"
)

// TestOrderNumberTakenAtCommit: on PostgreSQL a paid order takes its number
// inside COMMIT (migration 0021, decision 0240), so a payment whose
// transaction is still open holds no lock another payment waits for, the
// numbers follow the commits without a gap, and a rolled-back payment
// takes none.
func TestOrderNumberTakenAtCommit(t *testing.T) {
	db := postgrestest.Open(t)
	ctx := context.Background()
	now := time.Now().UTC()
	pending := func(ref string) int64 {
		var id int64
		err := db.Write.QueryRowContext(ctx, `INSERT INTO orders (public_id, idempotency_key, request_hash, cart_id, email, status, currency,
 subtotal, discount, shipping, tax, total, shipping_method, shipping_name, shipping_address, country, reserved_until, gateway, payment_ref, created_at, updated_at)
VALUES ($1, $1, '', $1, 'a@example.com', 'pending_payment', 'ZAR', 100, 0, 0, 0, 100, 'standard', 'A', 'Street 1', 'ZA', $2, 'sandbox', $1, $2, $2) RETURNING id`,
			ref, now).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	pay := func(tx *sql.Tx, id int64) {
		t.Helper()
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'paid', paid_at = $2 WHERE id = $1 AND status = 'pending_payment'`, id, now); err != nil {
			t.Fatal(err)
		}
	}
	begin := func() *sql.Tx {
		t.Helper()
		tx, err := db.Write.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tx.Rollback() }) // a no-op once committed
		return tx
	}
	commit := func(tx *sql.Tx) {
		t.Helper()
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	number := func(id int64) int64 {
		t.Helper()
		var n sql.NullInt64
		if err := db.Write.QueryRowContext(ctx, `SELECT number FROM orders WHERE id = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n.Int64
	}
	a, b, c, d, e := pending("a"), pending("b"), pending("c"), pending("d"), pending("e")

	// a's payment is made and its transaction left open.
	open := begin()
	pay(open, a)
	if n := number(a); n != 0 {
		t.Fatalf("an uncommitted payment's order reads number %d", n)
	}

	// b's payment commits meanwhile, without waiting for a's transaction:
	// the lock timeout turns a wait on the counter into a failure.
	other := begin()
	if _, err := other.ExecContext(ctx, `SET LOCAL lock_timeout = '5s'`); err != nil {
		t.Fatal(err)
	}
	pay(other, b)
	if err := other.Commit(); err != nil {
		t.Fatalf("a payment waited for another's open transaction: %v", err)
	}
	if n := number(b); n != 100001 {
		t.Fatalf("first paid order committed has number %d, want 100001", n)
	}
	commit(open)
	if n := number(a); n != 100002 {
		t.Fatalf("second commit's order has number %d, want 100002", n)
	}

	// A payment rolled back gives its number back.
	lost := begin()
	pay(lost, c)
	if err := lost.Rollback(); err != nil {
		t.Fatal(err)
	}

	// An instance of the release before, in a rolling upgrade, numbers the
	// order in its own transaction: the trigger leaves that number alone.
	old := begin()
	pay(old, d)
	if _, err := old.ExecContext(ctx, `WITH n AS (UPDATE order_numbers SET last = last + 1 WHERE id = 1 RETURNING last)
UPDATE orders SET number = (SELECT last FROM n) WHERE id = $1`, d); err != nil {
		t.Fatal(err)
	}
	commit(old)
	next := begin()
	pay(next, e)
	commit(next)
	got := fmt.Sprint(number(c), number(d), number(e))
	if got != "0 100003 100004" {
		t.Fatalf("numbers of the rolled-back, old-style and next payments: %s, want 0 100003 100004", got)
	}
}
