package storetest

import (
	"slices"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

func testSettings(t *testing.T, f *shop) {
	st, err := f.s.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The migration seeds what was fixed in code before settings existed.
	if st.ShopName != "Ocean" || st.Currency != "ZAR" || !st.PricesIncludeTax || st.Version != 1 ||
		len(st.Countries) != 35 || st.Countries[0] != "ZA" || !st.Ships("GB") || st.Ships("XX") {
		t.Fatalf("seeded settings = %+v", st)
	}
	next := *st
	next.ShopName, next.Countries, next.PricesIncludeTax = "Kelp & Co", []string{"ZA", "NA"}, false
	got, err := f.s.UpdateSettings(ctx, next, pricing.Actor{ID: 1, Name: "boss@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.ShopName != "Kelp & Co" || !slices.Equal(got.Countries, []string{"ZA", "NA"}) || got.PricesIncludeTax {
		t.Fatalf("updated = %+v", got)
	}
	// A write from the old version changes nothing.
	stale := *st
	stale.ShopName = "Lost"
	if _, err := f.s.UpdateSettings(ctx, stale, pricing.Actor{ID: 1, Name: "boss@example.com"}); ocean.ErrorCode(err) != ocean.ESTALE {
		t.Fatalf("stale write: %v; want ESTALE", err)
	}
	if again, err := f.s.Settings(ctx); err != nil || again.ShopName != "Kelp & Co" || again.Version != 2 {
		t.Fatalf("after a stale write = %+v, %v", again, err)
	}
	// Of concurrent writers from one version, exactly one wins.
	var wg sync.WaitGroup
	wins := make(chan string, 4)
	for _, name := range []string{"A", "B", "C", "D"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := *got
			w.ShopName = name
			if _, err := f.s.UpdateSettings(ctx, w, pricing.Actor{ID: 1, Name: "boss@example.com"}); err == nil {
				wins <- name
			} else if ocean.ErrorCode(err) != ocean.ESTALE {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	var won []string
	for n := range wins {
		won = append(won, n)
	}
	final, err := f.s.Settings(ctx)
	if err != nil || len(won) != 1 || final.ShopName != won[0] || final.Version != 3 {
		t.Fatalf("winners %v, final %+v, %v", won, final, err)
	}
}
