package postgrestest_test

import (
	"context"
	"testing"

	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/postgres/postgrestest"
)

// A copy of the template is at the latest version: a shop starting on it
// (migrate.OnStart) or a test migrating it again finds nothing to do.
func TestOpenIsMigrated(t *testing.T) {
	ctx := context.Background()
	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		db := postgrestest.Open(t)
		st, err := migrate.GetStatus(ctx, db, ms)
		if err != nil || !st.UpToDate() || st.Current != ms[len(ms)-1].Version {
			t.Fatalf("status %+v (%v), want every migration applied", st, err)
		}
		if n, err := migrate.Up(ctx, db, ms); err != nil || n != 0 {
			t.Fatalf("migrate up on a copy: %d applied (%v), want none", n, err)
		}
	}
}
