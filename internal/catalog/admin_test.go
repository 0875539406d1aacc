package catalog_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
)

var owner = catalog.Actor{ID: 1, Name: "owner@example.com"}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Plain Tee":             "plain-tee",
		"  Crème brûlée & Co. ": "creme-brulee-and-co",
		"100% wool — 2 pack!":   "100-wool-2-pack",
		"":                      "product",
		"???":                   "product",
		string(make([]byte, 0)): "product",
		"a very long name that goes on and on and on and on and on and on and on and on and on": "a-very-long-name-that-goes-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on",
	} {
		if got := catalog.Slugify(in); got != want || len(got) > 80 {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

// The demo catalog's size facet mixed "S" and "Small": values are stored
// in one spelling, so a facet groups them.
func TestNormalizeGroupsSizes(t *testing.T) {
	p := &catalog.Product{Name: " Linen  Bag ", Options: []catalog.Option{{Name: "Size", Values: []string{"Small", "S", " large", "Medium"}}, {Name: "Color", Values: []string{"forest"}}},
		Variants: []catalog.Variant{{SKU: " B-S ", Options: map[string]string{"Size": "small", "color": "forest"}, Price: zar(1), CompareAt: ocean.Money{Amount: 5}}}}
	p.Normalize()
	if p.Name != "Linen Bag" || p.Slug != "linen-bag" || p.Status != catalog.StatusDraft {
		t.Fatalf("normalised %+v", p)
	}
	if !slices.Equal(p.Options[0].Values, []string{"S", "L", "M"}) || p.Options[0].Name != "size" || p.Options[1].Name != "colour" || p.Options[1].Values[0] != "Forest" {
		t.Fatalf("options %+v", p.Options)
	}
	v := p.Variants[0]
	if v.SKU != "B-S" || v.Options["size"] != "S" || v.Options["colour"] != "Forest" || v.CompareAt.Currency != "ZAR" {
		t.Fatalf("variant %+v", v)
	}
}

func adminService(t *testing.T) (*catalog.Service, *catalog.Category) {
	s := newService(t)
	c := &catalog.Category{Name: "Tees"}
	if err := s.AddCategory(ctx, owner, c); err != nil || c.Slug != "tees" {
		t.Fatal(err, c.Slug)
	}
	return s, c
}

func tee(c *catalog.Category) *catalog.Product {
	return &catalog.Product{Name: "Plain tee", CategoryID: c.ID, Description: "Soft.",
		Options: []catalog.Option{{Name: "size", Values: []string{"S", "M"}}},
		Variants: []catalog.Variant{
			{SKU: "PT-S", Price: zar(100), Options: map[string]string{"size": "S"}, Stock: 2},
			{SKU: "PT-M", Price: zar(100), Options: map[string]string{"size": "M"}}}}
}

func TestAdminProductLifecycle(t *testing.T) {
	s, c := adminService(t)
	p := tee(c)
	if err := s.Create(ctx, owner, p); err != nil {
		t.Fatal(err)
	}
	if p.Slug != "plain-tee" || p.Status != catalog.StatusDraft {
		t.Fatalf("created %s %s", p.Slug, p.Status)
	}
	if _, err := s.Product(ctx, "plain-tee"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("a draft reached the storefront: %v", err)
	}
	got, err := s.SetStatus(ctx, owner, p.ID, 1, catalog.StatusActive)
	if err != nil || got.Version != 2 {
		t.Fatal(err)
	}
	if _, err := s.Product(ctx, "plain-tee"); err != nil {
		t.Fatalf("published product not served: %v", err)
	}
	if _, err := s.SetStatus(ctx, owner, p.ID, 1, catalog.StatusArchived); ocean.ErrorCode(err) != ocean.ESTALE {
		t.Fatalf("stale archive: %v", err)
	}
	if _, err := s.SetStatus(ctx, owner, p.ID, 2, "gone"); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatalf("bad status: %v", err)
	}
	// Rename the slug: the old one is a redirect, through the cache too.
	got.Slug, got.Brand = "soft-tee", "Loom & Co"
	if err := s.Save(ctx, owner, got, 2); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var moved *catalog.Moved
		if _, err := s.Product(ctx, "plain-tee"); !errors.As(err, &moved) || moved.Slug != "soft-tee" || ocean.ErrorCode(err) != ocean.ENOTFOUND {
			t.Fatalf("old slug: %v", err)
		}
	}
	changes, err := s.ChangesSince(ctx, catalog.EntityProduct, p.ID, 1)
	if err != nil || len(changes) != 2 || changes[1].Actor != owner.Name || !slices.Equal(changes[1].Changed(), []string{"brand", "slug"}) {
		t.Fatalf("changes since 1: %+v %v", changes, err)
	}
	cp, err := s.Duplicate(ctx, owner, p.ID)
	if err != nil || cp.Slug != "soft-tee-copy" || cp.Name != "Copy of Plain tee" || cp.Variants[0].SKU != "PT-S-COPY" || cp.Variants[0].Stock != 0 || cp.Status != catalog.StatusDraft || cp.Brand != "Loom & Co" {
		t.Fatalf("duplicate %+v %v", cp, err)
	}
	cp2, err := s.Duplicate(ctx, owner, p.ID)
	if err != nil || cp2.Slug != "soft-tee-copy-2" || cp2.Variants[1].SKU != "PT-M-COPY2" {
		t.Fatalf("second duplicate %+v %v", cp2, err)
	}
	if err := s.Delete(ctx, owner, p.ID, 0); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("delete of a published product: %v", err)
	}
	if err := s.Delete(ctx, owner, cp.ID, cp.Version); err != nil {
		t.Fatal(err)
	}
	page, err := s.AdminProducts(ctx, "", "", "", 1)
	if err != nil || len(page.Items) != 1 || page.NextCursor == "" {
		t.Fatalf("page 1 %+v %v", page, err)
	}
	page2, err := s.AdminProducts(ctx, "", "tee", page.NextCursor, 1)
	if err != nil || len(page2.Items) != 1 || page2.NextCursor != "" || page2.Items[0].ID != p.ID {
		t.Fatalf("page 2 %+v %v", page2, err)
	}
	if _, err := s.AdminProducts(ctx, "sold", "", "x", 0); ocean.ErrorCode(err) != ocean.EINVALID || len(ocean.ErrorFields(err)) != 2 {
		t.Fatalf("bad list query: %v", err)
	}
	log, err := s.AuditLog(ctx, catalog.AuditFilter{})
	if err != nil || len(log) < 6 {
		t.Fatalf("audit log %d entries, %v", len(log), err)
	}
}

