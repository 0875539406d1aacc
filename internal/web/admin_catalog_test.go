package web_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
)

var reProductID = regexp.MustCompile(`/admin/products/(\d+)$`)

// An owner creates a product with two variants through the form, publishes
// it, and a second save from a stale form shows who changed what while
// keeping what was typed.
func TestAdminCatalogPages(t *testing.T) {
	s := newOffice(t)
	boss := s.owner(t)
	cat := strconv.FormatInt(s.cat, 10)
	wantPage(t, boss.get("/admin/products/new"), 200, "New product", "Variants")

	// Bad input: every field named, what was typed kept.
	v := boss.submit("/admin/products/new", "/admin/products/new", url.Values{"name": {"Wool beanie"}, "category": {cat},
		"option_name_0": {"Size"}, "option_values_0": {"Small, M"}, "rows": {"0"},
		"v_sku_0": {"WB-S"}, "v_opt_0_0": {"Small"}, "v_price_0": {"-5"},
		"v_sku_1": {"WB-M"}, "v_opt_1_0": {"M"}, "v_price_1": {"cheap"}})
	wantRefused(t, v, "Enter a price such as 199.00.")
	wantValues(t, v, "Wool beanie", "WB-M", "cheap", "Small, M")

	v = boss.submit("/admin/products/new", "/admin/products/new", url.Values{"name": {"Wool beanie"}, "category": {cat}, "description": {"Warm **merino**."},
		"option_name_0": {"Size"}, "option_values_0": {"Small, M"}, "rows": {"0"}, "status": {"draft"},
		"v_sku_0": {"WB-S"}, "v_opt_0_0": {"Small"}, "v_price_0": {"199.00"}, "v_stock_0": {"4"},
		"v_sku_1": {"WB-M"}, "v_opt_1_0": {"M"}, "v_price_1": {"209.50"}, "v_compare_1": {"250"}, "v_stock_1": {"2"}})
	m := reProductID.FindStringSubmatch(v.url.Path)
	if m == nil {
		t.Fatalf("not on the product's page: %s\n%s", v.url, v.body)
	}
	wantPage(t, v, 200, "The product is saved.", "Wool beanie")
	wantValues(t, v, "WB-S", "209.50", "250", "S, M")
	id, _ := strconv.ParseInt(m[1], 10, 64)
	if b := s.browser(t).get("/p/wool-beanie"); b.status != 404 {
		t.Fatalf("a draft is in the shop: %d", b.status)
	}
	p, err := s.app.Catalog.ProductByID(context.Background(), id)
	if err != nil || len(p.Variants) != 2 || p.Variants[0].Options["size"] != "S" || p.Variants[1].CompareAt.Amount != 25000 {
		t.Fatalf("stored %+v %v", p, err)
	}
	page := "/admin/products/" + m[1]
	wantAt(t, boss.submit(page, page+"/publish", url.Values{"version": {"1"}}), page)
	wantPage(t, s.browser(t).get("/p/wool-beanie"), 200, "Wool beanie", "merino")

	// Someone else saves (version 2 → 3) while the owner's form says 2.
	p, _ = s.app.Catalog.ProductByID(context.Background(), id)
	p.Name = "Merino beanie"
	if err := s.app.Catalog.Save(context.Background(), catalog.Actor{ID: 99, Name: "colleague@example.com"}, p, 2); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"name": {"My beanie"}, "category": {cat}, "version": {"2"}, "rows": {"2"}, "status": {"active"},
		"option_name_0": {"size"}, "option_values_0": {"S, M"},
		"v_id_0": {strconv.FormatInt(p.Variants[0].ID, 10)}, "v_sku_0": {"WB-S"}, "v_opt_0_0": {"S"}, "v_price_0": {"189.00"}, "v_stock_0": {"4"}, "v_stock_was_0": {"4"},
		"v_id_1": {strconv.FormatInt(p.Variants[1].ID, 10)}, "v_sku_1": {"WB-M"}, "v_opt_1_0": {"M"}, "v_price_1": {"209.50"}, "v_stock_1": {"2"}, "v_stock_was_1": {"2"}}
	v = boss.submit(page, page, form)
	wantRefused(t, v, "colleague@example.com", "(name)", "Saving again replaces their changes")
	if !regexp.MustCompile(`value="My beanie"`).MatchString(v.body) || !regexp.MustCompile(`name="version" value="3"`).MatchString(v.body) {
		t.Fatalf("the form lost the typed name or kept the stale version:\n%s", v.body)
	}
	form.Set("version", "3")
	wantAt(t, boss.submit(page, page, form), page)
	if p, _ := s.app.Catalog.ProductByID(context.Background(), id); p.Name != "My beanie" || p.Variants[0].Price.Amount != 18900 {
		t.Fatalf("after the second save: %+v", p)
	}

	// A new slug: the old address leads to the new one.
	form.Set("version", "4")
	form.Set("slug", "merino-beanie")
	wantAt(t, boss.submit(page, page, form), page)
	wantAt(t, s.browser(t).get("/p/wool-beanie?colour=x"), "/p/merino-beanie")

	// The list, the categories and the audit log.
	wantPage(t, boss.get("/admin/products?status=active&q=beanie"), 200, "My beanie")
	wantPage(t, boss.get("/admin/categories"), 200, "Test goods", "New category")
	v = boss.submit("/admin/categories", "/admin/categories", url.Values{"name": {"Hats"}, "parent": {cat}})
	wantPage(t, v, 200, "The categories are saved.", "Hats")
	v = boss.submit("/admin/categories", "/admin/categories/"+cat+"/delete", url.Values{"version": {"1"}})
	wantRefused(t, v, "still holds")
	wantPage(t, boss.get("/admin/catalog-audit"), 200, "colleague@example.com", ownerEmail, "category")
}

