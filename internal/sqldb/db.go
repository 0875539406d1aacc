package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/ocean"
)

// DB is an open database: a write pool and a read pool (the same pool on
// PostgreSQL), the dialect, and a count of statements run.
type DB struct {
	Dialect  Dialect
	Write    *sql.DB
	Read     *sql.DB
	IsUnique func(error) bool // reports a unique-constraint violation
	// LoginAs opens a pool that logs in to the same database as another
	// role (PostgreSQL only; nil elsewhere). The pool keeps no idle
	// connection, so whatever a session leaves behind (advisory locks,
	// settings) ends with it.
	LoginAs func(ctx context.Context, user, password string) (*sql.DB, error)
	// Observe hears about every statement the stores run (set it before
	// the DB is shared).
	Observe Observer
	// PlanEach, put before a statement's arguments, has the driver send
	// the statement unprepared, so the database plans it for the values it
	// is given each time (pgx.QueryExecModeExec on PostgreSQL; nil on
	// SQLite, whose planner does not cache plans per statement). The
	// catalog's searches use it: from a named statement's sixth run on,
	// PostgreSQL may keep one generic plan for every value, and a generic
	// plan for "a department in a price range, newest first" read 6,000
	// rows where the plan for the range at hand reads 30 (1.4 ms became
	// 222 ms at a million products).
	PlanEach any
	queries  atomic.Int64
	writes   atomic.Int64
	stmts    stmtCache
	// SQLite's write transactions go through one writer that commits
	// them in groups (groupcommit.go).
	groupOnce sync.Once
	group     *groupWriter
	funnel    funnelCounts
}

// stmtCache keeps SQLite's statements prepared: the pure-Go SQLite parses
// every statement it is given, and parsing was a quarter of a checkout's
// CPU (make bench's profile: sqlite3's yy_reduce). PostgreSQL needs none:
// pgx caches prepared statements per connection itself. A statement is
// prepared on the pool once and then on each connection that runs it
// (database/sql keeps one per connection); at most maxStmts distinct
// statements are kept, so filters built with varying arguments cannot grow
// it without bound.
type stmtCache struct {
	m sync.Map // stmtKey → *sql.Stmt
	n atomic.Int64
	// pending marks a statement being prepared in the background.
	pending sync.Map
}

type stmtKey struct {
	pool *sql.DB
	q    string
}

const maxStmts = 2000

// prepared returns pool's prepared statement for q, or nil: on PostgreSQL,
// when the cache is full, or the first time q is seen. inTx: the caller
// holds a connection of pool (SQLite's write pool has only one), so the
// statement is prepared in the background once that connection is free,
// instead of waiting for it here.
func (db *DB) prepared(ctx context.Context, pool *sql.DB, q string, inTx bool) *sql.Stmt {
	if db.Dialect != SQLite {
		return nil
	}
	k := stmtKey{pool, q}
	if st, ok := db.stmts.m.Load(k); ok {
		return st.(*sql.Stmt)
	}
	if db.stmts.n.Load() >= maxStmts {
		return nil
	}
	prepare := func(ctx context.Context) *sql.Stmt {
		st, err := pool.PrepareContext(ctx, q)
		if err != nil {
			return nil // the statement runs unprepared and reports its own error
		}
		if prev, loaded := db.stmts.m.LoadOrStore(k, st); loaded {
			_ = st.Close() //nolint:sqlclosecheck // another request prepared it first; this copy is not needed
			return prev.(*sql.Stmt)
		}
		db.stmts.n.Add(1)
		return st
	}
	if !inTx {
		return prepare(ctx)
	}
	if _, busy := db.stmts.pending.LoadOrStore(k, true); !busy {
		go func() {
			defer db.stmts.pending.Delete(k)
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			prepare(ctx)
		}()
	}
	return nil
}

func (db *DB) closeStmts() {
	db.stmts.m.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close() // the pools close next
		db.stmts.m.Delete(k)
		return true
	})
}

