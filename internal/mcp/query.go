package mcp

import (
	"context"
	"crypto/md5" //nolint:gosec // see readerRole: naming only
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite"
)

// Readable is what the SQL console may read: each table, and the columns
// of it that hold secrets (password hashes, tokens and bearer ids, sealed
// personal data). A table not listed is not readable at all: a table added
// later stays closed until someone decides here what in it is secret.
// Tables whose every column is secret (sessions, refresh_tokens,
// password_resets, mailbox with its reset links) are not listed.
//
// The list is enforced by the database, not by reading the SQL: on SQLite
// by the authorizer (package sqlite), on PostgreSQL by the grants of a
// dedicated role that every console query runs as.
var Readable = map[string][]string{
	"categories":             nil,
	"products":               nil,
	"variants":               nil,
	"variant_options":        nil,
	"stock_ledger":           nil,
	"discounts":              nil,
	"shipping_methods":       nil,
	"tax_rates":              nil,
	"order_items":            nil,
	"order_events":           nil,
	"refunds":                nil,
	"order_numbers":          nil, // the last order number given
	"payment_attempts":       {"cart_id"},
	"webhook_events":         nil,
	"sandbox_refunds":        nil,
	"schema_migrations":      nil,
	"audit_events":           nil,
	"kg_entities":            nil,
	"kg_observations":        nil,
	"kg_relations":           nil,
	"kpi_daily":              nil, // the dashboard's rollups: counts and sums only
	"kpi_sales_daily":        nil,
	"kpi_product_daily":      nil,
	"users":                  {"password_hash", "phone"},
	"addresses":              {"data"},
	"carts":                  {"id"},
	"cart_items":             {"cart_id"},
	"orders":                 {"idempotency_key", "request_hash", "cart_id", "customer_key", "shipping_address"},
	"sandbox_tokens":         {"id"},
	"sandbox_authorizations": {"token"},
	// SQLite's catalog: the schema, no data.
	"sqlite_master": nil,
	"sqlite_schema": nil,
}

// secretErr says why something may not be read.
func secretErr(table, column string) error {
	if column == "" {
		return ocean.Errorf(ocean.EFORBIDDEN, "The table %s is not readable through the SQL console: it holds secrets or is not classified yet.", table)
	}
	return ocean.Errorf(ocean.EFORBIDDEN, "The column %s.%s holds a secret and is not readable through the SQL console; name the columns you need instead of *.", table, column)
}

// policy is Readable as a check.
func policy(table, column string) error {
	secret, ok := Readable[strings.ToLower(table)]
	if !ok {
		return secretErr(table, "")
	}
	for _, c := range secret {
		if strings.EqualFold(c, column) {
			return secretErr(table, column)
		}
	}
	return nil
}

// Console limits.
const (
	maxRows      = 200
	maxSQL       = 10_000
	maxCell      = 2_000
	queryTimeout = 5 * time.Second
)

// console runs the operators' read-only SQL.
type console struct {
	db      *sqldb.DB
	timeout time.Duration

	mu   sync.Mutex
	ro   *sqlite.ReadOnly // SQLite: the guarded pool, opened on first use
	role string           // PostgreSQL: the reader role, set up on first use
}

func newConsole(db *sqldb.DB) *console { return &console{db: db, timeout: queryTimeout} }

// Close releases the console's own connections.
func (s *Server) Close() error {
	if s.sql == nil {
		return nil
	}
	s.sql.mu.Lock()
	defer s.sql.mu.Unlock()
	if s.sql.ro != nil {
		return s.sql.ro.Close()
	}
	return nil
}