func TestAdminProductValidation(t *testing.T) {
	s, c := adminService(t)
	cases := map[string]struct {
		edit   func(p *catalog.Product)
		fields []string
	}{
		"negative price":       {func(p *catalog.Product) { p.Variants[0].Price.Amount = -1 }, []string{"variants[0].price"}},
		"price over the max":   {func(p *catalog.Product) { p.Variants[1].Price.Amount = catalog.MaxPrice + 1 }, []string{"variants[1].price"}},
		"unknown category":     {func(p *catalog.Product) { p.CategoryID = 9999 }, []string{"category_id"}},
		"missing option value": {func(p *catalog.Product) { delete(p.Variants[1].Options, "size") }, []string{"variants[1].options.size"}},
		"clashing variants":    {func(p *catalog.Product) { p.Variants[1].Options["size"] = "S" }, []string{"variants[1].options"}},
		"bad status":           {func(p *catalog.Product) { p.Status = "live" }, []string{"status"}},
		"heavy and bad barcode": {func(p *catalog.Product) { p.Variants[0].Weight = -1; p.Variants[0].Barcode = "a\x00b" },
			[]string{"variants[0].weight", "variants[0].barcode"}},
		"compare-at negative": {func(p *catalog.Product) { p.Variants[0].CompareAt = ocean.Money{Amount: -5, Currency: "ZAR"} }, []string{"variants[0].compare_at_price"}},
		"option without values": {func(p *catalog.Product) {
			p.Options = append(p.Options, catalog.Option{Name: "colour"})
		}, []string{"options[1].values", "variants[0].options.colour", "variants[1].options.colour"}},
	}
	for name, tc := range cases {
		p := tee(c)
		tc.edit(p)
		err := s.Create(ctx, owner, p)
		var got []string
		for _, f := range ocean.ErrorFields(err) {
			got = append(got, f.Field)
		}
		if ocean.ErrorCode(err) != ocean.EINVALID || !slices.Equal(got, tc.fields) {
			t.Errorf("%s: %v %v, want fields %v", name, err, got, tc.fields)
		}
	}
	if n, _ := s.CountProducts(ctx); n != 0 {
		t.Fatalf("%d products written by refused creates", n)
	}
}

func TestCategoryTreeWrites(t *testing.T) {
	s, tees := adminService(t)
	parent := &catalog.Category{Name: "Clothing"}
	if err := s.AddCategory(ctx, owner, parent); err != nil {
		t.Fatal(err)
	}
	mv, err := s.Category(ctx, tees.ID)
	if err != nil {
		t.Fatal(err)
	}
	mv.ParentID = parent.ID
	if err := s.UpdateCategory(ctx, owner, mv, mv.Version); err != nil {
		t.Fatal(err)
	}
	tree, _ := s.Categories(ctx)
	if len(tree.Roots) != 1 || len(tree.Roots[0].Children) != 1 || tree.Roots[0].Children[0].ID != tees.ID {
		t.Fatalf("tree after the move: %+v", tree.Roots)
	}
	// Moving a category under its own descendant would make a loop.
	loop, _ := s.Category(ctx, parent.ID)
	loop.ParentID = tees.ID
	if err := s.UpdateCategory(ctx, owner, loop, 0); ocean.ErrorCode(err) != ocean.EINVALID || ocean.ErrorFields(err)[0].Field != "parent_id" {
		t.Fatalf("loop: %v", err)
	}
	bad := &catalog.Category{Name: "", Slug: "Bad Slug", Position: -1}
	if err := s.AddCategory(ctx, owner, bad); ocean.ErrorCode(err) != ocean.EINVALID || len(ocean.ErrorFields(err)) != 3 {
		t.Fatalf("bad category: %v", err)
	}
	if err := s.DeleteCategory(ctx, owner, parent.ID, 0); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("delete of a category with children: %v", err)
	}
	if _, err := s.Category(ctx, 9999); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("missing category: %v", err)
	}
}
