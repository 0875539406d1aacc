package catalog_test

import (
	"context"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

var ctx = context.Background()

func zar(n int64) ocean.Money { return ocean.Money{Amount: n, Currency: "ZAR"} }

func newService(t *testing.T) *catalog.Service {
	return catalog.NewService(sqlitetest.Open(t).Catalog(), nil)
}

// Bad categories are refused with a field error, never a database error.
func TestCreateCategoryChecksParent(t *testing.T) {
	s := newService(t)
	root := &catalog.Category{Slug: "root", Name: "Root"}
	if err := s.CreateCategory(ctx, root); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*catalog.Category{
		"missing parent": {Slug: "orphan", Name: "Orphan", ParentID: root.ID + 1000},
		"own parent":     {ID: 77, Slug: "self", Name: "Self", ParentID: 77},
	} {
		err := s.CreateCategory(ctx, c)
		if ocean.ErrorCode(err) != ocean.EINVALID || ocean.ErrorFields(err)[0].Field != "parent" {
			t.Errorf("%s: got %v, want invalid parent", name, err)
		}
	}
	child := &catalog.Category{Slug: "child", Name: "Child", ParentID: root.ID}
	if err := s.CreateCategory(ctx, child); err != nil {
		t.Fatal(err)
	}
	tree, err := s.Categories(ctx)
	if err != nil || len(tree.Roots) != 1 || len(tree.Roots[0].Children) != 1 {
		t.Fatalf("tree %+v %v", tree, err)
	}
}

func TestCreateProductValidates(t *testing.T) {
	s := newService(t)
	c := &catalog.Category{Slug: "tees", Name: "Tees"}
	if err := s.CreateCategory(ctx, c); err != nil {
		t.Fatal(err)
	}
	good := func() *catalog.Product {
		return &catalog.Product{Slug: "tee", Name: "Tee", CategoryID: c.ID,
			Options: []catalog.Option{{Name: "size", Values: []string{"S", "M"}}},
			Variants: []catalog.Variant{
				{SKU: "TEE-S", Price: zar(100), Options: map[string]string{"size": "S"}},
				{SKU: "TEE-M", Price: zar(100), Options: map[string]string{"size": "M"}}}}
	}
	cases := map[string]struct {
		edit  func(p *catalog.Product)
		field string
	}{
		"unknown category":   {func(p *catalog.Product) { p.CategoryID = c.ID + 99 }, "category"},
		"mixed currencies":   {func(p *catalog.Product) { p.Variants[1].Price.Currency = "USD" }, "variants[1].price"},
		"bad option name":    {func(p *catalog.Product) { p.Options[0].Name = "Size!" }, "options[0].name"},
		"value not offered":  {func(p *catalog.Product) { p.Variants[0].Options["size"] = "XL" }, "variants[0].options.size"},
		"option not offered": {func(p *catalog.Product) { p.Variants[0].Options["colour"] = "red" }, "variants[0].options.colour"},
		"same options twice": {func(p *catalog.Product) { p.Variants[1].Options["size"] = "S" }, "variants[1].options"},
	}
	for name, tc := range cases {
		p := good()
		tc.edit(p)
		err := s.CreateProduct(ctx, p)
		fe := ocean.ErrorFields(err)
		if ocean.ErrorCode(err) != ocean.EINVALID || len(fe) == 0 || fe[0].Field != tc.field {
			t.Errorf("%s: got %v %+v, want invalid %s", name, err, fe, tc.field)
		}
	}
	if n, _ := s.CountProducts(ctx); n != 0 {
		t.Fatalf("%d products written by rejected creates", n)
	}
	if err := s.CreateProduct(ctx, good()); err != nil {
		t.Fatalf("valid product refused: %v", err)
	}
}