// Observer is what metrics and tracing learn about statements. Each
// statement is named by the store method that ran it ("commerce.Reserve",
// see QueryName): a fixed set chosen in code, never SQL text or an id.
type Observer struct {
	// Span traces each statement (nil: no spans).
	Span ocean.SpanFunc
	// Duration records how long the database took to answer (for a query,
	// until its first rows were ready; reading them is the caller's time).
	Duration func(query string, d time.Duration)
}

// Pool is one connection pool's statistics.
type Pool struct {
	Name  string // "write" and "read" (SQLite), "main" (PostgreSQL's one pool)
	Stats sql.DBStats
}

// Pools returns the statistics of the pools the stores use.
func (db *DB) Pools() []Pool {
	if db.Read == db.Write {
		return []Pool{{"main", db.Write.Stats()}}
	}
	return []Pool{{"write", db.Write.Stats()}, {"read", db.Read.Stats()}}
}

// start begins observing one statement; skip is how many frames lie
// between start and the store method that ran it.
func (db *DB) start(ctx context.Context, skip int) (context.Context, func(error)) {
	o := db.Observe
	if o.Span == nil && o.Duration == nil {
		return ctx, noEnd
	}
	name := queryName(skip + 1)
	ctx, end := o.Span.Span(ctx, name, "db.system.name", db.Dialect.system())
	began := time.Now()
	return ctx, func(err error) {
		if o.Duration != nil {
			o.Duration(name, time.Since(began))
		}
		if errors.Is(err, sql.ErrNoRows) {
			err = nil // an answer, not a failure
		}
		end(err)
	}
}

func noEnd(error) {}

// system is the OpenTelemetry db.system.name of the dialect.
func (d Dialect) system() string {
	if d == Postgres {
		return "postgresql"
	}
	return "sqlite"
}

// names caches QueryName by program counter.
var names sync.Map

// queryName names the function skip frames above its caller.
//
//go:noinline
func queryName(skip int) string {
	var pc [1]uintptr
	if runtime.Callers(skip+2, pc[:]) == 0 {
		return "unknown"
	}
	if n, ok := names.Load(pc[0]); ok {
		return n.(string)
	}
	f, _ := runtime.CallersFrames(pc[:]).Next()
	n := QueryName(f.Function)
	names.Store(pc[0], n)
	return n
}

// QueryName turns the full name of a store method into a query name:
// "github.com/oceanshop/ocean/internal/sqldb.(*CommerceStore).Reserve.func1"
// is "commerce.Reserve" (the store without "Store", lower case, then the
// method; closures count as their method), a plain function keeps its name.
func QueryName(function string) string {
	n := function[strings.LastIndexByte(function, '/')+1:]
	if i := strings.IndexByte(n, '.'); i >= 0 {
		n = n[i+1:] // the package
	}
	n = strings.NewReplacer("(*", "", "(", "", ")", "").Replace(n)
	for {
		i := strings.LastIndexByte(n, '.')
		last := n[i+1:]
		if i < 0 || !(strings.HasPrefix(last, "func") || strings.HasPrefix(last, "gowrap") || strings.HasPrefix(last, "deferwrap") ||
			strings.Trim(last, "0123456789") == "") {
			break
		}
		n = n[:i]
	}
	if typ, method, ok := strings.Cut(n, "."); ok {
		return strings.ToLower(strings.TrimSuffix(typ, "Store")) + "." + method
	}
	return n
}

// Close closes the pools.
func (db *DB) Close() error {
	_ = db.flushFunnel(context.Background()) // the funnel counted since the last write
	db.groupOnce.Do(func() {})               // no writer starts after this
	if db.group != nil {
		db.group.close()
	}
	db.closeStmts()
	if db.Read == db.Write {
		return db.Write.Close()
	}
	return errors.Join(db.Read.Close(), db.Write.Close())
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.Read.PingContext(ctx) }

