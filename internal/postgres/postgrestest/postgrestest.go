// Package postgrestest gives tests a new PostgreSQL database with every
// migration applied, as sqlitetest does for SQLite. The migrations run once
// per server and set of migrations, into a template database that each
// test's database is copied from (pgtest.From); a test of the migrations
// themselves wants pgtest.URL's empty database instead.
package postgrestest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// The template's key is a hash of the migrations: a changed or added one
// makes a new template, and test binaries built from the same migrations
// share one.
var (
	migrationsOnce sync.Once
	migrations     []migrate.Migration
	key            string
	migrationsErr  error
)

func load() ([]migrate.Migration, string, error) {
	migrationsOnce.Do(func() {
		migrations, migrationsErr = postgres.Migrations()
		h := sha256.New()
		for _, m := range migrations {
			fmt.Fprintf(h, "%d %q %q %q\n", m.Version, m.Name, m.Up, m.Down)
		}
		key = "ocean migrations " + hex.EncodeToString(h.Sum(nil))
	})
	return migrations, key, migrationsErr
}

// URL returns the connection URL of a new database with every migration
// applied, dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	ms, key, err := load()
	if err != nil {
		t.Fatal(err)
	}
	return pgtest.From(t, key, func(ctx context.Context, url string) error {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			return err
		}
		_, err = migrate.Up(ctx, db, ms)
		return errors.Join(err, db.Close())
	})
}

// Open returns a new database with every migration applied, closed and
// dropped when the test ends.
func Open(t testing.TB) *sqldb.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() }) // the database is dropped next; closing cannot fail the test
	return db
}
