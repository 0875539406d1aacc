package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/postgres/postgrestest"
)

// The catalog's searches are planned for their own values every time: a
// named prepared statement would let PostgreSQL switch to one generic plan
// from its sixth run on, and for a price range or a word that plan can be a
// hundred times slower than the one for the values at hand (sqldb.DB's
// PlanEach). Other statements stay prepared. One connection, so the
// session whose statements are listed is the one that ran them.
func TestCatalogSearchesArePlannedEachTime(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.OpenWith(ctx, postgrestest.URL(t), postgres.Pool{MaxConns: 1, MaxIdle: 1, ConnectTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := db.Catalog()
	c := &catalog.Category{Slug: "tees", Name: "Tees"}
	if err := s.CreateCategory(ctx, c, catalog.System); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		lo := int64(1000 * i)
		f := catalog.Filter{CategoryIDs: []int64{c.ID}, MinPrice: &lo, Sort: catalog.SortNewest, Limit: 10}
		if _, err := s.Search(ctx, f); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Facets(ctx, f); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cards(ctx, []int64{1, 2}); err != nil {
			t.Fatal(err)
		}
	}
	var searches, others int
	if err := db.Read.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE statement ~ $1), count(*) FILTER (WHERE statement !~ $1) FROM pg_prepared_statements`, `p\.price_max >= \$[0-9]`).Scan(&searches, &others); err != nil {
		t.Fatal(err)
	}
	if searches != 0 {
		t.Errorf("%d search or facet statements kept prepared, want none", searches)
	}
	if others == 0 {
		t.Error("no statement kept prepared at all: the check cannot tell the searches apart")
	}
}
