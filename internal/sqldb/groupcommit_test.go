package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

// groupDB is a SQLite database with a stock row of n units and a table of
// sales, the shape of a purchase's write: take a unit if there is one,
// record the sale.
func groupDB(t *testing.T, n int) *sqldb.DB {
	t.Helper()
	db := sqlitetest.Open(t)
	for _, q := range []string{
		`CREATE TABLE g_stock (id INTEGER PRIMARY KEY, n INTEGER NOT NULL CHECK (n >= 0))`,
		`CREATE TABLE g_sales (buyer TEXT PRIMARY KEY)`,
		fmt.Sprintf(`INSERT INTO g_stock (id, n) VALUES (1, %d)`, n),
	} {
		if _, err := db.Write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

var errSoldOut = errors.New("sold out")

// buy takes a unit and records the buyer, or fails with errSoldOut having
// written nothing that stays.
func buy(ctx context.Context, db *sqldb.DB, buyer string) error {
	return db.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := tx.Exec(ctx, `INSERT INTO g_sales (buyer) VALUES (?)`, buyer); err != nil {
			return err
		}
		// The CHECK refuses a negative stock: the sale above must go too.
		if err := tx.Exec(ctx, `UPDATE g_stock SET n = n - 1 WHERE id = 1`); err != nil {
			return errSoldOut
		}
		return nil
	})
}

func count(t *testing.T, db *sqldb.DB, q string) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// hold makes the writer busy with a function that waits for release, and
// returns once it runs: what is queued meanwhile is committed in one group.
func hold(t *testing.T, db *sqldb.DB) (release func()) {
	t.Helper()
	running, done := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := db.InTx(context.Background(), func(*sqldb.Tx) error {
			close(running)
			<-done
			return nil
		}); err != nil {
			t.Error(err)
		}
	}()
	<-running
	return func() { close(done); wg.Wait() }
}

// waitQueued returns once n functions wait for the writer.
func waitQueued(db *sqldb.DB, n int) {
	for db.Queued() < n {
		runtime.Gosched()
	}
}

// inOneGroup runs fns' writes in one group, queued in their order, and
// returns their answers.
func inOneGroup(t *testing.T, db *sqldb.DB, fns ...func() error) []error {
	t.Helper()
	release := hold(t, db)
	answers := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() { defer wg.Done(); answers[i] = fn() }()
		waitQueued(db, i+1)
	}
	release()
	wg.Wait()
	return answers
}