// oneStatement returns q without trailing semicolons, or EINVALID when it
// holds more than one statement. It reads quotes and comments only to find
// the statement's end; what a statement may do is the database's to decide.
func oneStatement(q string) (string, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return "", ocean.Invalid("Send a SQL statement.", ocean.FieldError{Field: "sql", Message: "is empty"})
	}
	if len(q) > maxSQL || !utf8.ValidString(q) {
		return "", ocean.Invalid("The SQL is too long or not valid UTF-8.", ocean.FieldError{Field: "sql", Message: fmt.Sprintf("must be valid UTF-8 of at most %d bytes", maxSQL)})
	}
	end := -1 // index of the first ; outside quotes and comments
	for i := 0; i < len(q) && end < 0; i++ {
		switch c := q[i]; {
		case c == '\'' || c == '"' || c == '`':
			j := strings.IndexByte(q[i+1:], c)
			if j < 0 {
				i = len(q)
			} else {
				i += j + 1
			}
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				i = len(q)
			} else {
				i += j
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				i = len(q)
			} else {
				i += j + 3
			}
		case c == '$': // PostgreSQL dollar quoting: $tag$ … $tag$
			if k := strings.IndexByte(q[i+1:], '$'); k >= 0 && validTag(q[i+1:i+1+k]) {
				tag := q[i : i+k+2]
				if j := strings.Index(q[i+len(tag):], tag); j >= 0 {
					i += len(tag) + j + len(tag) - 1
				} else {
					i = len(q)
				}
			}
		case c == ';':
			end = i
		}
	}
	if end < 0 {
		return q, nil
	}
	if strings.Trim(q[end:], "; \t\r\n") != "" {
		return "", ocean.Invalid("Send one SQL statement at a time.", ocean.FieldError{Field: "sql", Message: "holds more than one statement"})
	}
	return strings.TrimSpace(q[:end]), nil
}

func validTag(t string) bool {
	for _, r := range t {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// table is a query's result.
type table struct {
	Columns   []string `json:"columns"`
	Rows      [][]any  `json:"rows"`
	RowCount  int      `json:"row_count"`
	Truncated bool     `json:"truncated" jsonschema:"true when the result had more than the row limit; narrow the query"`
}

// run runs one statement as the console's reader and returns at most
// maxRows rows.
func (c *console) run(ctx context.Context, q string) (table, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	out := table{Columns: []string{}, Rows: [][]any{}}
	add := func(cols []string, vals []any) bool {
		out.Columns = cols
		if vals == nil {
			return false
		}
		if len(out.Rows) == maxRows {
			out.Truncated = true
			return false
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = cell(v)
		}
		out.Rows = append(out.Rows, row)
		return true
	}
	var err error
	if c.db.Dialect == sqldb.Postgres {
		err = c.runPostgres(ctx, q, add)
	} else {
		err = c.runSQLite(ctx, q, add)
	}
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return table{}, ocean.Errorf(ocean.EUNPROCESSABLE, "The query ran longer than %s and was stopped; narrow it (WHERE, LIMIT) or use explain_query.", c.timeout)
		}
		return table{}, err
	}
	out.RowCount = len(out.Rows)
	if out.Columns == nil {
		out.Columns = []string{}
	}
	return out, nil
}

