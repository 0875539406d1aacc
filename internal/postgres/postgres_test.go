package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/mail/mailtest"
	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/payment/sandbox"
	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
	"github.com/oceanshop/ocean/internal/postgres/postgrestest"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/storetest"
)

// openURL opens the database at url, closed when the test ends.
func openURL(t *testing.T, url string) *sqldb.DB {
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func open(t *testing.T) (*sqldb.DB, []migrate.Migration) {
	db := openURL(t, pgtest.URL(t))
	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	return db, ms
}

func TestCatalogContract(t *testing.T) {
	storetest.Catalog(t, func(t *testing.T) catalog.Store {
		db := postgrestest.Open(t)
		return db.Catalog()
	})
}

func TestBulkContract(t *testing.T) {
	storetest.Bulk(t, func(t *testing.T) storetest.BulkDB {
		db := postgrestest.Open(t)
		return storetest.BulkDB{Catalog: db.Catalog(), Inventory: db.Commerce(), Media: db.Media()}
	})
}

// BenchmarkImport10k: a 10,000-row CSV import (make bench).
func BenchmarkImport10k(b *testing.B) {
	storetest.BenchImport(b, func(b *testing.B) storetest.BulkDB {
		db := postgrestest.Open(b)
		return storetest.BulkDB{Catalog: db.Catalog(), Inventory: db.Commerce(), Media: db.Media()}
	})
}

// Instances that start at once on an empty database migrate one at a
// time under Locked: one applies every step, the others find nothing to do.
func TestLockedMigratesOnce(t *testing.T) {
	db, ms := open(t)
	applied := make(chan int, 3)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			errs <- postgres.Locked(context.Background(), db, func() error {
				n, err := migrate.Up(context.Background(), db, ms)
				applied <- n
				return err
			})
		}()
	}
	total := 0
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		total += <-applied
	}
	if total != len(ms) {
		t.Fatalf("%d migrations applied in all, want %d (each once)", total, len(ms))
	}
}

func TestMigrationsDownAndUp(t *testing.T) {
	storetest.Migrations(t, func(t *testing.T) (migrate.Target, []migrate.Migration) { return open(t) })
}

func TestOrderNumbersMigration(t *testing.T) {
	storetest.OrderNumbersMigration(t, func(t *testing.T) (migrate.Target, []migrate.Migration, storetest.CommerceDB) {
		db, ms := open(t)
		return db, ms, storetest.CommerceDB{Catalog: db.Catalog(), Accounts: db.Accounts(), Commerce: db.Commerce()}
	})
}

func TestNormalisedSizes(t *testing.T) {
	storetest.NormalisedSizes(t, func(t *testing.T) (migrate.Target, []migrate.Migration, catalog.Store) {
		db, ms := open(t)
		return db, ms, db.Catalog()
	})
}

func TestAccountsContract(t *testing.T) {
	storetest.Accounts(t, func(t *testing.T) storetest.AccountDB {
		db := postgrestest.Open(t)
		return storetest.AccountDB{Store: db.Accounts(), Dump: func(t *testing.T) []byte {
			// Every row of every table as PostgreSQL renders it.
			var all []byte
			for _, table := range []string{"users", "addresses", "sessions", "refresh_tokens", "password_resets", "audit_events", "mailbox"} {
				var s sql.NullString
				if err := db.Read.QueryRow(`SELECT string_agg(t::text, E'\n') FROM ` + table + ` t`).Scan(&s); err != nil {
					t.Fatal(err)
				}
				all = append(all, s.String...)
			}
			return all
		}}
	})
}

func TestCommerceContract(t *testing.T) {
	storetest.Commerce(t, func(t *testing.T) storetest.CommerceDB {
		url := postgrestest.URL(t)
		db := openURL(t, url)
		return storetest.CommerceDB{Catalog: db.Catalog(), Accounts: db.Accounts(), Commerce: db.Commerce(), Exec: func(t *testing.T, q string, args ...any) {
			if _, err := db.Write.Exec(sqldb.Rebind(db.Dialect, q), args...); err != nil {
				t.Fatal(err)
			}
		}, Second: func(t *testing.T) storetest.CommerceStore { return openURL(t, url).Commerce() }}
	})
}

func TestSandboxGatewayContract(t *testing.T) {
	storetest.SandboxGateway(t, func(t *testing.T) sandbox.Store {
		db := postgrestest.Open(t)
		return db.SandboxGateway()
	})
}

func TestMailboxContract(t *testing.T) {
	mailtest.Store(t, func(t *testing.T) mail.Store {
		db := postgrestest.Open(t)
		return db.Mailbox()
	})
}

func TestKPIContract(t *testing.T) {
	ms, err := postgres.Migrations() // its backfill check migrates down and up again
	if err != nil {
		t.Fatal(err)
	}
	storetest.KPI(t, func(t *testing.T) storetest.KPIDB {
		db := postgrestest.Open(t)
		return storetest.KPIDB{CommerceDB: storetest.CommerceDB{Catalog: db.Catalog(), Accounts: db.Accounts(), Commerce: db.Commerce()},
			KPI: db.KPI(), Target: db, Migrations: ms}
	})
}

func TestMediaContract(t *testing.T) {
	storetest.Media(t, func(t *testing.T) storetest.MediaDB {
		db := postgrestest.Open(t)
		return storetest.MediaDB{Catalog: db.Catalog(), Images: db.Media(), Blobs: db.Media()}
	})
}

func TestErrorsContract(t *testing.T) {
	storetest.Errors(t, func(t *testing.T) errtrack.Store { return postgrestest.Open(t).Errors() })
}

func TestVitalsContract(t *testing.T) { storetest.Vitals(t, postgrestest.Open(t).Vitals()) }

func TestFacetOptionsFollowRawWrites(t *testing.T) {
	storetest.FacetOptionsFollowRawWrites(t, postgrestest.Open(t))
}