// TestGroupCommitNeverOversells: 300 buyers at once for 120 units; every
// answer is exactly what was committed.
func TestGroupCommitNeverOversells(t *testing.T) {
	db := groupDB(t, 120)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, lost := 0, 0
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := buy(context.Background(), db, fmt.Sprint("buyer", i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, errSoldOut):
				lost++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 120 || lost != 180 {
		t.Errorf("%d sales and %d refusals, want 120 and 180", won, lost)
	}
	if n := count(t, db, `SELECT count(*) FROM g_sales`); n != 120 {
		t.Errorf("%d sales recorded, want 120", n)
	}
	if n := count(t, db, `SELECT n FROM g_stock`); n != 0 {
		t.Errorf("stock %d, want 0", n)
	}
}

// TestGroupCommitKeepsEachAllOrNothing: in one group, a function that
// fails and one that panics leave nothing behind, the others are
// committed, and each caller gets its own answer.
func TestGroupCommitKeepsEachAllOrNothing(t *testing.T) {
	db := groupDB(t, 2)
	release := hold(t, db)
	ctx := context.Background()
	answers := make([]error, 4)
	var panicked any
	var wg sync.WaitGroup
	for i, buyer := range []string{"ann", "bob", "cat"} {
		wg.Add(1)
		go func() { defer wg.Done(); answers[i] = buy(ctx, db, buyer) }()
		waitQueued(db, i+1) // queued in this order
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { panicked = recover() }()
		answers[3] = db.InTx(ctx, func(tx *sqldb.Tx) error {
			if err := tx.Exec(ctx, `INSERT INTO g_sales (buyer) VALUES ('dan')`); err != nil {
				return err
			}
			panic("dan's function broke")
		})
	}()
	waitQueued(db, 4)
	release()
	wg.Wait()
	if answers[0] != nil || answers[1] != nil || !errors.Is(answers[2], errSoldOut) {
		t.Errorf("answers %v, want two sales, then sold out", answers[:3])
	}
	if panicked != "dan's function broke" {
		t.Errorf("the panicking function's caller got %v, want its panic", panicked)
	}
	var buyers []string
	rows, err := db.Read.Query(`SELECT buyer FROM g_sales ORDER BY buyer`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		buyers = append(buyers, b)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(buyers) != "[ann bob]" {
		t.Errorf("sales %v, want [ann bob]: the failed and the panicked writes must go", buyers)
	}
}

// TestGroupCommitContexts: a function whose caller gave up while it was
// queued does not run; one whose context ends while it runs finishes its
// statements (interrupting one would roll back the whole group).
func TestGroupCommitContexts(t *testing.T) {
	db := groupDB(t, 5)
	release := hold(t, db)
	gone, cancelGone := context.WithCancel(context.Background())
	late, cancelLate := context.WithCancel(context.Background())
	var errGone, errLate, errOther error
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); errGone = buy(gone, db, "gone") }()
	waitQueued(db, 1)
	go func() {
		defer wg.Done()
		errLate = db.InTx(late, func(tx *sqldb.Tx) error {
			cancelLate() // its caller gives up half way
			return tx.Exec(late, `INSERT INTO g_sales (buyer) VALUES ('late')`)
		})
	}()
	waitQueued(db, 2)
	go func() { defer wg.Done(); errOther = buy(context.Background(), db, "other") }()
	waitQueued(db, 3)
	cancelGone()
	release()
	wg.Wait()
	if !errors.Is(errGone, context.Canceled) {
		t.Errorf("a function cancelled while queued answered %v, want context.Canceled", errGone)
	}
	if errLate != nil || errOther != nil {
		t.Errorf("answers %v and %v, want both committed", errLate, errOther)
	}
	if n := count(t, db, `SELECT count(*) FROM g_sales WHERE buyer IN ('late', 'other')`); n != 2 {
		t.Errorf("%d of the two committed sales found", n)
	}
	if n := count(t, db, `SELECT count(*) FROM g_sales WHERE buyer = 'gone'`); n != 0 {
		t.Error("the cancelled function wrote")
	}
}

// TestGroupCommitLostTransaction: when SQLite rolls the shared transaction
// back under a function (here the function does it), the functions that
// ran in it are told their work was lost, and those not yet run are run in
// the next transaction.
func TestGroupCommitLostTransaction(t *testing.T) {
	db := groupDB(t, 5)
	ctx := context.Background()
	answers := inOneGroup(t, db,
		func() error { return buy(ctx, db, "first") },
		func() error {
			return db.InTx(ctx, func(tx *sqldb.Tx) error { return tx.Exec(ctx, `ROLLBACK`) })
		},
		func() error { return buy(ctx, db, "after") },
	)
	if answers[0] == nil || answers[1] == nil {
		t.Errorf("answers %v: the two functions of the lost transaction must fail", answers[:2])
	}
	if answers[2] != nil {
		t.Errorf("the function queued after them answered %v, want it committed in the next transaction", answers[2])
	}
	if n := count(t, db, `SELECT count(*) FROM g_sales`); n != 1 {
		t.Errorf("%d sales, want only the one queued after the loss", n)
	}
}

