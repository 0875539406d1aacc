package api_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// testCatalogBulkRoutes: a merchant exports the catalog, imports the file
// back (nothing changes), imports new products with a dry run first, and
// every refusal names its row and column with nothing written.
func testCatalogBulkRoutes(t *testing.T) {
	s := newShop(t)
	ann := bearer(s.customer("ann-csv@example.com"))
	adm := bearer(s.admin)
	for _, c := range []struct{ method, path string }{{"GET", "/api/v1/admin/products/export"}, {"POST", "/api/v1/admin/products/import"}} {
		s.want(s.do(c.method, c.path, ""), 401, "")
		s.want(s.do(c.method, c.path, "", ann...), 403, "")
	}

	// Export: the two products of the shop, every variant a row.
	r := s.want(s.do("GET", "/api/v1/admin/products/export", "", adm...), 200, "")
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("export headers %v", r.header)
	}
	lines := strings.Split(strings.TrimSpace(r.raw), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "Handle,Title,Body,Vendor,Type,Status,Option1 Name") ||
		!strings.HasPrefix(lines[1], "tee,Tee,A cotton tee.,,Tees,active,size,M,,,,,TEE-M,200.00,,0,,10,,") {
		t.Fatalf("export:\n%s", r.raw)
	}
	csvHdr := append([]string{"Content-Type", "text/csv"}, adm...)

	// The export imported back (dry run) changes nothing.
	r = s.want(s.do("POST", "/api/v1/admin/products/import?dry_run=true", r.raw, csvHdr...), 200, "")
	if r.body["unchanged"].(float64) != 2 || r.body["created"].(float64) != 0 || r.body["dry_run"] != true {
		t.Fatal(r.raw)
	}

	// New products: the dry run plans, the real run writes.
	file := "Handle,Title,Body (HTML),Vendor,Type,Status,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty,Image Src\n" +
		"hoodie,Hoodie,<p>Heavy <b>fleece</b></p>,Ocean,Knitwear,active,Size,Small,HD-S,650,4,https://elsewhere.example/h.jpg\n" +
		"hoodie,,,,,,,Large,HD-L,650,1,\n" +
		"tee,,,,,,,,TEE-M,210.00,,\n"
	r = s.want(s.do("POST", "/api/v1/admin/products/import?dry_run=1", file, csvHdr...), 200, "")
	if r.body["created"].(float64) != 1 || r.body["updated"].(float64) != 1 || !strings.Contains(r.raw, `"new_categories":["Knitwear"]`) ||
		!strings.Contains(r.raw, "not fetched") || !strings.Contains(r.raw, `"changes":["price"]`) {
		t.Fatal(r.raw)
	}
	if s.want(s.do("GET", "/api/v1/products/hoodie", ""), 404, "").status != 404 {
		t.Fatal("a dry run wrote")
	}
	r = s.want(s.do("POST", "/api/v1/admin/products/import", file, csvHdr...), 200, "")
	if r.body["created"].(float64) != 1 || r.body["dry_run"] != false {
		t.Fatal(r.raw)
	}
	r = s.want(s.do("GET", "/api/v1/products/hoodie", ""), 200, "")
	if !strings.Contains(r.raw, `"HD-L"`) || !strings.Contains(r.raw, `"description":"Heavy **fleece**"`) {
		t.Fatal(r.raw)
	}
	// Again: idempotent.
	r = s.want(s.do("POST", "/api/v1/admin/products/import", file, csvHdr...), 200, "")
	if r.body["unchanged"].(float64) != 2 {
		t.Fatal(r.raw)
	}

	// As a multipart form, like the admin page sends it.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "products.csv")
	_, _ = io.WriteString(fw, strings.Replace(file, "650,4", "700,4", 1))
	_ = mw.Close()
	r = s.want(s.do("POST", "/api/v1/admin/products/import", body.String(), append([]string{"Content-Type", mw.FormDataContentType()}, adm...)...), 200, "")
	if r.body["updated"].(float64) != 1 {
		t.Fatal(r.raw)
	}

	// Refusals: each row and column, and nothing written.
	bad := "Handle,Title,Type,Variant SKU,Variant Price\nscarf,Scarf,Knitwear,SC-1,-4\nsock,Sock,Knitwear,HD-S,10\n"
	r = s.want(s.do("POST", "/api/v1/admin/products/import", bad, csvHdr...), 422, "nothing was imported")
	if !strings.Contains(r.raw, `{"field":"row 2: Variant Price","row":2,"column":"Variant Price"`) ||
		!strings.Contains(r.raw, `"row":3,"column":"Variant SKU","message":"belongs to the product \"hoodie\"`) {
		t.Fatal(r.raw)
	}
	s.want(s.do("GET", "/api/v1/products/scarf", ""), 404, "")
	// A dry run lists the same refusals with a 200.
	r = s.want(s.do("POST", "/api/v1/admin/products/import?dry_run=true", bad, csvHdr...), 200, "")
	if !strings.Contains(r.raw, `"action":"refused"`) || len(r.body["errors"].([]any)) != 2 {
		t.Fatal(r.raw)
	}
	s.want(s.do("POST", "/api/v1/admin/products/import?dry_run=maybe", bad, csvHdr...), 400, "dry_run")
	s.want(s.do("POST", "/api/v1/admin/products/import", `{"a":1}`, adm...), 415, "text/csv")
	mw = multipart.NewWriter(&body)
	_ = mw.WriteField("other", "x")
	_ = mw.Close()
	s.want(s.do("POST", "/api/v1/admin/products/import", body.String(), append([]string{"Content-Type", mw.FormDataContentType()}, adm...)...), 400, "missing")
	s.want(s.do("POST", "/api/v1/admin/products/import", "x", append([]string{"Content-Type", "multipart/form-data"}, adm...)...), 400, "")
	if r := s.do(http.MethodPut, "/api/v1/admin/products/import", "", adm...); r.status != 405 {
		t.Fatal(r.raw)
	}
}
