package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
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

	// Streamed (Accept: application/x-ndjson): the rows checked, then
	// written, as they go; the last line is the answer. A dry run only
	// checks; a refused file checks, writes nothing and ends in its 422.
	stream := append([]string{"Accept", "application/x-ndjson"}, csvHdr...)
	scarf := "Handle,Title,Type,Status,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\n" +
		"scarf,Scarf,Knitwear,active,Colour,Red,SC-1,120,3\nscarf,,,,,Blue,SC-2,125,1\n,,,,,,,,\nbeanie,Beanie,Knitwear,active,,,BN-1,90,2\n"
	for _, c := range []struct {
		query, file, phases string
		status              int
	}{
		{"?dry_run=true", scarf, "check 0/4, check 2/4, check 4/4", 200},
		{"", bad, "check 0/2, check 1/2, check 2/2", 422},
		{"", scarf, "check 0/4, check 2/4, check 4/4, write 0/3, write 2/3, write 3/3", 200},
	} {
		r := s.do("POST", "/api/v1/admin/products/import"+c.query, c.file, stream...)
		if r.status != 200 || r.header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("streamed import %s: %d %s %s", c.query, r.status, r.header, r.raw)
		}
		phases, done := importLines(t, r.raw)
		if phases != c.phases || done["status"] != float64(c.status) {
			t.Fatalf("streamed import %s: %s, done %v", c.query, phases, done)
		}
		body := done["body"].(map[string]any)
		switch c.status {
		case 422:
			if !strings.Contains(body["detail"].(string), "nothing was imported") || len(body["errors"].([]any)) != 2 {
				t.Fatalf("refused: %v", body)
			}
			s.want(s.do("GET", "/api/v1/products/scarf", ""), 404, "")
		default:
			if body["created"] != float64(2) || body["dry_run"] != (c.query != "") {
				t.Fatalf("report: %v", body)
			}
		}
	}
	if r := s.want(s.do("GET", "/api/v1/products/scarf", ""), 200, ""); !strings.Contains(r.raw, `"SC-2"`) {
		t.Fatal(r.raw)
	}
	// Errors found before the stream starts keep their own status.
	s.want(s.do("POST", "/api/v1/admin/products/import", scarf, "Accept", "application/x-ndjson", "Content-Type", "text/csv"), 401, "")
	s.want(s.do("POST", "/api/v1/admin/products/import?dry_run=maybe", scarf, stream...), 400, "dry_run")
	s.want(s.do("POST", "/api/v1/admin/products/import", `{"a":1}`, append([]string{"Accept", "application/x-ndjson"}, adm...)...), 415, "text/csv")
}

// importLines reads a streamed import: its progress as "phase done/total"
// in order, and the last line, which must be the only "done" one.
func importLines(t *testing.T, raw string) (string, map[string]any) {
	t.Helper()
	var phases []string
	var done map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(raw, "\n"), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil || done != nil {
			t.Fatalf("line %d %q after done %v: %v", i+1, line, done, err)
		}
		switch ev["event"] {
		case "progress":
			phases = append(phases, fmt.Sprintf("%s %v/%v", ev["phase"], ev["done"], ev["total"]))
		case "done":
			done = ev
		default:
			t.Fatalf("line %d: %q", i+1, line)
		}
	}
	if done == nil {
		t.Fatalf("no done line:\n%s", raw)
	}
	return strings.Join(phases, ", "), done
}