// TestGroupCommitAfterClose: a closed database refuses writes.
func TestGroupCommitAfterClose(t *testing.T) {
	db := groupDB(t, 5)
	if err := buy(context.Background(), db, "before"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := buy(context.Background(), db, "after"); err == nil {
		t.Error("a write after Close succeeded")
	}
}

// TestWritesAfterCloseWithoutAnEarlierWrite: a database closed before any
// write started the writer refuses a transaction and a one-statement
// write with an error (it panicked on a nil writer).
func TestWritesAfterCloseWithoutAnEarlierWrite(t *testing.T) {
	db := sqlitetest.Open(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecOne(context.Background(), `CREATE TABLE never (id INTEGER)`); err == nil {
		t.Error("a one-statement write after Close succeeded")
	}
	if err := buy(context.Background(), db, "after"); err == nil {
		t.Error("a transaction after Close succeeded")
	}
}

// TestGroupCommitAnswersARefusalOnceItsCauseIsCommitted: a function refused
// because of what an earlier one in its group wrote (here the same unique
// key) is answered once that write can be read, so a caller that looks for
// the winner after losing finds it. The sandbox gateway's concurrent
// authorizations did exactly that and found nothing.
func TestGroupCommitAnswersARefusalOnceItsCauseIsCommitted(t *testing.T) {
	db := groupDB(t, 5)
	release := hold(t, db)
	ctx := context.Background()
	var wg sync.WaitGroup
	var firstErr, secondErr error
	seen := -1
	wg.Add(2)
	go func() { defer wg.Done(); firstErr = buy(ctx, db, "ann") }()
	waitQueued(db, 1)
	go func() {
		defer wg.Done()
		secondErr = buy(ctx, db, "ann")
		// What the loser sees straight away, on a read connection.
		var n int
		if err := db.Read.QueryRow(`SELECT count(*) FROM g_sales WHERE buyer = 'ann'`).Scan(&n); err != nil {
			t.Error(err)
		}
		seen = n
	}()
	waitQueued(db, 2)
	release()
	wg.Wait()
	if firstErr != nil || secondErr == nil {
		t.Fatalf("answers %v, %v: want the first sale and a refusal of the second", firstErr, secondErr)
	}
	if seen != 1 {
		t.Errorf("the refused caller found %d sales to ann, want the one that refused it", seen)
	}
}

// TestGroupCommitLostTransactionTakesRefusalsWithIt: when the group is
// lost, a function refused after others ran is told the transaction was
// lost, not its refusal: what refused it was never committed.
func TestGroupCommitLostTransactionTakesRefusalsWithIt(t *testing.T) {
	db := groupDB(t, 5)
	ctx := context.Background()
	answers := inOneGroup(t, db,
		func() error { return buy(ctx, db, "ann") },
		func() error { return buy(ctx, db, "ann") }, // refused: ann bought
		func() error {
			return db.InTx(ctx, func(tx *sqldb.Tx) error { return tx.Exec(ctx, `ROLLBACK`) })
		},
	)
	for i, err := range answers {
		if err == nil || !strings.Contains(err.Error(), "rolled back") {
			t.Errorf("answer %d = %v, want the lost transaction's error", i, err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM g_sales`); n != 0 {
		t.Errorf("%d sales, want none", n)
	}
}

// TestOneStatementWritesJoinTheGroup: on SQLite a write of one statement
// outside a transaction (a new cart, a session's last-seen time, a
// payment's status) waits for the writer like any transaction and is
// committed with its group. It no longer takes the one write connection
// between two groups, which kept the writer waiting in BEGIN (the old code
// fails here: its write waits for the held group's connection and never
// joins the queue). A refused statement is its caller's error and leaves
// the others' writes.
func TestOneStatementWritesJoinTheGroup(t *testing.T) {
	db := groupDB(t, 10)
	if _, err := db.Write.Exec(`INSERT INTO g_sales (buyer) VALUES ('taken')`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	writes := []string{
		`INSERT INTO g_sales (buyer) VALUES ('ann')`,
		`INSERT INTO g_sales (buyer) VALUES ('taken')`, // refused: the key is taken
		`UPDATE g_stock SET n = n - 1 WHERE id = 1`,
	}
	results := make([]sql.Result, len(writes))
	answers := make([]error, len(writes))
	release := hold(t, db)
	var wg sync.WaitGroup
	for i, q := range writes {
		wg.Add(1)
		go func() { defer wg.Done(); results[i], answers[i] = db.ExecOne(ctx, q) }()
		// Before, the write waited for the connection the held group
		// has, and never joined the queue.
		for deadline := time.Now().Add(10 * time.Second); db.Queued() < i+1; runtime.Gosched() {
			if time.Now().After(deadline) {
				release()
				wg.Wait()
				t.Fatalf("write %d did not join the writer's queue", i)
			}
		}
	}
	release()
	wg.Wait()
	if answers[0] != nil || answers[2] != nil {
		t.Fatalf("answers %v: the first and last writes should succeed", answers)
	}
	if answers[1] == nil || !db.IsUnique(answers[1]) {
		t.Fatalf("a taken key answered %v, want a unique-key error", answers[1])
	}
	if n, err := results[2].RowsAffected(); err != nil || n != 1 {
		t.Fatalf("the update's rows affected: %d, %v; want 1", n, err)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM g_sales`); got != 2 {
		t.Fatalf("%d sales, want 2 (taken, ann)", got)
	}
	if got := count(t, db, `SELECT n FROM g_stock WHERE id = 1`); got != 9 {
		t.Fatalf("stock %d, want 9", got)
	}
}
