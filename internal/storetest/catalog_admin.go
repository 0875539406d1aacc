package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
)

// The merchant's write model: statuses, versions, variants replaced in one
// save, old slugs, categories as a tree, and the audit log.
func catalogAdmin(t *testing.T, newStore func(t *testing.T) catalog.Store) {
	t.Run("drafts and archived products stay out of the storefront", func(t *testing.T) { testStatusVisibility(t, newStore(t)) })
	t.Run("a save replaces fields and variants and bumps the version", func(t *testing.T) { testSaveProduct(t, newStore(t)) })
	t.Run("a stale save changes nothing", func(t *testing.T) { testStaleSave(t, newStore(t)) })
	t.Run("conflicts name each field and write nothing", func(t *testing.T) { testSaveConflicts(t, newStore(t)) })
	t.Run("old slugs lead to the new one", func(t *testing.T) { testSlugRedirect(t, newStore(t)) })
	t.Run("only drafts are deleted", func(t *testing.T) { testDeleteProduct(t, newStore(t)) })
	t.Run("categories rename, move and delete when empty", func(t *testing.T) { testCategoryWrites(t, newStore(t)) })
	t.Run("admin list filters by status and text", func(t *testing.T) { testAdminList(t, newStore(t)) })
	t.Run("the search index moves with the product in its transaction", func(t *testing.T) { testSearchIndexInTransaction(t, newStore(t)) })
}

// found reports whether a search for word finds product id.
func found(t *testing.T, s catalog.Store, word string, id int64) bool {
	t.Helper()
	hits, err := s.Search(ctx, catalog.Filter{Terms: []string{word}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(hits, func(h catalog.Hit) bool { return h.ID == id })
}

// The full-text index (FTS5 on SQLite, the tsvector on PostgreSQL) is
// written in the product's own transaction: every committed write is
// searchable as soon as it returns, and a refused one leaves no trace in
// the index, whichever check refused it.
func testSearchIndexInTransaction(t *testing.T, s catalog.Store) {
	c, p := adminFixture(t, s)
	other := &catalog.Product{Slug: "anchor-mug", Name: "Anchor mug", Description: "Enamel.", CategoryID: c.ID, Status: catalog.StatusActive,
		Options:  []catalog.Option{{Name: "colour", Values: []string{"Navy"}}},
		Variants: []catalog.Variant{{SKU: "AM-1", Options: map[string]string{"colour": "Navy"}, Price: zar(100)}}}
	if err := s.CreateProduct(ctx, other, alice); err != nil {
		t.Fatal(err)
	}
	if !found(t, s, "anchor", other.ID) || !found(t, s, "enamel", other.ID) || !found(t, s, "navy", other.ID) {
		t.Fatal("a created product is not searchable by name, description and option value at once")
	}
	// Refused saves: a taken SKU, a stale version, a foreign variant.
	edit, _ := s.ProductByID(ctx, other.ID)
	edit.Name, edit.Variants[0].SKU = "Beacon lamp", "PT-S"
	if err := s.SaveProduct(ctx, edit, 0, alice); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("save with a taken SKU: %v", err)
	}
	edit, _ = s.ProductByID(ctx, other.ID)
	edit.Name = "Lighthouse lamp"
	if err := s.SaveProduct(ctx, edit, edit.Version+5, alice); ocean.ErrorCode(err) != ocean.ESTALE {
		t.Fatalf("stale save: %v", err)
	}
	edit, _ = s.ProductByID(ctx, other.ID)
	edit.Name, edit.Variants[0].ID = "Compass lamp", p.Variants[0].ID
	if err := s.SaveProduct(ctx, edit, 0, alice); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatalf("save with another product's variant: %v", err)
	}
	dup := &catalog.Product{Slug: "driftwood", Name: "Driftwood", CategoryID: c.ID, Status: catalog.StatusActive,
		Variants: []catalog.Variant{{SKU: "AM-1", Price: zar(1)}}}
	if err := s.CreateProduct(ctx, dup, alice); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("create with a taken SKU: %v", err)
	}
	for _, w := range []string{"beacon", "lighthouse", "compass", "driftwood"} {
		if hits, _ := s.Search(ctx, catalog.Filter{Terms: []string{w}, Limit: 10}); len(hits) != 0 {
			t.Errorf("a refused write left %q in the search index: %v", w, hits)
		}
	}
	if !found(t, s, "anchor", other.ID) {
		t.Fatal("a refused save took the product's indexed name away")
	}
	// Committed writes: a rename through UpdateProduct, a save with new
	// option values, then status changes.
	name := "Harbour mug"
	if err := s.UpdateProduct(ctx, other.ID, catalog.ProductUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if !found(t, s, "harbour", other.ID) || found(t, s, "anchor", other.ID) {
		t.Error("a rename is not searchable by the new name only")
	}
	edit, _ = s.ProductByID(ctx, other.ID)
	edit.Options = []catalog.Option{{Name: "colour", Values: []string{"Ochre"}}}
	edit.Variants[0].Options = map[string]string{"colour": "Ochre"}
	if err := s.SaveProduct(ctx, edit, edit.Version, alice); err != nil {
		t.Fatal(err)
	}
	if !found(t, s, "ochre", other.ID) || found(t, s, "navy", other.ID) {
		t.Error("new option values are not searchable in place of the old")
	}
	edit, _ = s.ProductByID(ctx, other.ID)
	edit.Status = catalog.StatusArchived
	if err := s.SaveProduct(ctx, edit, edit.Version, alice); err != nil {
		t.Fatal(err)
	}
	if found(t, s, "harbour", other.ID) {
		t.Error("an archived product is still found")
	}
	edit.Status = catalog.StatusActive
	if err := s.SaveProduct(ctx, edit, edit.Version, alice); err != nil {
		t.Fatal(err)
	}
	if !found(t, s, "harbour", other.ID) {
		t.Error("a product published again is not found")
	}
}

