package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/sqlite"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
	"github.com/oceanshop/ocean/internal/storetest"
)

func TestCatalogContract(t *testing.T) {
	storetest.Catalog(t, func(t *testing.T) catalog.Store { return sqlitetest.Open(t).Catalog() })
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
