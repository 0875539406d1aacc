package catalog_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/local"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

// slowStore holds product loads until released, counting them.
type slowStore struct {
	countingStore
	release chan struct{}
}

func (s *slowStore) ProductBySlug(ctx context.Context, slug string) (*catalog.Product, error) {
	<-s.release
	return s.countingStore.ProductBySlug(ctx, slug)
}

func seeded(t *testing.T) (*countingStore, *catalog.Product) {
	st := &countingStore{Store: sqlitetest.Open(t).Catalog()}
	s := catalog.NewService(st, nil)
	c := &catalog.Category{Slug: "tees", Name: "Tees"}
	if err := s.CreateCategory(ctx, c); err != nil {
		t.Fatal(err)
	}
	p := &catalog.Product{Slug: "tee", Name: "Tee", CategoryID: c.ID,
		Variants: []catalog.Variant{{SKU: "TEE", Price: zar(100), Stock: 3}}}
	if err := s.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	return st, p
}

// A burst of requests for one uncached product runs one database load.
func TestBurstOfMissesLoadsOnce(t *testing.T) {
	st, _ := seeded(t)
	slow := &slowStore{countingStore: countingStore{Store: st.Store}, release: make(chan struct{})}
	s := catalog.NewService(slow, local.NewCache(100))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if p, err := s.Product(ctx, "tee"); err != nil || p.Name != "Tee" {
				t.Errorf("Product = %v, %v", p, err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // let the burst pile up behind the load
	close(slow.release)
	wg.Wait()
	if n := slow.calls.Load(); n != 1 {
		t.Fatalf("50 concurrent misses ran %d loads, want 1", n)
	}
}

// Requests for a product that does not exist reach the database once; the
// product appearing is seen at once.
func TestMissingProductIsRemembered(t *testing.T) {
	st, p := seeded(t)
	s := catalog.NewService(st, local.NewCache(100))
	before := st.calls.Load()
	for range 100 {
		if _, err := s.Product(ctx, "tee-shirt"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
			t.Fatalf("Product(tee-shirt) = %v, want not found", err)
		}
	}
	if n := st.calls.Load() - before; n != 1 {
		t.Fatalf("100 requests for a missing product ran %d queries, want 1", n)
	}
	slug := "tee-shirt"
	if err := s.UpdateProduct(ctx, p.ID, catalog.ProductUpdate{Slug: &slug}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Product(ctx, "tee-shirt"); err != nil || got.ID != p.ID {
		t.Fatalf("after the rename: %v, %v", got, err)
	}
	if s.CacheStats()["negative"].LocalHits != 99 {
		t.Errorf("negative stats = %+v", s.CacheStats()["negative"])
	}
}