var alice = catalog.Actor{ID: 7, Name: "alice@example.com"}

func adminFixture(t *testing.T, s catalog.Store) (*catalog.Category, *catalog.Product) {
	t.Helper()
	c := &catalog.Category{Slug: "tees", Name: "Tees"}
	if err := s.CreateCategory(ctx, c, catalog.System); err != nil {
		t.Fatal(err)
	}
	p := &catalog.Product{Slug: "plain-tee", Name: "Plain tee", Description: "Soft cotton.", CategoryID: c.ID, Status: catalog.StatusDraft,
		Options: []catalog.Option{{Name: "size", Values: []string{"S", "M"}}},
		Variants: []catalog.Variant{
			{SKU: "PT-S", Options: map[string]string{"size": "S"}, Price: zar(10000), CompareAt: zar(12000), Weight: 180, Barcode: "600100", Stock: 4},
			{SKU: "PT-M", Options: map[string]string{"size": "M"}, Price: zar(11000), Stock: 2, Position: 1},
		}}
	if err := s.CreateProduct(ctx, p, alice); err != nil {
		t.Fatal(err)
	}
	if p.Version != 1 || p.ID == 0 || p.Variants[1].ID == 0 {
		t.Fatalf("created %+v", p)
	}
	return c, p
}

func visible(t *testing.T, s catalog.Store, p *catalog.Product) (bySlug, inSearch, asCard bool) {
	t.Helper()
	_, err := s.ProductBySlug(ctx, p.Slug)
	bySlug = err == nil
	hits, err := s.Search(ctx, catalog.Filter{Terms: []string{"plain"}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		inSearch = inSearch || h.ID == p.ID
	}
	cards, err := s.Cards(ctx, []int64{p.ID})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Facets(ctx, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if (f.Total == 1) != inSearch {
		t.Errorf("facets count %d products while search finds it: %v", f.Total, inSearch)
	}
	return bySlug, inSearch, len(cards) == 1
}

func testStatusVisibility(t *testing.T, s catalog.Store) {
	_, p := adminFixture(t, s)
	if a, b, c := visible(t, s, p); a || b || c {
		t.Fatalf("draft visible: by slug %v, search %v, card %v", a, b, c)
	}
	got, err := s.ProductByID(ctx, p.ID)
	if err != nil || got.Status != catalog.StatusDraft || got.Variants[0].CompareAt.Amount != 12000 || got.Variants[0].Weight != 180 || got.Variants[0].Barcode != "600100" {
		t.Fatalf("admin read %+v, %v", got, err)
	}
	for _, status := range []string{catalog.StatusActive, catalog.StatusArchived} {
		got.Status = status
		if err := s.SaveProduct(ctx, got, got.Version, alice); err != nil {
			t.Fatal(err)
		}
		a, b, c := visible(t, s, p)
		want := status == catalog.StatusActive
		if a != want || b != want || c != want {
			t.Fatalf("%s: by slug %v, search %v, card %v; want %v", status, a, b, c, want)
		}
	}
	log, err := s.AuditLog(ctx, catalog.AuditFilter{Entity: catalog.EntityProduct, EntityID: p.ID, Limit: 10})
	if err != nil || len(log) != 3 || log[0].Action != catalog.ActionArchive || log[2].Action != catalog.ActionCreate || log[0].Actor != alice.Name || log[0].ActorID != alice.ID {
		t.Fatalf("audit %+v, %v", log, err)
	}
	if ch := log[0].Changed(); !slices.Equal(ch, []string{"status"}) {
		t.Fatalf("archive changed %v, want [status]", ch)
	}
}

func testSaveProduct(t *testing.T, s catalog.Store) {
	_, p := adminFixture(t, s)
	got, err := s.ProductByID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Rename, drop M, change S's price and stock, add L.
	got.Name, got.Description, got.Status = "Heavy tee", "Thick **cotton**.", catalog.StatusActive
	got.Options = []catalog.Option{{Name: "size", Values: []string{"S", "L"}}}
	s0 := got.Variants[0]
	s0.Price, s0.Stock = zar(9000), 9
	got.Variants = []catalog.Variant{s0, {SKU: "PT-L", Options: map[string]string{"size": "L"}, Price: zar(12500), Stock: 1, Position: 1}}
	if err := s.SaveProduct(ctx, got, 1, alice); err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Variants[1].ID == 0 {
		t.Fatalf("after save: version %d, new variant id %d", got.Version, got.Variants[1].ID)
	}
	back, err := s.ProductByID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if back.Name != "Heavy tee" || back.Version != 2 || len(back.Variants) != 2 || back.Variants[0].Stock != 9 || back.Variants[0].Price.Amount != 9000 || back.Variants[1].SKU != "PT-L" {
		t.Fatalf("read back %+v", back)
	}
	// The search index and facets follow in the same transaction.
	if hits, _ := s.Search(ctx, catalog.Filter{Terms: []string{"heavy"}, Limit: 5}); len(hits) != 1 {
		t.Fatalf("search for the new name: %v", hits)
	}
	if hits, _ := s.Search(ctx, catalog.Filter{Terms: []string{"plain"}, Limit: 5}); len(hits) != 0 {
		t.Fatalf("search for the old name still finds it: %v", hits)
	}
	f, err := s.Facets(ctx, catalog.Filter{})
	if err != nil || len(f.Options["size"]) != 2 || f.Options["size"]["S"] != 1 || f.Options["size"]["L"] != 1 || f.PriceMin != 9000 {
		t.Fatalf("facets %+v, %v", f, err)
	}
	// KeepStock leaves stock alone whatever the value says.
	back.Variants[0].Stock, back.Variants[0].KeepStock = 500, true
	if err := s.SaveProduct(ctx, back, 2, alice); err != nil {
		t.Fatal(err)
	}
	again, err := s.ProductByID(ctx, p.ID)
	if err != nil || again.Variants[0].Stock != 9 {
		t.Fatalf("KeepStock changed stock: %+v, %v", again, err)
	}
	// A variant's option value changed in place: the size facet follows.
	again.Options = []catalog.Option{{Name: "size", Values: []string{"M", "L"}}}
	again.Variants[0].Options = map[string]string{"size": "M"}
	if err := s.SaveProduct(ctx, again, 3, alice); err != nil {
		t.Fatal(err)
	}
	if f, err := s.Facets(ctx, catalog.Filter{}); err != nil || len(f.Options["size"]) != 2 || f.Options["size"]["M"] != 1 || f.Options["size"]["L"] != 1 {
		t.Fatalf("facets after S became M: %+v, %v", f.Options, err)
	}
	log, err := s.AuditLog(ctx, catalog.AuditFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Entity+":"+e.Action)
	}
	for _, want := range []string{"variant:delete", "variant:create", "variant:update", "product:update", "product:create", "category:create"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
}

func testStaleSave(t *testing.T, s catalog.Store) {
	_, p := adminFixture(t, s)
	first, _ := s.ProductByID(ctx, p.ID)
	second, _ := s.ProductByID(ctx, p.ID)
	first.Name = "First"
	if err := s.SaveProduct(ctx, first, 1, alice); err != nil {
		t.Fatal(err)
	}
	second.Name = "Second"
	second.Variants[0].Stock = 77
	err := s.SaveProduct(ctx, second, 1, catalog.Actor{ID: 8, Name: "bob"})
	if ocean.ErrorCode(err) != ocean.ESTALE {
		t.Fatalf("stale save: %v, want %s", err, ocean.ESTALE)
	}
	back, _ := s.ProductByID(ctx, p.ID)
	if back.Name != "First" || back.Version != 2 || back.Variants[0].Stock != 4 {
		t.Fatalf("stale save wrote: %+v", back)
	}
	if err := s.DeleteProduct(ctx, p.ID, 1, alice); ocean.ErrorCode(err) != ocean.ESTALE {
		t.Fatalf("stale delete: %v", err)
	}
	if err := s.SaveProduct(ctx, &catalog.Product{ID: p.ID + 100}, 0, alice); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("save of a missing product: %v", err)
	}
}

func testSaveConflicts(t *testing.T, s catalog.Store) {
	c, p := adminFixture(t, s)
	other := &catalog.Product{Slug: "other", Name: "Other", CategoryID: c.ID, Status: catalog.StatusActive,
		Variants: []catalog.Variant{{SKU: "OT-1", Price: zar(100)}}}
	if err := s.CreateProduct(ctx, other, alice); err != nil {
		t.Fatal(err)
	}
	edit, _ := s.ProductByID(ctx, p.ID)
	edit.Slug = "other"
	edit.Variants[1].SKU = "OT-1"
	err := s.SaveProduct(ctx, edit, 0, alice)
	fields := fieldNames(err)
	if ocean.ErrorCode(err) != ocean.ECONFLICT || !slices.Equal(fields, []string{"slug", "variants[1].sku"}) {
		t.Fatalf("conflict: %v %v", err, fields)
	}
	dup := &catalog.Product{Slug: "third", Name: "Third", CategoryID: c.ID, Variants: []catalog.Variant{{SKU: "PT-S", Price: zar(1)}}}
	if err := s.CreateProduct(ctx, dup, alice); ocean.ErrorCode(err) != ocean.ECONFLICT || !slices.Equal(fieldNames(err), []string{"variants[0].sku"}) {
		t.Fatalf("duplicate SKU on create: %v", err)
	}
	// A variant id of another product is refused, not moved.
	edit, _ = s.ProductByID(ctx, p.ID)
	edit.Variants[0].ID = other.Variants[0].ID
	if err := s.SaveProduct(ctx, edit, 0, alice); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatalf("foreign variant id: %v", err)
	}
	back, _ := s.ProductByID(ctx, p.ID)
	if back.Version != 1 || back.Slug != "plain-tee" || back.Variants[1].SKU != "PT-M" {
		t.Fatalf("refused saves wrote: %+v", back)
	}
	if n, _ := s.CountProducts(ctx); n != 2 {
		t.Fatalf("%d products after a refused create, want 2", n)
	}
}

