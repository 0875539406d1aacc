package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/sqlite"
	"github.com/oceanshop/ocean/internal/storetest"
)

func TestCatalogContract(t *testing.T) {
	storetest.Catalog(t, func(t *testing.T) catalog.Store {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "ocean.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ms, err := sqlite.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Up(context.Background(), db, ms); err != nil {
			t.Fatal(err)
		}
		return db.Catalog()
	})
}

func TestMigrationsDownAndUp(t *testing.T) {
	storetest.Migrations(t, func(t *testing.T) (migrate.Target, []migrate.Migration) {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "ocean.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ms, err := sqlite.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		return db, ms
	})
}
