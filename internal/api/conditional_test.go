package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/conditional_writes.json from what the handlers answer")

// TestConditionalWrites holds every versioned admin resource to one
// If-Match contract, word for word: a header that is not a version is a
// 400 naming If-Match, a stale version (in the header, or in the body where
// the body has one) is a 412 that changes nothing, and "*" or no header
// writes whatever the current version is. The answers (status and the
// whole problem, less its request id) are kept in
// testdata/conditional_writes.json: a change to any of them fails here.
func TestConditionalWrites(t *testing.T) {
	s := newShop(t)
	adm := bearer(s.admin)
	ifm := func(v string) []string { return append(append([]string{}, adm...), "If-Match", v) }

	cat := s.want(s.do("POST", "/api/v1/admin/categories", `{"name":"Knitwear"}`, adm...), 201, "").str("id")
	prod := s.want(s.do("POST", "/api/v1/admin/products", `{"name":"Jumper","category_id":"`+cat+`","variants":[{"sku":"J-1","price":{"amount":100,"currency":"ZAR"}}]}`, adm...), 201, "").str("id")
	zone := s.want(s.do("GET", "/api/v1/admin/shipping-zones", "", adm...), 200, "").items()[0].(map[string]any)["id"].(string)
	method := s.want(s.do("GET", "/api/v1/admin/shipping-methods", "", adm...), 200, "").items()[0].(map[string]any)["id"].(string)
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/ZA", `{"rate_bp":1500}`, adm...), 200, "")

	type write struct{ name, method, path, body, stale string }
	writes := []write{
		{"settings", "PATCH", "/api/v1/admin/settings", `{"shop_name":"Kelp"}`, `{"shop_name":"Kelp","version":99}`},
		{"tax rate", "PUT", "/api/v1/admin/tax-rates/ZA", `{"rate_bp":1400}`, `{"rate_bp":1400,"version":99}`},
		{"product", "PATCH", "/api/v1/admin/products/" + prod, `{"name":"Jumper 2"}`, ""},
		{"archive", "POST", "/api/v1/admin/products/" + prod + "/archive", "", ""},
		{"category", "PATCH", "/api/v1/admin/categories/" + cat, `{"name":"Knits"}`, ""},
		{"zone", "PATCH", "/api/v1/admin/shipping-zones/" + zone, `{"name":"Home"}`, `{"name":"Home","version":99}`},
		{"method", "PATCH", "/api/v1/admin/shipping-methods/" + method, `{"name":"Post"}`, `{"name":"Post","version":99}`},
		{"tax delete", "DELETE", "/api/v1/admin/tax-rates/ZA", "", ""},
		{"product delete", "DELETE", "/api/v1/admin/products/" + prod, "", ""},
		{"category delete", "DELETE", "/api/v1/admin/categories/" + cat, "", ""},
		{"method delete", "DELETE", "/api/v1/admin/shipping-methods/" + method, "", ""},
		{"zone delete", "DELETE", "/api/v1/admin/shipping-zones/" + zone, "", ""},
	}
	dump := map[string]any{}
	problem := func(r res) map[string]any {
		delete(r.body, "request_id")
		return r.body
	}
	for _, w := range writes {
		d := map[string]any{}
		r := s.do(w.method, w.path, w.body, ifm("v2")...)
		d["bad"] = []any{r.status, problem(r)}
		r = s.do(w.method, w.path, w.body, ifm(`"99"`)...)
		d["stale"] = []any{r.status, problem(r)}
		if w.stale != "" {
			r = s.do(w.method, w.path, w.stale, adm...)
			d["stale body"] = []any{r.status, problem(r)}
		}
		r = s.do(w.method, w.path, w.body, ifm("*")...)
		d["any"] = []any{r.status, r.header.Get("ETag")}
		dump[w.name] = d
	}
	got, err := json.MarshalIndent(dump, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/conditional_writes.json"
	if *updateGolden {
		if err := os.WriteFile(golden, append(got, '\n'), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(want), got) {
		t.Fatalf("the conditional writes answer differently from %s:\n%s", golden, got)
	}
}