// Queries returns how many SQL statements the stores have run; tests and
// benchmarks use it to count the queries behind one page.
func (db *DB) Queries() int64 { return db.queries.Load() }

// Writes returns how many write transactions (and statements written
// outside one) the stores have run: on SQLite, each one a function run by
// the single writer, committed with the others of its group.
func (db *DB) Writes() int64 { return db.writes.Load() }

// EachRow calls fn for every row of rows (fn scans the current row), then
// returns the first error: fn's, or the query's (rows.Err). rows is closed
// when it returns, so the connection is free for the next query.
func EachRow(rows *sql.Rows, fn func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	db.queries.Add(1)
	ctx, end := db.start(ctx, 1)
	q = Rebind(db.Dialect, q)
	var rows *sql.Rows
	var err error
	if st := db.prepared(ctx, db.Read, q, false); st != nil { //nolint:sqlclosecheck // a cached statement, closed with the DB (closeStmts)
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = db.Read.QueryContext(ctx, q, args...)
	}
	end(err)
	return rows, err
}

// queryPlanned is query for a statement whose best plan depends on its
// arguments (PlanEach).
func (db *DB) queryPlanned(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if db.PlanEach != nil {
		args = append([]any{db.PlanEach}, args...)
	}
	return db.query(ctx, q, args...)
}

func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	db.queries.Add(1)
	ctx, end := db.start(ctx, 1)
	q = Rebind(db.Dialect, q)
	var row *sql.Row
	if st := db.prepared(ctx, db.Read, q, false); st != nil { //nolint:sqlclosecheck // a cached statement, closed with the DB (closeStmts)
		row = st.QueryRowContext(ctx, args...)
	} else {
		row = db.Read.QueryRowContext(ctx, q, args...)
	}
	end(row.Err())
	return row
}

// exec runs one statement as a write transaction of its own.
//
// On SQLite it joins the group writer's next transaction (groupcommit.go)
// like any InTx. Run on the write connection directly, each such statement
// (a new cart, a session's last-seen time, a payment's status) took the
// one connection between two of the writer's groups: the writer waited
// for it in BeginTx (39% of the writer's time in a trace of the checkout
// bench), and it paid a commit of its own.
func (db *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	db.queries.Add(1)
	db.writes.Add(1)
	ctx, end := db.start(ctx, 2) // called by the stores' exec
	q = Rebind(db.Dialect, q)
	var res sql.Result
	var err error
	if db.Dialect == SQLite {
		err = db.inGroup(ctx, func(t *Tx) error {
			var err error
			res, err = t.execRaw(t.keep(ctx), q, args...)
			return err
		})
	} else {
		res, err = db.Write.ExecContext(ctx, q, args...)
	}
	end(err)
	return res, err
}

// Tx is a write transaction that counts and rebinds its statements.
type Tx struct {
	db *DB
	tx *sql.Tx
	// grouped: the transaction is shared with other callers' functions
	// (SQLite's group writer), so a statement is not cancelled with its
	// caller's context: an interrupted SQLite write rolls back the whole
	// transaction.
	grouped bool
}

