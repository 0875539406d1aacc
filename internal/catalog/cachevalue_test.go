package catalog_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
)

// What one instance puts in the shared tier, another reads back the same.
func TestCacheValuesRoundTrip(t *testing.T) {
	created := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cats := []catalog.Category{{ID: 1, Slug: "clothing", Name: "Clothing"}, {ID: 2, Slug: "tees", Name: "Tees", ParentID: 1}}
	card := catalog.Card{ID: 7, Slug: "tee", Name: "Tee", PriceMin: zar(100), PriceMax: zar(200), InStock: true, CreatedAt: created}
	facets := catalog.Facets{Total: 3, InStock: 1, Categories: map[int64]int{2: 3}, PriceMin: 100, PriceMax: 900,
		Options: map[string]map[string]int{"size": {"S": 2}}}
	product := &catalog.Product{ID: 7, Slug: "tee", Name: "Tee", Variants: []catalog.Variant{{ID: 9, SKU: "T", Price: zar(100), Stock: 2}}, CreatedAt: created}
	page := &catalog.Page{Items: []catalog.Card{card}, NextCursor: "abc", Facets: facets}
	for key, v := range map[string]any{
		"search:q=tee": page,
		"facets:q=tee": facets,
		"card:7":       card,
		"product:tee":  product,
		"view:home":    []byte("<html>"),
		"negative:x":   true,
	} {
		b, err := catalog.EncodeCacheValue(key, v)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		got, err := catalog.DecodeCacheValue(key, b)
		if err != nil {
			t.Fatalf("%s: decode: %v", key, err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("%s: got %#v, want %#v", key, got, v)
		}
	}
	// The tree travels as its flat list and is rebuilt with its links.
	b, err := catalog.EncodeCacheValue("tree", catalog.NewTree(cats))
	if err != nil {
		t.Fatal(err)
	}
	v, err := catalog.DecodeCacheValue("tree", b)
	if err != nil {
		t.Fatal(err)
	}
	tree := v.(*catalog.Tree)
	if len(tree.Roots) != 1 || len(tree.Roots[0].Children) != 1 || tree.Roots[0].Children[0].Slug != "tees" {
		t.Fatalf("tree = %+v", tree.Roots)
	}
	// Values with no shared form stay local; garbage and unknown keyspaces are errors.
	for key, v := range map[string]any{"view:home": "a string", "card:7": product, "tree": cats, "other:1": 1} {
		if _, err := catalog.EncodeCacheValue(key, v); err == nil {
			t.Errorf("%s with %T encoded", key, v)
		}
	}
	if _, err := catalog.DecodeCacheValue("card:7", []byte("not gob")); err == nil {
		t.Error("garbage decoded")
	}
	if _, err := catalog.DecodeCacheValue("tree", []byte("not gob")); err == nil {
		t.Error("garbage tree decoded")
	}
	if _, err := catalog.DecodeCacheValue("mystery:1", []byte{1}); err == nil {
		t.Error("unknown keyspace decoded")
	}
}

func TestKeyspaces(t *testing.T) {
	for key, want := range map[string]string{"tree": "tree", "search:q=a": "search", "card:1": "card", "negative:x": "negative", "view": "view", "cards:1": "other", "": "other"} {
		if got := catalog.CacheKeyspace(key); got != want {
			t.Errorf("keyspace of %q = %s, want %s", key, got, want)
		}
	}
}

func TestCacheCounts(t *testing.T) {
	var c catalog.CacheCounters
	c.Local("card:1", true)
	c.Local("card:2", false)
	c.Shared("card:2", true)
	c.Local("search:x", false)
	c.Shared("search:x", false)
	c.Refresh("search:x")
	c.Local("mystery", false)
	s := c.Stats()
	if s["card"] != (catalog.CacheCounts{LocalHits: 1, LocalMisses: 1, SharedHits: 1}) {
		t.Fatalf("card = %+v", s["card"])
	}
	if s["search"] != (catalog.CacheCounts{LocalMisses: 1, SharedMisses: 1, Refreshes: 1}) || s["other"].LocalMisses != 1 {
		t.Fatalf("stats = %+v", s)
	}
	if _, ok := s["tree"]; ok {
		t.Fatal("a keyspace never looked up is listed")
	}
	if r := s["card"].HitRatio(); r != 1 {
		t.Fatalf("card hit ratio %v: both lookups were answered by a tier", r)
	}
	if r := s["search"].HitRatio(); r != 0 {
		t.Fatalf("search hit ratio %v", r)
	}
	if r := (catalog.CacheCounts{}).HitRatio(); r != 0 {
		t.Fatalf("no lookups: %v", r)
	}
	tot := s.Total()
	if tot.Lookups() != 4 || tot.LocalHits != 1 || tot.SharedHits != 1 || tot.Refreshes != 1 {
		t.Fatalf("total = %+v", tot)
	}
	sum := s.Add(catalog.CacheStats{"card": {LocalHits: 2}, "view": {LocalMisses: 1}})
	if sum["card"].LocalHits != 3 || sum["view"].LocalMisses != 1 || sum["search"] != s["search"] || s["card"].LocalHits != 1 {
		t.Fatalf("sum = %+v (and the operands must not change)", sum)
	}
}

func TestRefreshEarly(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exp := now.Add(time.Minute)
	gap := catalog.RefreshGap(20 * time.Minute) // one minute
	if gap != time.Minute {
		t.Fatalf("gap %v", gap)
	}
	// u near 1: a tiny lead, no refresh a minute out; u near 0: always.
	if catalog.RefreshEarly(now, exp, gap, 1) {
		t.Error("refreshed with no lead")
	}
	if !catalog.RefreshEarly(now, exp, gap, 0) || !catalog.RefreshEarly(now, exp, gap, 0.01) {
		t.Error("no refresh with a long lead")
	}
	if !catalog.RefreshEarly(exp, exp, gap, 1) {
		t.Error("an expired entry is not a miss")
	}
	if l, s := catalog.CacheTTL("negative:x"); l != catalog.NegativeLocalTTL || s != catalog.NegativeSharedTTL {
		t.Errorf("negative ttl %v %v", l, s)
	}
	if l, s := catalog.CacheTTL("card:1"); l != catalog.LocalTTL || s != catalog.SharedTTL {
		t.Errorf("ttl %v %v", l, s)
	}
	for range 100 {
		if j := catalog.Jitter(time.Minute); j < 54*time.Second || j > 66*time.Second {
			t.Fatalf("jitter %v beyond ±10%%", j)
		}
	}
}

func TestTree(t *testing.T) {
	cats := []catalog.Category{
		{ID: 1, Slug: "clothing", Name: "Clothing"},
		{ID: 4, Slug: "kitchen", Name: "Kitchen"},
		{ID: 2, Slug: "tees", Name: "Tees", ParentID: 1},
		{ID: 3, Slug: "vintage", Name: "Vintage", ParentID: 2},
		// A loop only a hand-edited database makes: it must not hang pages.
		{ID: 5, Slug: "a", Name: "A", ParentID: 6},
		{ID: 6, Slug: "b", Name: "B", ParentID: 5},
	}
	tree := catalog.NewTree(cats)
	v, ok := tree.BySlug("vintage")
	if !ok {
		t.Fatal("vintage not found")
	}
	var path []string
	for _, c := range tree.Path(v) {
		path = append(path, c.Slug)
	}
	if !slices.Equal(path, []string{"clothing", "tees", "vintage"}) {
		t.Fatalf("path = %v", path)
	}
	c, _ := tree.ByID(1)
	if got := tree.Subtree(c); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("subtree = %v", got)
	}
	rolled := tree.Roll(map[int64]int{3: 2, 2: 1, 4: 5})
	if rolled[1] != 3 || rolled[2] != 3 || rolled[3] != 2 || rolled[4] != 5 {
		t.Fatalf("rolled = %v", rolled)
	}
	if _, ok := tree.BySlug("nope"); ok {
		t.Fatal("unknown slug found")
	}
	// Every category is reachable from a root, loop or not, and Path ends.
	seen := 0
	var walk func([]*catalog.Category)
	walk = func(cs []*catalog.Category) {
		for _, c := range cs {
			seen++
			walk(c.Children)
		}
	}
	walk(tree.Roots)
	if seen != len(cats) {
		t.Fatalf("%d of %d categories reachable", seen, len(cats))
	}
	a, _ := tree.BySlug("a")
	if len(tree.Path(a)) > len(cats) {
		t.Fatal("path through a loop")
	}
	if r := tree.Roll(map[int64]int{5: 1}); r[5] != 1 || len(r) > 2 {
		t.Fatalf("roll through a broken loop = %v", r)
	}
}