func fieldNames(err error) []string {
	var out []string
	for _, f := range ocean.ErrorFields(err) {
		out = append(out, f.Field)
	}
	return out
}

func testSlugRedirect(t *testing.T, s catalog.Store) {
	c, p := adminFixture(t, s)
	edit, _ := s.ProductByID(ctx, p.ID)
	edit.Status = catalog.StatusActive
	edit.Slug = "soft-tee"
	if err := s.SaveProduct(ctx, edit, 0, alice); err != nil {
		t.Fatal(err)
	}
	if to, err := s.SlugRedirect(ctx, "plain-tee"); err != nil || to != "soft-tee" {
		t.Fatalf("redirect from the old slug: %q, %v", to, err)
	}
	edit.Slug = "softest-tee"
	if err := s.SaveProduct(ctx, edit, 0, alice); err != nil {
		t.Fatal(err)
	}
	for _, old := range []string{"plain-tee", "soft-tee"} {
		if to, err := s.SlugRedirect(ctx, old); err != nil || to != "softest-tee" {
			t.Fatalf("redirect from %s: %q, %v", old, to, err)
		}
	}
	// A new product may take an old slug; then it is no longer a redirect.
	np := &catalog.Product{Slug: "plain-tee", Name: "New plain tee", CategoryID: c.ID, Status: catalog.StatusActive, Variants: []catalog.Variant{{SKU: "NPT", Price: zar(1)}}}
	if err := s.CreateProduct(ctx, np, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SlugRedirect(ctx, "plain-tee"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("a live slug still redirects: %v", err)
	}
	if got, err := s.ProductBySlug(ctx, "plain-tee"); err != nil || got.ID != np.ID {
		t.Fatalf("the new owner of the slug: %v", err)
	}
}

func testDeleteProduct(t *testing.T, s catalog.Store) {
	c, p := adminFixture(t, s)
	live := &catalog.Product{Slug: "live", Name: "Live", CategoryID: c.ID, Status: catalog.StatusActive, Variants: []catalog.Variant{{SKU: "LV", Price: zar(1)}}}
	if err := s.CreateProduct(ctx, live, alice); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProduct(ctx, live.ID, 0, alice); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("delete of an active product: %v", err)
	}
	if err := s.DeleteProduct(ctx, p.ID, 1, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ProductByID(ctx, p.ID); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("deleted draft still there: %v", err)
	}
	if err := s.DeleteProduct(ctx, p.ID, 0, alice); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
	log, _ := s.AuditLog(ctx, catalog.AuditFilter{Entity: catalog.EntityProduct, EntityID: p.ID, Limit: 5})
	if len(log) == 0 || log[0].Action != catalog.ActionDelete || !strings.Contains(log[0].Before, "PT-S") || log[0].After != "" {
		t.Fatalf("delete audit %+v", log)
	}
}

