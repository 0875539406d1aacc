// Package pgtest gives tests a fresh, empty PostgreSQL database each. It
// reads the server from OCEAN_TEST_DATABASE_URL (scripts/services.sh sets it).
// Without it tests skip, unless CI or OCEAN_REQUIRE_SERVICES is set, in which
// case a missing server fails the test.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// URL returns the connection URL of a new database that is dropped when the
// test ends.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("OCEAN_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("OCEAN_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL")
		}
		t.Skip("PostgreSQL tests skipped: OCEAN_TEST_DATABASE_URL is not set (`make test` starts a server)")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer func() { _ = admin.Close(ctx) }() // test setup connection; closing cannot fail the test
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "ocean_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer func() { _ = c.Close(context.Background()) }() // as above
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("OCEAN_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
