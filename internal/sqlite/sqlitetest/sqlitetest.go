// Package sqlitetest gives tests a fresh, migrated SQLite database in a
// temporary directory, closed when the test ends.
package sqlitetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite"
)

// The migrations run once per test binary, into a template database whose
// files are kept in memory; each Open writes a copy. Migrating took about
// 0.7 s of CPU under the race detector (SQLite is Go code there, and every
// memory access of it is checked), and most tests open a database or two.
var (
	templateOnce  sync.Once
	templateFiles map[string][]byte // file name (ocean.db, and a WAL if one was left) → contents
	templateErr   error
)

func migratedTemplate() (map[string][]byte, error) {
	templateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ocean-sqlitetest-")
		if err != nil {
			templateErr = err
			return
		}
		defer os.RemoveAll(dir)
		templateFiles, templateErr = migrateInto(dir)
	})
	return templateFiles, templateErr
}

func migrateInto(dir string) (map[string][]byte, error) {
	db, err := sqlite.Open(filepath.Join(dir, "ocean.db"))
	if err != nil {
		return nil, err
	}
	ms, err := sqlite.Migrations()
	if err == nil {
		_, err = migrate.Up(context.Background(), db, ms)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("migrate the template database: %w", err)
	}
	files := map[string][]byte{}
	for _, name := range []string{"ocean.db", "ocean.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if os.IsNotExist(err) && name != "ocean.db" {
			continue
		}
		if err != nil {
			return nil, err
		}
		files[name] = b
	}
	return files, nil
}

// Prepare puts an empty database with every migration applied into the
// data directory dir (as ocean.db, where an App opens it), unless dir holds
// one already.
func Prepare(t testing.TB, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "ocean.db")); err == nil {
		return
	}
	files, err := migratedTemplate()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// Open returns an empty database with every migration applied.
func Open(t testing.TB) *sqldb.DB {
	t.Helper()
	dir := t.TempDir()
	Prepare(t, dir)
	db, err := sqlite.Open(filepath.Join(dir, "ocean.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() }) // a test database in t.TempDir; closing cannot fail the test
	return db
}
