package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// An owner exports the catalog, checks a file (dry run), confirms it, and
// a refused file writes nothing.
func TestAdminCatalogCSV(t *testing.T) {
	s := newOffice(t)
	boss := s.owner(t)
	wantPage(t, boss.get("/admin/products"), 200, "Import CSV", "Export CSV")
	exp := boss.get("/admin/products/export")
	if exp.status != 200 || !strings.HasPrefix(exp.body, "Handle,Title,Body,Vendor,Type,Status") {
		t.Fatalf("export %d: %.200s", exp.status, exp.body)
	}
	page := "/admin/products/import"
	wantPage(t, boss.get(page), 200, "Import products", "CSV file")
	csrf := boss.csrf(page)
	file := "Handle,Title,Type,Status,Variant SKU,Variant Price,Variant Inventory Qty\nscarf,Red scarf,Scarves,active,SC-1,99.00,3\n"
	v := boss.upload(page, csrf, []byte(file))
	wantPage(t, v, 200, "Dry run: 1 products to create", "New categories: Scarves", "scarf")
	if !strings.Contains(v.body, `name="confirm" value="1"`) {
		t.Fatal("no confirmation form")
	}
	if _, err := s.app.Catalog.Product(t.Context(), "scarf"); err == nil {
		t.Fatal("the dry run wrote the product")
	}
	// Confirm: the page's hidden copy of the file is imported.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", csrf)
	_ = mw.WriteField("confirm", "1")
	_ = mw.WriteField("csv", file)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", boss.s.srv.URL+page, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", boss.s.srv.URL)
	wantPage(t, boss.do(req), 200, "Imported: 1 products created")
	if p, err := s.app.Catalog.Product(t.Context(), "scarf"); err != nil || p.Variants[0].Stock != 3 {
		t.Fatalf("imported product %+v %v", p, err)
	}
	// A refused row: listed with its column, nothing written, no confirm.
	v = boss.upload(page, csrf, []byte("Handle,Title,Type,Variant SKU,Variant Price\nhat,Hat,Scarves,H-1,cheap\n"))
	wantPage(t, v, 200, "Refused", "Variant Price", "Nothing was imported")
	if strings.Contains(v.body, `name="confirm"`) {
		t.Fatal("a refused file offered to import")
	}
	if v := boss.upload(page, "", []byte(file)); v.status != http.StatusForbidden && !v.refused() {
		t.Fatalf("no csrf: %d", v.status)
	}
	wantRefused(t, boss.upload(page, csrf), "Choose a CSV file.")
}
