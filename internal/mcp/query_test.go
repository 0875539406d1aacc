package mcp_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/oceanshop/ocean/internal/mcp"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
)

func TestQueryDatabaseSQLite(t *testing.T) { testQueryDatabase(t, nil) }

func TestQueryDatabasePostgres(t *testing.T) {
	testQueryDatabase(t, map[string]string{"OCEAN_DATABASE_URL": pgtest.URL(t), "OCEAN_SEED_DEMO": "true"})
}

// testQueryDatabase: the console reads, and the database itself refuses
// writes, secrets, a second statement and a query that runs too long.
//
// Only the runaway query runs under a short (1 s) timeout: the others, and
// the console's set-up on first use (on PostgreSQL its reader role and
// grants), are not what the timeout is tested on, and on a busy machine
// they took longer than a second.
func testQueryDatabase(t *testing.T, env map[string]string) {
	const generous = time.Minute
	s := newShop(t, env, func(c *mcp.Config) { c.QueryTimeout = generous })
	s.paidOrder(t, "console-0001")
	op := s.client(t, s.admin)

	var tb struct {
		Columns   []string `json:"columns"`
		Rows      [][]any  `json:"rows"`
		RowCount  int      `json:"row_count"`
		Truncated bool     `json:"truncated"`
		Dialect   string   `json:"dialect"`
	}
	call(t, op, "query_database", map[string]any{"sql": "SELECT status, COUNT(*) AS n FROM orders GROUP BY status;"}, &tb)
	if tb.RowCount != 1 || len(tb.Columns) != 2 || tb.Rows[0][0] != "paid" {
		t.Fatalf("orders by status: %+v", tb)
	}
	call(t, op, "query_database", map[string]any{"sql": "SELECT id, email, role FROM users -- who is staff?"}, &tb)
	if tb.RowCount != 1 {
		t.Fatalf("users: %+v", tb)
	}
	call(t, op, "query_database", map[string]any{"sql": "SELECT sku FROM variants"}, &tb)
	if tb.RowCount != 200 || !tb.Truncated {
		t.Fatalf("a long result: %d rows, truncated %v; want 200, true", tb.RowCount, tb.Truncated)
	}
	call(t, op, "query_database", map[string]any{"sql": "SELECT 'a;b' AS x"}, &tb) // a ; in a string is not a second statement
	call(t, op, "explain_query", map[string]any{"sql": "SELECT * FROM order_items WHERE order_id = 1"}, &tb)
	if tb.RowCount == 0 {
		t.Fatal("explain_query returned no plan")
	}

	for _, q := range []string{
		"DELETE FROM orders",
		"UPDATE variants SET stock = 0",
		"INSERT INTO categories (name, slug) VALUES ('x', 'x')",
		"CREATE TABLE t (x int)",
		"DROP TABLE orders",
		"PRAGMA writable_schema = 1",
		"ATTACH DATABASE 'x.db' AS x",
	} {
		if tb.Dialect == "postgres" && (strings.HasPrefix(q, "PRAGMA") || strings.HasPrefix(q, "ATTACH")) {
			continue // not PostgreSQL: a syntax error there
		}
		refused(t, op, "query_database", map[string]any{"sql": q}, "Forbidden")
	}
	// SQLite has no DELETE in WITH (a syntax error); PostgreSQL refuses it
	// in a read-only transaction.
	want := "Forbidden"
	if tb.Dialect == "sqlite" {
		want = "Unprocessable request"
	}
	refused(t, op, "query_database", map[string]any{"sql": "WITH gone AS (DELETE FROM orders RETURNING id) SELECT * FROM gone"}, want)
	refused(t, op, "query_database", map[string]any{"sql": "SELECT 1; DELETE FROM orders"}, "Invalid request")
	refused(t, op, "query_database", map[string]any{"sql": "SELECT 1; SELECT 2"}, "Invalid request")
	for _, q := range []string{
		"SELECT * FROM sessions",
		"SELECT COUNT(*) FROM refresh_tokens",
		"SELECT body FROM mailbox",
		"SELECT password_hash FROM users",
		"SELECT * FROM users",
		"SELECT email FROM users WHERE password_hash LIKE '$argon2%'",
		"SELECT data FROM addresses",
		"SELECT shipping_address FROM orders",
		"SELECT x FROM (SELECT password_hash AS x FROM users) AS sub",
		"SELECT (SELECT token FROM sandbox_authorizations LIMIT 1) AS t",
	} {
		txt := refused(t, op, "query_database", map[string]any{"sql": q}, "Forbidden")
		if !strings.Contains(txt, "not readable") {
			t.Errorf("%s: the refusal does not say why: %s", q, txt)
		}
	}
	if tb.Dialect == "postgres" {
		// A query cannot turn back into the shop's own role: the console
		// logs in as its reader (after SET ROLE, set_config could undo it).
		refused(t, op, "query_database", map[string]any{"sql": "SELECT set_config('role', 'none', true) AS r, query_to_xml('SELECT password_hash FROM users', true, false, '') AS x"}, "Forbidden")
		// A session advisory lock taken by a query ends with the query
		// (held on, this one would stop every later migration).
		call(t, op, "query_database", map[string]any{"sql": "SELECT pg_advisory_lock(478560413294) AS l"}, &tb)
		for deadline := time.Now().Add(10 * time.Second); ; {
			call(t, op, "query_database", map[string]any{"sql": "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 478560413294 % 4294967296"}, &tb)
			if fmt.Sprint(tb.Rows[0][0]) == "0" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the console's advisory lock outlived its query: %v", tb.Rows)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	runaway := "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
	mcp.SetQueryTimeout(s.mcp, time.Second)
	txt := refused(t, op, "query_database", map[string]any{"sql": runaway}, "Unprocessable request")
	mcp.SetQueryTimeout(s.mcp, generous)
	if !strings.Contains(txt, "stopped") || !strings.Contains(txt, "1s") {
		t.Errorf("a runaway query's refusal: %s", txt)
	}
	refused(t, op, "query_database", map[string]any{"sql": "SELEC 1"}, "Unprocessable request")
	if tb.Dialect == "sqlite" {
		// A value the query builds is capped (1 MiB), not allocated as asked.
		refused(t, op, "query_database", map[string]any{"sql": "SELECT length(randomblob(500000000)) AS n"}, "Unprocessable request")
		call(t, op, "query_database", map[string]any{"sql": "SELECT length(randomblob(1000)) AS n"}, &tb)
	}
	// The schema resource reads this database's catalog.
	r, err := memClient(t, s.mcp).ReadResource(context.Background(), &sdk.ReadResourceParams{URI: "ocean://schema"})
	if err != nil || !strings.Contains(r.Contents[0].Text, `"dialect": "`+tb.Dialect+`"`) || !strings.Contains(r.Contents[0].Text, `"name": "kg_relations"`) {
		t.Fatalf("schema resource: %v", err)
	}
	// The shop still works after all that.
	call(t, op, "query_database", map[string]any{"sql": "SELECT COUNT(*) AS n FROM orders"}, &tb)
}