func testCategoryWrites(t *testing.T, s catalog.Store) {
	c, _ := adminFixture(t, s)
	shoes := &catalog.Category{Slug: "shoes", Name: "Shoes"}
	if err := s.CreateCategory(ctx, shoes, alice); err != nil || shoes.Version != 1 {
		t.Fatal(err, shoes.Version)
	}
	boots := &catalog.Category{Slug: "boots", Name: "Boots", ParentID: shoes.ID}
	if err := s.CreateCategory(ctx, boots, alice); err != nil {
		t.Fatal(err)
	}
	// Rename and move boots to the top.
	mv := *boots
	mv.Name, mv.ParentID, mv.Position = "Boots & wellies", 0, 3
	if err := s.UpdateCategory(ctx, &mv, 1, alice); err != nil || mv.Version != 2 {
		t.Fatal(err, mv.Version)
	}
	stale := *boots
	stale.Name = "Stale"
	if err := s.UpdateCategory(ctx, &stale, 1, alice); ocean.ErrorCode(err) != ocean.ESTALE {
		t.Fatalf("stale rename: %v", err)
	}
	taken := mv
	taken.Slug = "tees"
	if err := s.UpdateCategory(ctx, &taken, 0, alice); ocean.ErrorCode(err) != ocean.ECONFLICT || !slices.Equal(fieldNames(err), []string{"slug"}) {
		t.Fatalf("slug taken: %v", err)
	}
	cats, _ := s.Categories(ctx)
	for _, x := range cats {
		if x.ID == boots.ID && (x.Name != "Boots & wellies" || x.ParentID != 0 || x.Position != 3 || x.Version != 2) {
			t.Fatalf("boots read back %+v", x)
		}
	}
	if err := s.DeleteCategory(ctx, c.ID, 0, alice); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("delete of a category with products: %v", err)
	}
	if err := s.DeleteCategory(ctx, boots.ID, 1, alice); ocean.ErrorCode(err) != ocean.ESTALE {
		t.Fatalf("stale delete: %v", err)
	}
	if err := s.DeleteCategory(ctx, boots.ID, 2, alice); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCategory(ctx, boots.ID, 0, alice); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
	log, _ := s.AuditLog(ctx, catalog.AuditFilter{Entity: catalog.EntityCategory, EntityID: boots.ID, Limit: 5})
	if len(log) != 3 || log[1].Action != catalog.ActionUpdate || !slices.Equal(log[1].Changed(), []string{"name", "parent_id", "position"}) {
		t.Fatalf("category audit %+v", log)
	}
}