// keep is ctx for one of t's statements.
func (t *Tx) keep(ctx context.Context) context.Context {
	if t.grouped {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (t *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = t.keep(ctx)
	t.db.queries.Add(1)
	ctx, end := t.db.start(ctx, 1)
	res, err := t.execRaw(ctx, Rebind(t.db.Dialect, q), args...)
	end(err)
	return res, err
}

// execRaw runs q, already rebound, in the transaction, prepared once the
// statement cache has it; it neither counts nor traces.
func (t *Tx) execRaw(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.db.prepared(ctx, t.db.Write, q, true); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...) //nolint:sqlclosecheck // a cached statement, closed with the DB (closeStmts)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

// insertID inserts and returns the new row's id (RETURNING works on both
// SQLite ≥ 3.35 and PostgreSQL).
func (t *Tx) insertID(ctx context.Context, q string, args ...any) (int64, error) {
	ctx = t.keep(ctx)
	t.db.queries.Add(1)
	ctx, end := t.db.start(ctx, 1)
	var id int64
	err := t.rawQueryRow(ctx, Rebind(t.db.Dialect, q+" RETURNING id"), args...).Scan(&id)
	end(err)
	return id, err
}

// rawQueryRow and rawQuery run q (rebound) in the transaction, prepared once
// the statement cache has it.
func (t *Tx) rawQueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = t.keep(ctx)
	if st := t.db.prepared(ctx, t.db.Write, q, true); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...) //nolint:sqlclosecheck // a cached statement, closed with the DB (closeStmts)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

func (t *Tx) rawQuery(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = t.keep(ctx)
	if st := t.db.prepared(ctx, t.db.Write, q, true); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...) //nolint:sqlclosecheck // a cached statement, closed with the DB (closeStmts)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

// InTx runs fn in one write transaction, committed if fn returns nil. On
// SQLite the transaction may be shared with other callers' functions, each
// in a savepoint of its own (groupcommit.go): fn must not wait for another
// write to the database.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	db.writes.Add(1)
	if db.Dialect == SQLite {
		return db.inGroup(ctx, fn)
	}
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Tx{db: db, tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Applied implements migrate.Target.
func (db *DB) Applied(ctx context.Context) (map[int]bool, error) {
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return nil, fmt.Errorf("schema_migrations: %w", err)
	}
	rows, err := db.Write.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = true
	}
	return out, rows.Err()
}

// noForeignKeys is the first line of a SQLite step that rebuilds a table
// others point at (SQLite changes a CHECK only by copying the table): the
// step runs with foreign keys off, so dropping the old table cascades to
// nothing, and every foreign key is checked before it commits.
const noForeignKeys = "-- ocean:foreign-keys-off"

// Apply implements migrate.Target: the step and its bookkeeping commit
// together (both databases have transactional DDL).
func (db *DB) Apply(ctx context.Context, m migrate.Migration, up bool) error {
	body, record := m.Down, `DELETE FROM schema_migrations WHERE version = ?`
	if up {
		body, record = m.Up, `INSERT INTO schema_migrations (version) VALUES (?)`
	}
	if db.Dialect == SQLite && strings.HasPrefix(body, noForeignKeys) {
		return db.applyWithoutForeignKeys(ctx, body, record, m.Version)
	}
	return db.InTx(ctx, func(tx *Tx) error {
		// A migration is an operator's deliberate step, and on a large shop
		// one statement of it can run for minutes (0017 numbered a million
		// orders in 5.5): the pool's statement timeout (a guard against a
		// stuck request, 1 minute by default) must not cancel it halfway.
		if db.Dialect == Postgres {
			if _, err := tx.tx.ExecContext(tx.keep(ctx), `SET LOCAL statement_timeout = 0`); err != nil {
				return err
			}
		}
		if _, err := tx.tx.ExecContext(tx.keep(ctx), body); err != nil {
			return err
		}
		_, err := tx.exec(ctx, record, m.Version)
		return err
	})
}

// foreignKeysBroken reports whether any row points at nothing.
func foreignKeysBroken(ctx context.Context, tx *sql.Tx) (bool, error) {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	broken := rows.Next()
	return broken, rows.Err()
}

// applyWithoutForeignKeys runs a SQLite step on one connection with
// foreign keys off (the pragma is a no-op inside a transaction, so it is
// set before), refuses to commit if any row then points at nothing, and
// turns them back on whatever happened.
func (db *DB) applyWithoutForeignKeys(ctx context.Context, body, record string, version int) (err error) {
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer func() {
		if _, on := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); on != nil && err == nil {
			err = on
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err = tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err = tx.ExecContext(ctx, record, version); err != nil {
		return err
	}
	broken, err := foreignKeysBroken(ctx, tx)
	if err != nil {
		return err
	}
	if broken {
		return errors.New("the step leaves rows whose foreign keys point at nothing")
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
