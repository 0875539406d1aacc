package sqldb_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

func TestQueryName(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/oceanshop/ocean/internal/sqldb.(*CommerceStore).Reserve":         "commerce.Reserve",
		"github.com/oceanshop/ocean/internal/sqldb.(*CommerceStore).Reserve.func1":   "commerce.Reserve",
		"github.com/oceanshop/ocean/internal/sqldb.(*CommerceStore).Reserve.func1.2": "commerce.Reserve",
		"github.com/oceanshop/ocean/internal/sqldb.(*AccountStore).SignIn.gowrap1":   "account.SignIn",
		"github.com/oceanshop/ocean/internal/sqldb.(*Reports).Sales":                 "reports.Sales",
		"github.com/oceanshop/ocean/internal/sqldb.loadItems":                        "loadItems",
		"github.com/oceanshop/ocean/internal/sqldb.loadItems.func3":                  "loadItems",
		"github.com/oceanshop/ocean/internal/sqldb.CatalogStore.Categories-fm":       "catalog.Categories-fm",
	} {
		if got := sqldb.QueryName(in); got != want {
			t.Errorf("QueryName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestObserverNamesStatements: every statement a store runs is reported
// with the name of the store method, timed, and traced under the caller's
// context; a missing row is not an error.
func TestObserverNamesStatements(t *testing.T) {
	db := sqlitetest.Open(t)
	var mu sync.Mutex
	var timed, spans []string
	var failed []string
	db.Observe = sqldb.Observer{
		Duration: func(q string, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if d <= 0 {
				t.Errorf("%s took %v", q, d)
			}
			timed = append(timed, q)
		},
		Span: func(ctx context.Context, name string, attrs ...string) (context.Context, func(error)) {
			if ctx.Value(ctxKey{}) != "caller" {
				t.Errorf("span %s lost the caller's context", name)
			}
			mu.Lock()
			spans = append(spans, name)
			mu.Unlock()
			if len(attrs) != 2 || attrs[1] != "sqlite" {
				t.Errorf("span %s attributes %q", name, attrs)
			}
			return ctx, func(err error) {
				if err != nil {
					mu.Lock()
					failed = append(failed, name)
					mu.Unlock()
				}
			}
		},
	}
	ctx := context.WithValue(context.Background(), ctxKey{}, "caller")
	store := db.Commerce()
	c := &cart.Cart{ID: cart.NewID(), Currency: "ZAR"}
	if err := store.CreateCart(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Cart(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Cart(ctx, cart.NewID()); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatal(err)
	}
	if _, err := db.Catalog().Categories(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"commerce.CreateCart", "commerce.Cart", "catalog.Categories"} {
		if !slices.Contains(timed, want) || !slices.Contains(spans, want) {
			t.Errorf("%s not reported: timed %q, spans %q", want, timed, spans)
		}
	}
	for _, n := range timed {
		if n != "commerce.CreateCart" && n != "commerce.Cart" && n != "catalog.Categories" {
			t.Errorf("unexpected query name %q", n)
		}
	}
	if len(failed) != 0 {
		t.Errorf("spans failed: %q (a missing cart is an answer)", failed)
	}
}

type ctxKey struct{}

// BenchmarkObserved is the cost the observer adds to a statement: a
// primary-key read with no observer, with the metrics' duration only (as
// every instance runs), and with a span func too.
func BenchmarkObserved(b *testing.B) {
	db := sqlitetest.Open(b)
	ctx := context.Background()
	store := db.Commerce()
	c := &cart.Cart{ID: cart.NewID(), Currency: "ZAR"}
	if err := store.CreateCart(ctx, c); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, o sqldb.Observer) {
		db.Observe = o
		b.ReportAllocs()
		for b.Loop() {
			if _, err := store.Cart(ctx, c.ID); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("none", func(b *testing.B) { run(b, sqldb.Observer{}) })
	b.Run("duration", func(b *testing.B) { run(b, sqldb.Observer{Duration: func(string, time.Duration) {}}) })
	b.Run("duration+span", func(b *testing.B) {
		run(b, sqldb.Observer{Duration: func(string, time.Duration) {},
			Span: func(ctx context.Context, _ string, _ ...string) (context.Context, func(error)) {
				return ctx, func(error) {}
			}})
	})
}