// wantValues checks the page's form holds each value (as typed or stored).
func wantValues(t *testing.T, v visit, values ...string) {
	t.Helper()
	for _, x := range values {
		if !strings.Contains(v.body, `value="`+html.EscapeString(x)+`"`) {
			t.Errorf("%s has no field with %q", v.url, x)
		}
	}
}

// The brand is edited in the product form like any other field: checked,
// kept on a refused save, shown above the name on the product page, and
// its change is in the catalog's audit log.
func TestAdminProductBrand(t *testing.T) {
	s := newOffice(t)
	boss := s.owner(t)
	cat := strconv.FormatInt(s.cat, 10)
	form := url.Values{"name": {"Tide scarf"}, "category": {cat}, "status": {"active"}, "rows": {"0"},
		"brand": {strings.TrimSpace(strings.Repeat("Kelp ", 30))}, "v_sku_0": {"TS-1"}, "v_price_0": {"120.00"}, "v_stock_0": {"3"}}
	v := boss.submit("/admin/products/new", "/admin/products/new", form)
	wantRefused(t, v, "at most 100 printable characters")
	wantValues(t, v, strings.TrimSpace(strings.Repeat("Kelp ", 30)), "TS-1")

	form.Set("brand", "  Kelp   & Co ")
	v = boss.submit("/admin/products/new", "/admin/products/new", form)
	m := reProductID.FindStringSubmatch(v.url.Path)
	if m == nil {
		t.Fatalf("not on the product's page: %s\n%s", v.url, v.body)
	}
	wantValues(t, v, "Kelp & Co")
	if !strings.Contains(v.body, `href="/admin/products/`+m[1]+`/images">pictures</a>`) {
		t.Errorf("the product's page has no way to its pictures:\n%s", v.body)
	}
	wantBrand(t, s.browser(t).get("/p/tide-scarf"), "Kelp &amp; Co")

	// A save that does not touch the brand keeps it; a change is audited.
	id, _ := strconv.ParseInt(m[1], 10, 64)
	p, err := s.app.Catalog.ProductByID(context.Background(), id)
	if err != nil || p.Brand != "Kelp & Co" {
		t.Fatalf("stored brand %q %v", p.Brand, err)
	}
	page := "/admin/products/" + m[1]
	edit := url.Values{"name": {"Tide scarf"}, "category": {cat}, "status": {"active"}, "rows": {"1"}, "version": {strconv.FormatInt(p.Version, 10)},
		"brand": {"Tidewater"}, "v_id_0": {strconv.FormatInt(p.Variants[0].ID, 10)}, "v_sku_0": {"TS-1"}, "v_price_0": {"120.00"}, "v_stock_0": {"3"}, "v_stock_was_0": {"3"}}
	wantAt(t, boss.submit(page, page, edit), page)
	wantBrand(t, s.browser(t).get("/p/tide-scarf"), "Tidewater")
	if v := boss.get("/admin/catalog-audit"); !strings.Contains(v.body, "<td>brand</td>") {
		t.Errorf("the audit log does not show the brand's change:\n%s", v.body)
	}
}

func wantBrand(t *testing.T, v visit, escaped string) {
	t.Helper()
	wantHTML(t, v, 200)
	if !strings.Contains(v.body, `<p class="small product-brand">`+escaped+`</p>`) {
		t.Errorf("%s does not show the brand %s\n%s", v.url, escaped, v.body)
	}
}