// cell is a value as JSON shows it: text for bytes, RFC 3339 for times,
// long text cut.
func cell(v any) any {
	switch x := v.(type) {
	case []byte:
		if utf8.Valid(x) {
			v = string(x)
		} else {
			return "\\x" + hex.EncodeToString(x[:min(len(x), maxCell/2)])
		}
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	if s, ok := v.(string); ok && len(s) > maxCell {
		return strings.ToValidUTF8(s[:maxCell], "") + "…"
	}
	return v
}

func (c *console) runSQLite(ctx context.Context, q string, add func([]string, []any) bool) error {
	c.mu.Lock()
	if c.ro == nil {
		ro, err := sqlite.OpenReadOnly(ctx, c.db)
		if err != nil {
			c.mu.Unlock()
			return &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The SQL console is not available on this database.", Err: err}
		}
		c.ro = ro
	}
	ro := c.ro
	c.mu.Unlock()
	err := ro.Query(ctx, q, policy, add)
	if errors.Is(err, sqlite.ErrNotSelect) {
		return ocean.Errorf(ocean.EFORBIDDEN, "Only a read-only SELECT may run here: no writes, schema changes, PRAGMA or ATTACH.")
	}
	return sqlError(err)
}

// sqlError shows the database's own complaint about the SQL (a syntax
// error, an unknown column) as a 422 the operator can act on; our own
// errors pass unchanged.
func sqlError(err error) error {
	if err == nil {
		return nil
	}
	var oe *ocean.Error
	if errors.As(err, &oe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := err.Error()
	if i := strings.Index(msg, "SQL logic error: "); i >= 0 {
		msg = msg[i+len("SQL logic error: "):]
	}
	return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "The database refused the query: " + msg, Err: err}
}

// readerRole is the PostgreSQL role console queries run as: one per
// database, since roles belong to the whole cluster.
func readerRole(database string) string {
	h := md5.Sum([]byte(database)) //nolint:gosec // a short stable name for a role, not a secret or a signature
	return "ocean_reader_" + hex.EncodeToString(h[:8])
}

// setupRole creates the reader role if needed and grants it exactly
// Readable: SELECT on the tables without secrets, SELECT on the other
// columns of the rest, nothing on anything else. It runs on first use in
// each process, so the grants follow the binary's list. Creating the role
// needs CREATEROLE (or a superuser); without it the console says so.
func (c *console) setupRole(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.role != "" {
		return c.role, nil
	}
	var dbname, schema string
	if err := c.db.Write.QueryRowContext(ctx, `SELECT current_database(), current_schema()`).Scan(&dbname, &schema); err != nil {
		return "", err
	}
	role := readerRole(dbname)
	tables := map[string]bool{}
	rows, err := c.db.Write.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`) //nolint:rowserrcheck,sqlclosecheck // sqldb.EachRow below closes rows and reads rows.Err
	if err != nil {
		return "", err
	}
	if err := sqldb.EachRow(rows, func() error {
		var t string
		if err := rows.Scan(&t); err != nil {
			return err
		}
		tables[t] = true
		return nil
	}); err != nil {
		return "", err
	}
	err = c.grant(ctx, role, schema, tables)
	if err != nil {
		return "", &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The SQL console could not set up its read-only role " + role + " (the shop's database user needs CREATEROLE once).", Err: err}
	}
	c.role = role
	return role, nil
}

// grant runs the role's set-up in one transaction.
func (c *console) grant(ctx context.Context, role, schema string, tables map[string]bool) error {
	tx, err := c.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	exec := func(q string) error { _, err := tx.ExecContext(ctx, q); return err }
	// Instances of a fleet starting at once take turns.
	if err := exec(`SELECT pg_advisory_xact_lock(7310589764301)`); err != nil {
		return err
	}
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
		return err
	}
	r := quoteIdent(role)
	steps := []string{}
	if !exists {
		steps = append(steps, `CREATE ROLE `+r+` NOLOGIN`)
	}
	steps = append(steps, `GRANT `+r+` TO CURRENT_USER`,
		`REVOKE ALL ON ALL TABLES IN SCHEMA `+quoteIdent(schema)+` FROM `+r,
		`GRANT USAGE ON SCHEMA `+quoteIdent(schema)+` TO `+r)
	for _, q := range steps {
		if err := exec(q); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(Readable))
	for t := range Readable {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		if !tables[t] {
			continue
		}
		if len(Readable[t]) == 0 {
			if err := exec(`GRANT SELECT ON ` + quoteIdent(t) + ` TO ` + r); err != nil {
				return err
			}
			continue
		}
		rows, err := tx.QueryContext(ctx, `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, t) //nolint:rowserrcheck,sqlclosecheck // sqldb.EachRow below closes rows and reads rows.Err
		if err != nil {
			return err
		}
		var ok []string
		if err := sqldb.EachRow(rows, func() error {
			var col string
			if err := rows.Scan(&col); err != nil {
				return err
			}
			if policy(t, col) == nil {
				ok = append(ok, quoteIdent(col))
			}
			return nil
		}); err != nil {
			return err
		}
		if len(ok) > 0 {
			if err := exec(`GRANT SELECT (` + strings.Join(ok, ", ") + `) ON ` + quoteIdent(t) + ` TO ` + r); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// reader logs in as the reader role on a connection of its own. The role
// gets a fresh random password each time (the shop's user sets it), so no
// secret is stored; an instance of a fleet whose password was replaced by
// another's in between simply sets it again. A query that logged in as the
// reader cannot become the shop's role again, as it could after SET ROLE
// (set_config('role', 'none', true) inside the statement), and closing the
// connection ends anything the session took (a session advisory lock).
func (c *console) reader(ctx context.Context) (*sql.DB, error) {
	role, err := c.setupRole(ctx)
	if err != nil {
		return nil, err
	}
	if c.db.LoginAs == nil {
		return nil, errors.New("the database offers no login as another role")
	}
	var lastErr error
	for range 3 {
		var b [24]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		pw := hex.EncodeToString(b[:]) // hex: safe inside a quoted literal
		if _, err := c.db.Write.ExecContext(ctx, `ALTER ROLE `+quoteIdent(role)+` WITH LOGIN PASSWORD '`+pw+`'`); err != nil {
			return nil, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The SQL console could not prepare its read-only role " + role + ".", Err: err}
		}
		rdb, err := c.db.LoginAs(ctx, role, pw)
		if err == nil {
			return rdb, nil
		}
		lastErr = err
	}
	return nil, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The SQL console could not sign in to the database as its read-only role " + role + " (the server must accept password logins for it, as for the shop's own user).", Err: lastErr}
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (c *console) runPostgres(ctx context.Context, q string, add func([]string, []any) bool) error {
	rdb, err := c.reader(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = rdb.Close() }() // the session ends with the query: no lock or setting outlives it
	tx, err := rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL statement_timeout = %d`, c.timeout.Milliseconds())); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return pgError(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		n++
		if !add(cols, vals) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return pgError(err)
	}
	add(cols, nil)
	return nil
}

// pgError turns PostgreSQL's refusals into the console's words.
func pgError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "SQLSTATE 42501"): // insufficient_privilege
		return ocean.Errorf(ocean.EFORBIDDEN, "The query reads a table or column that is not readable through the SQL console (secrets, or not classified yet); name the columns you need instead of *. (%s)", strings.TrimPrefix(msg, "ERROR: "))
	case strings.Contains(msg, "SQLSTATE 25006"): // read_only_sql_transaction
		return ocean.Errorf(ocean.EFORBIDDEN, "Only a read-only SELECT may run here: no writes, schema changes or settings.")
	case strings.Contains(msg, "SQLSTATE 57014"): // query_canceled (statement_timeout)
		return context.DeadlineExceeded
	case strings.Contains(msg, "SQLSTATE 42601") && strings.Contains(msg, "multiple commands"):
		return ocean.Invalid("Send one SQL statement at a time.", ocean.FieldError{Field: "sql", Message: "holds more than one statement"})
	}
	return sqlError(err)
}

// ------------------------------------------------------------------ tools

type sqlIn struct {
	SQL string `json:"sql" jsonschema:"one read-only SELECT statement (SQLite or PostgreSQL, as the shop runs on); ocean://schema lists the tables"`
}

type tableOut struct {
	table
	Dialect string `json:"dialect" jsonschema:"sqlite or postgres"`
}

func (o tableOut) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows", o.RowCount)
	if o.Truncated {
		fmt.Fprintf(&b, " (cut at %d)", maxRows)
	}
	b.WriteString(".\n| " + strings.Join(o.Columns, " | ") + " |\n|")
	for range o.Columns {
		b.WriteString(" --- |")
	}
	for i, r := range o.Rows {
		if i == 20 {
			b.WriteString("\n| … |")
			break
		}
		b.WriteString("\n|")
		for _, v := range r {
			s := fmt.Sprint(v)
			if v == nil {
				s = "NULL"
			}
			b.WriteString(" " + strings.ReplaceAll(s, "|", "\\|") + " |")
		}
	}
	return b.String()
}

func (c *console) dialect() string {
	if c.db.Dialect == sqldb.Postgres {
		return "postgres"
	}
	return "sqlite"
}

func (s *Server) queryDatabase(ctx context.Context, _ *caller, in sqlIn) (tableOut, error) {
	q, err := oneStatement(in.SQL)
	if err != nil {
		return tableOut{}, err
	}
	t, err := s.sql.run(ctx, q)
	return tableOut{table: t, Dialect: s.sql.dialect()}, err
}

func (s *Server) explainQuery(ctx context.Context, _ *caller, in sqlIn) (tableOut, error) {
	q, err := oneStatement(in.SQL)
	if err != nil {
		return tableOut{}, err
	}
	prefix := "EXPLAIN QUERY PLAN "
	if s.sql.db.Dialect == sqldb.Postgres {
		prefix = "EXPLAIN "
	}
	t, err := s.sql.run(ctx, prefix+q)
	return tableOut{table: t, Dialect: s.sql.dialect()}, err
}
