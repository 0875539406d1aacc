package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/mail/mailtest"
	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/payment/sandbox"
	"github.com/oceanshop/ocean/internal/sqlite"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
	"github.com/oceanshop/ocean/internal/storetest"
)

func TestCatalogContract(t *testing.T) {
	storetest.Catalog(t, func(t *testing.T) catalog.Store { return sqlitetest.Open(t).Catalog() })
}

func TestBulkContract(t *testing.T) {
	storetest.Bulk(t, func(t *testing.T) storetest.BulkDB {
		db := sqlitetest.Open(t)
		return storetest.BulkDB{Catalog: db.Catalog(), Inventory: db.Commerce(), Media: db.Media()}
	})
}

// BenchmarkImport10k: a 10,000-row CSV import (make bench).
func BenchmarkImport10k(b *testing.B) {
	storetest.BenchImport(b, func(b *testing.B) storetest.BulkDB {
		db := sqlitetest.Open(b)
		return storetest.BulkDB{Catalog: db.Catalog(), Inventory: db.Commerce(), Media: db.Media()}
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

func TestOrderNumbersMigration(t *testing.T) {
	storetest.OrderNumbersMigration(t, func(t *testing.T) (migrate.Target, []migrate.Migration, storetest.CommerceDB) {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "ocean.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ms, err := sqlite.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		return db, ms, storetest.CommerceDB{Catalog: db.Catalog(), Accounts: db.Accounts(), Commerce: db.Commerce()}
	})
}

func TestNormalisedSizes(t *testing.T) {
	storetest.NormalisedSizes(t, func(t *testing.T) (migrate.Target, []migrate.Migration, catalog.Store) {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "ocean.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ms, err := sqlite.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		return db, ms, db.Catalog()
	})
}

func TestAccountsContract(t *testing.T) {
	storetest.Accounts(t, func(t *testing.T) storetest.AccountDB {
		path := filepath.Join(t.TempDir(), "ocean.db")
		db, err := sqlite.Open(path)
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
		return storetest.AccountDB{Store: db.Accounts(), Dump: func(t *testing.T) []byte {
			// Everything on disk: the database file and its WAL, as they are.
			var all []byte
			for _, f := range []string{path, path + "-wal"} {
				b, err := os.ReadFile(f)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				all = append(all, b...)
			}
			return all
		}}
	})
}

func TestCommerceContract(t *testing.T) {
	storetest.Commerce(t, func(t *testing.T) storetest.CommerceDB {
		db := sqlitetest.Open(t)
		return storetest.CommerceDB{Catalog: db.Catalog(), Accounts: db.Accounts(), Commerce: db.Commerce(), Exec: func(t *testing.T, q string, args ...any) {
			if _, err := db.Write.Exec(q, args...); err != nil {
				t.Fatal(err)
			}
		}}
	})
}

func TestSandboxGatewayContract(t *testing.T) {
	storetest.SandboxGateway(t, func(t *testing.T) sandbox.Store { return sqlitetest.Open(t).SandboxGateway() })
}

func TestMailboxContract(t *testing.T) {
	mailtest.Store(t, func(t *testing.T) mail.Store { return sqlitetest.Open(t).Mailbox() })
}

func TestKPIContract(t *testing.T) {
	storetest.KPI(t, func(t *testing.T) storetest.KPIDB {
		db := sqlitetest.Open(t)
		ms, err := sqlite.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		return storetest.KPIDB{CommerceDB: storetest.CommerceDB{Catalog: db.Catalog(), Accounts: db.Accounts(), Commerce: db.Commerce()},
			KPI: db.KPI(), Target: db, Migrations: ms}
	})
}

func TestMediaContract(t *testing.T) {
	storetest.Media(t, func(t *testing.T) storetest.MediaDB {
		db := sqlitetest.Open(t)
		return storetest.MediaDB{Catalog: db.Catalog(), Images: db.Media(), Blobs: db.Media()}
	})
}

func TestErrorsContract(t *testing.T) {
	storetest.Errors(t, func(t *testing.T) errtrack.Store { return sqlitetest.Open(t).Errors() })
}

func TestVitalsContract(t *testing.T) { storetest.Vitals(t, sqlitetest.Open(t).Vitals()) }

func TestFacetOptionsFollowRawWrites(t *testing.T) {
	storetest.FacetOptionsFollowRawWrites(t, sqlitetest.Open(t))
}