func testAdminList(t *testing.T, s catalog.Store) {
	c, p := adminFixture(t, s)
	for i, name := range []string{"Red mug", "Blue mug"} {
		x := &catalog.Product{Slug: catalog.Slugify(name), Name: name, CategoryID: c.ID, Status: catalog.StatusActive,
			Variants: []catalog.Variant{{SKU: "MUG-" + string(rune('A'+i)), Price: zar(100), Stock: 3}}}
		if err := s.CreateProduct(ctx, x, alice); err != nil {
			t.Fatal(err)
		}
	}
	names := func(f catalog.AdminFilter) []string {
		t.Helper()
		f.Limit = 10
		rows, err := s.AdminProducts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.Name)
		}
		return out
	}
	if got := names(catalog.AdminFilter{}); !slices.Equal(got, []string{"Blue mug", "Red mug", "Plain tee"}) {
		t.Fatalf("all: %v", got)
	}
	if got := names(catalog.AdminFilter{Status: catalog.StatusDraft}); !slices.Equal(got, []string{"Plain tee"}) {
		t.Fatalf("drafts: %v", got)
	}
	if got := names(catalog.AdminFilter{Terms: []string{"mug"}}); len(got) != 2 {
		t.Fatalf("text: %v", got)
	}
	if got := names(catalog.AdminFilter{Terms: []string{"pt"}}); !slices.Equal(got, []string{"Plain tee"}) {
		t.Fatalf("by SKU: %v", got)
	}
	rows, _ := s.AdminProducts(ctx, catalog.AdminFilter{Limit: 1})
	if len(rows) != 2 {
		t.Fatalf("limit 1 returned %d rows, want 2 (one to know there is more)", len(rows))
	}
	rest, _ := s.AdminProducts(ctx, catalog.AdminFilter{After: rows[0].ID, Limit: 10})
	if len(rest) != 2 || rest[1].ID != p.ID || rest[1].Stock != 6 || rest[1].Variants != 2 {
		t.Fatalf("after the first: %+v", rest)
	}
}
