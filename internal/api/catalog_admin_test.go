package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// testCatalogAdminRoutes: a merchant builds a product over the API, edits it
// with versions, publishes, archives, copies and deletes, and runs the
// category tree; every documented error is produced.
func testCatalogAdminRoutes(t *testing.T) {
	s := newShop(t)
	ann := bearer(s.customer("ann-catalog@example.com"))
	adm := bearer(s.admin)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/admin/products", ""}, {"POST", "/api/v1/admin/products", `{}`},
		{"GET", "/api/v1/admin/products/1", ""}, {"DELETE", "/api/v1/admin/products/1", ""},
		{"POST", "/api/v1/admin/products/1/duplicate", ""}, {"POST", "/api/v1/admin/products/1/archive", ""},
		{"POST", "/api/v1/admin/products/1/restore", ""}, {"GET", "/api/v1/admin/categories", ""},
		{"POST", "/api/v1/admin/categories", `{}`}, {"PATCH", "/api/v1/admin/categories/1", `{}`},
		{"DELETE", "/api/v1/admin/categories/1", ""}, {"GET", "/api/v1/admin/catalog-audit", ""},
	} {
		s.want(s.do(c.method, c.path, c.body), 401, "")
		s.want(s.do(c.method, c.path, c.body, ann...), 403, "")
	}

	// Categories: create (slug from the name), nest, rename with versions.
	cats := s.want(s.do("GET", "/api/v1/admin/categories", "", adm...), 200, "").items()
	if len(cats) != 2 {
		t.Fatalf("categories %v", cats)
	}
	r := s.want(s.do("POST", "/api/v1/admin/categories", `{"name":"Knit Wear"}`, adm...), 201, "")
	knit := r.str("id")
	if r.str("slug") != "knit-wear" || r.body["version"].(float64) != 1 || r.header.Get("ETag") != `"1"` {
		t.Fatal(r.raw)
	}
	s.want(s.do("POST", "/api/v1/admin/categories", `{"name":"Knit wear"}`, adm...), 409, "")
	r = s.want(s.do("POST", "/api/v1/admin/categories", `{"name":"","slug":"Bad Slug","parent_id":"999"}`, adm...), 400, "")
	if !strings.Contains(r.raw, `"name"`) || !strings.Contains(r.raw, `"parent_id"`) {
		t.Fatal(r.raw)
	}
	r = s.want(s.do("POST", "/api/v1/admin/categories", `{"name":"Jumpers","parent_id":"`+knit+`"}`, adm...), 201, "")
	jumpers := r.str("id")
	cat := "/api/v1/admin/categories/" + knit
	s.want(s.do("PATCH", cat, `{"name":"Knitwear","position":2}`, append(adm, "If-Match", `"1"`)...), 200, "")
	s.want(s.do("PATCH", cat, `{"name":"Stale"}`, append(adm, "If-Match", `"1"`)...), 412, "changed by someone else")
	s.want(s.do("PATCH", cat, `{"parent_id":"`+jumpers+`"}`, adm...), 400, "")
	s.want(s.do("PATCH", cat, `{"slug":"tees"}`, adm...), 409, "")
	s.want(s.do("PATCH", "/api/v1/admin/categories/999", `{"name":"X"}`, adm...), 404, "")

	// A product with two variants, a draft at first.
	body := `{"name":"Cable jumper","brand":" Highland  Knits","description":"Warm **wool**.\n\n- hand wash","category_id":"` + jumpers + `",
	  "options":[{"name":"Size","values":["Small","M"]}],
	  "variants":[{"sku":"CJ-S","options":{"size":"Small"},"price":{"amount":90000,"currency":"ZAR"},"compare_at_price":{"amount":120000,"currency":"ZAR"},"weight":400,"barcode":"6001","stock":5},
	              {"sku":"CJ-M","options":{"size":"M"},"price":{"amount":90000,"currency":"ZAR"},"stock":2}]}`
	r = s.want(s.do("POST", "/api/v1/admin/products", body, adm...), 201, "")
	id := r.str("id")
	prod := "/api/v1/admin/products/" + id
	if r.str("slug") != "cable-jumper" || r.str("status") != "draft" || r.str("brand") != "Highland Knits" || r.header.Get("Location") != prod ||
		!strings.Contains(r.str("description_html"), "<strong>wool</strong>") || !strings.Contains(r.raw, `"size":"S"`) {
		t.Fatal(r.raw)
	}
	vs := r.body["variants"].([]any)
	v0 := vs[0].(map[string]any)["id"].(string)
	v1 := vs[1].(map[string]any)["id"].(string)
	s.want(s.do("GET", "/api/v1/products/cable-jumper", ""), 404, "")
	s.want(s.do("POST", "/api/v1/admin/products", body, adm...), 409, "")
	r = s.want(s.do("POST", "/api/v1/admin/products", `{"name":"X","category_id":"999","variants":[{"sku":"Q","price":{"amount":-1,"currency":"ZAR"}}]}`, adm...), 400, "")
	for _, f := range []string{"variants[0].price", "category_id"} {
		if !strings.Contains(r.raw, `"`+f+`"`) {
			t.Fatalf("no error for %s: %s", f, r.raw)
		}
	}
	s.want(s.do("POST", "/api/v1/admin/products", `{"name":"X","category_id":"x"}`, adm...), 400, "")
	s.want(s.do("POST", "/api/v1/admin/products", `{"name":"X","colour":"red"}`, adm...), 400, "")

	// Read, list, publish with If-Match.
	r = s.want(s.do("GET", prod, "", adm...), 200, "")
	if r.header.Get("ETag") != `"1"` || r.body["variants"].([]any)[0].(map[string]any)["stock"].(float64) != 5 {
		t.Fatal(r.raw)
	}
	s.want(s.do("GET", "/api/v1/admin/products/999", "", adm...), 404, "")
	if l := s.want(s.do("GET", "/api/v1/admin/products?status=draft&q=cable", "", adm...), 200, "").items(); len(l) != 1 {
		t.Fatalf("drafts: %v", l)
	}
	r = s.want(s.do("GET", "/api/v1/admin/products?limit=1", "", adm...), 200, "")
	if len(r.items()) != 1 || r.str("next_cursor") == "" {
		t.Fatal(r.raw)
	}
	s.want(s.do("GET", "/api/v1/admin/products?status=sold", "", adm...), 400, "")
	s.want(s.do("GET", "/api/v1/admin/products?limit=0", "", adm...), 400, "")
	r = s.want(s.do("PATCH", prod, `{"status":"active","variants":[{"id":"`+v1+`","stock":7}]}`, append(adm, "If-Match", "1", "Prefer", "return=representation")...), 200, "")
	if r.body["version"].(float64) != 2 || r.header.Get("ETag") != `"2"` {
		t.Fatal(r.raw)
	}
	if p := s.want(s.do("GET", "/api/v1/products/cable-jumper", ""), 200, ""); p.str("name") != "Cable jumper" || p.str("brand") != "Highland Knits" {
		t.Fatal(p.raw)
	}
	if r := s.want(s.do("PATCH", prod, `{"brand":"`+strings.Repeat("b", 101)+`"}`, adm...), 400, ""); !strings.Contains(r.raw, `"field":"brand"`) {
		t.Fatal(r.raw)
	}
	// A second editor still on version 1 is refused, and nothing changes.
	s.want(s.do("PATCH", prod, `{"name":"Lost update"}`, append(adm, "If-Match", `W/"1"`)...), 412, "")
	s.want(s.do("PATCH", prod, `{"name":"X"}`, append(adm, "If-Match", "one")...), 400, "If-Match")
	s.want(s.do("PATCH", prod, `{"variants":[{"id":"`+v0+`","options":{"size":"M"}}]}`, adm...), 400, "")
	s.want(s.do("PATCH", prod, `{"remove_variants":["1"]}`, adm...), 400, "")
	s.want(s.do("PATCH", prod, `{"variants":[{"sku":"TEE-M","options":{"size":"L"},"price":{"amount":1,"currency":"ZAR"}}],"options":[{"name":"size","values":["S","M","L"]}]}`, adm...), 409, "")
	// Rename the slug and drop a variant: the old address answers 301.
	s.want(s.do("PATCH", prod, `{"slug":"cable-knit-jumper","remove_variants":["`+v1+`"],"options":[{"name":"size","values":["S"]}]}`, append(adm, "If-Match", "2")...), 204, "")
	r = s.do("GET", "/api/v1/products/cable-jumper", "", "X-No-Follow", "1")
	if r.status != 200 || r.str("slug") != "cable-knit-jumper" || len(r.body["variants"].([]any)) != 1 || r.str("brand") != "Highland Knits" {
		t.Fatalf("old slug: %d %s", r.status, r.raw)
	}
	// Archive (stale, then right), restore, duplicate, delete.
	s.want(s.do("POST", prod+"/archive", "", append(adm, "If-Match", "2")...), 412, "")
	s.want(s.do("POST", prod+"/archive", "", append(adm, "If-Match", "3")...), 200, "")
	s.want(s.do("GET", "/api/v1/products/cable-knit-jumper", ""), 404, "")
	s.want(s.do("POST", "/api/v1/admin/products/999/archive", "", adm...), 404, "")
	s.want(s.do("POST", prod+"/restore", "", append(adm, "If-Match", "3")...), 412, "")
	if r := s.want(s.do("POST", prod+"/restore", "", adm...), 200, ""); r.str("status") != "draft" {
		t.Fatal(r.raw)
	}
	s.want(s.do("POST", "/api/v1/admin/products/999/restore", "", adm...), 404, "")
	r = s.want(s.do("POST", prod+"/duplicate", "", adm...), 201, "")
	copyID := r.str("id")
	if r.str("slug") != "cable-knit-jumper-copy" || r.str("status") != "draft" {
		t.Fatal(r.raw)
	}
	s.want(s.do("POST", "/api/v1/admin/products/999/duplicate", "", adm...), 404, "")
	s.want(s.do("DELETE", "/api/v1/admin/products/"+copyID, "", append(adm, "If-Match", "7")...), 412, "")
	s.want(s.do("DELETE", "/api/v1/admin/products/"+copyID, "", append(adm, "If-Match", "1")...), 204, "")
	s.want(s.do("DELETE", "/api/v1/admin/products/"+copyID, "", adm...), 404, "")
	s.want(s.do("DELETE", fmt.Sprintf("/api/v1/admin/products/%d", s.product), "", adm...), 422, "draft")

	// Categories with products cannot go; an empty one can.
	s.want(s.do("DELETE", "/api/v1/admin/categories/"+jumpers, "", adm...), 409, "")
	s.want(s.do("DELETE", cat, "", append(adm, "If-Match", "1")...), 412, "")
	s.want(s.do("PATCH", prod, `{"category_id":"`+knit+`"}`, adm...), 204, "")
	s.want(s.do("DELETE", "/api/v1/admin/categories/"+jumpers, "", adm...), 204, "")
	s.want(s.do("DELETE", "/api/v1/admin/categories/"+jumpers, "", adm...), 404, "")

	// The audit log says who changed what.
	r = s.want(s.do("GET", "/api/v1/admin/catalog-audit?entity=product&entity_id="+id, "", adm...), 200, "")
	items := r.items()
	if len(items) < 5 || items[0].(map[string]any)["actor"] != "boss@example.com" || !strings.Contains(r.raw, `"changed":["category_id"]`) {
		t.Fatal(r.raw)
	}
	s.want(s.do("GET", "/api/v1/admin/catalog-audit?entity=order", "", adm...), 400, "")
	s.want(s.do("GET", "/api/v1/admin/catalog-audit?cursor=x", "", adm...), 400, "")
}
