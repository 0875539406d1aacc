// Package sqlitetest gives tests a fresh, migrated SQLite database in a
// temporary directory, closed when the test ends.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite"
)

// Open returns an empty database with every migration applied.
func Open(t testing.TB) *sqldb.DB {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "ocean.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() }) // a test database in t.TempDir; closing cannot fail the test
	ms, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Up(context.Background(), db, ms); err != nil {
		t.Fatal(err)
	}
	return db
}
