package api_test

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/api"
)

// TestEveryRoute exercises each route's success and every error response
// the OpenAPI document lists for it, then checks that nothing documented
// was left out.
func TestEveryRoute(t *testing.T) {
	t.Run("group", func(t *testing.T) {
		for name, f := range map[string]func(*testing.T){
			"catalog": testCatalogRoutes, "health": testHealthRoutes, "auth": testAuthRoutes, "me": testMeRoutes,
			"admin users": testAdminUserRoutes, "carts": testCartRoutes, "checkout": testCheckoutRoute,
			"orders": testOrderRoutes, "admin orders": testAdminOrderRoutes, "inventory": testInventoryRoutes,
			"discounts and products": testDiscountAndProductRoutes, "images": testMediaRoutes, "catalog admin": testCatalogAdminRoutes,
			"catalog csv": testCatalogBulkRoutes,
			"settings":    testSettingsRoutes, "tax and shipping": testTaxAndShippingRoutes, "shipping zones": testShippingZoneRoutes,
			"zone tax rates": testZoneTaxRoutes, "one country list": testOneCountryList,
		} {
			t.Run(name, func(t *testing.T) { t.Parallel(); f(t) })
		}
	})
	if t.Failed() {
		return
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, r := range (&api.API{}).Routes() {
		var op struct {
			Responses map[string]json.RawMessage `json:"responses"`
		}
		if err := json.Unmarshal(doc.Paths[r.Path][strings.ToLower(r.Method)], &op); err != nil {
			t.Fatalf("%s %s: %v", r.Method, r.Path, err)
		}
		seen := answered.m[r.Method+" "+r.Path]
		for code := range op.Responses {
			n, err := strconv.Atoi(code)
			if err != nil || !seen[n] {
				missing = append(missing, fmt.Sprintf("%s %s %s", r.Method, r.Path, code))
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("documented responses no test produced:\n%s", strings.Join(missing, "\n"))
	}
}

func testHealthRoutes(t *testing.T) {
	s := newShop(t)
	s.want(s.do("GET", "/healthz", ""), 200, "")
	if r := s.want(s.do("GET", "/readyz", ""), 200, ""); r.str("status") != "ready" {
		t.Fatal(r.raw)
	}
	s.ready.Store(error(errNotReady))
	r := s.want(s.do("GET", "/readyz", ""), 503, "database unreachable")
	if strings.Contains(r.raw, "connection refused") {
		t.Fatal("the cause leaked")
	}
	r = s.want(s.do("GET", "/api/v1/openapi.json", ""), 200, "")
	if r.body["openapi"] == nil || r.header.Get("Content-Type") != "application/json" {
		t.Fatal(r.raw[:80])
	}
	// Wrong method on a real path, and a path that is not one.
	if r := s.do("DELETE", "/api/v1/products", ""); r.status != 405 || !strings.Contains(r.header.Get("Allow"), "GET") {
		t.Fatalf("%d %v", r.status, r.header)
	}
	s.want(s.do("GET", "/api/v1/nothing", ""), 404, "no API endpoint")
}

func testCatalogRoutes(t *testing.T) {
	s := newShop(t)
	r := s.want(s.do("GET", "/api/v1/products", ""), 200, "")
	if len(r.items()) != 2 {
		t.Fatalf("%s", r.raw)
	}
	r = s.want(s.do("GET", "/api/v1/products?category=clothing&limit=1", ""), 200, "")
	if len(r.items()) != 1 || r.body["next_cursor"] == nil {
		t.Fatalf("%s", r.raw)
	}
	f := r.body["facets"].(map[string]any)
	if f["total"].(float64) != 2 || len(f["categories"].([]any)) != 2 || f["options"].(map[string]any)["size"] == nil {
		t.Fatalf("facets %v", f)
	}
	s.want(s.do("GET", "/api/v1/products?sort=sideways", ""), 400, "")
	r = s.want(s.do("GET", "/api/v1/products/tee", ""), 200, "")
	if r.str("name") != "Tee" || len(r.body["variants"].([]any)) != 2 || len(r.body["breadcrumbs"].([]any)) != 2 || !r.body["in_stock"].(bool) {
		t.Fatalf("%s", r.raw)
	}
	if r := s.want(s.do("GET", "/api/v1/products/cap", ""), 200, ""); r.body["in_stock"].(bool) || len(r.body["options"].([]any)) != 0 {
		t.Fatalf("%s", r.raw)
	}
	s.want(s.do("GET", "/api/v1/products/nope", ""), 404, "")
	r = s.want(s.do("GET", "/api/v1/categories", ""), 200, "")
	if c := r.items(); len(c) != 1 || len(c[0].(map[string]any)["children"].([]any)) != 1 {
		t.Fatalf("%s", r.raw)
	}
}

func testAuthRoutes(t *testing.T) {
	s := newShop(t)
	// New and taken addresses get the same answer, without tokens.
	reg := `{"email":"ann@example.com","password":"` + password + `","name":"Ann"}`
	r := s.want(s.do("POST", "/api/v1/auth/register", reg), 202, "")
	if r.str("access_token") != "" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatal(r.raw)
	}
	if again := s.want(s.do("POST", "/api/v1/auth/register", reg), 202, ""); again.raw != r.raw {
		t.Fatalf("a taken address answers differently: %s", again.raw)
	}
	s.want(s.do("POST", "/api/v1/auth/register", `{"email":"bob@example.com","password":"short","name":"Bob"}`), 400, "")
	r = s.want(s.do("POST", "/api/v1/auth/login", `{"email":"ann@example.com","password":"`+password+`"}`), 200, "")
	if r.str("token_type") != "Bearer" || r.body["user"].(map[string]any)["role"] != "customer" {
		t.Fatal(r.raw)
	}
	refresh := r.str("refresh_token")
	s.want(s.do("POST", "/api/v1/auth/login", `{"email":"ann@example.com","password":"wrong"}`), 401, "")
	r = s.want(s.do("POST", "/api/v1/auth/refresh", `{"refresh_token":"`+refresh+`"}`), 200, "")
	rotated := r.str("refresh_token")
	s.want(s.do("POST", "/api/v1/auth/refresh", `{"refresh_token":"garbage"}`), 401, "")
	s.want(s.do("POST", "/api/v1/auth/logout", `{"refresh_token":"`+rotated+`"}`), 204, "")
	s.want(s.do("POST", "/api/v1/auth/refresh", `{"refresh_token":"`+rotated+`"}`), 401, "")

	s.want(s.do("POST", "/api/v1/auth/password-reset", `{"email":"ann@example.com"}`), 202, "")
	tok := s.resetToken()
	s.want(s.do("POST", "/api/v1/auth/password-reset/confirm", `{"token":"bogus","password":"a brand new passphrase"}`), 400, "")
	s.want(s.do("POST", "/api/v1/auth/password-reset/confirm", `{"token":"`+tok+`","password":"a brand new passphrase"}`), 204, "")
	s.want(s.do("POST", "/api/v1/auth/login", `{"email":"ann@example.com","password":"a brand new passphrase"}`), 200, "")
	// The same token twice does not work.
	s.want(s.do("POST", "/api/v1/auth/password-reset/confirm", `{"token":"`+tok+`","password":"yet another passphrase"}`), 400, "")

	// Throttles: repeated failures and repeated reset requests.
	var last res
	for i := 0; i < 12 && last.status != 429; i++ {
		last = s.do("POST", "/api/v1/auth/login", `{"email":"ann@example.com","password":"wrong"}`)
	}
	if s.want(last, 429, ""); last.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	last = res{}
	for i := 0; i < 12 && last.status != 429; i++ {
		last = s.do("POST", "/api/v1/auth/password-reset", `{"email":"ann@example.com"}`)
	}
	s.want(last, 429, "")
	last = res{}
	for i := 0; i < 12 && last.status != 429; i++ {
		last = s.do("POST", "/api/v1/auth/register", fmt.Sprintf(`{"email":"n%d@example.com","password":%q,"name":"N"}`, i, password))
	}
	s.want(last, 429, "")
}

func testMeRoutes(t *testing.T) {
	s := newShop(t)
	ann := bearer(s.customer("ann@example.com"))
	s.customer("bob@example.com")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/me", ""}, {"PATCH", "/api/v1/me", `{"name":"A"}`}, {"DELETE", "/api/v1/me", ""},
		{"POST", "/api/v1/me/password", `{}`}, {"GET", "/api/v1/me/addresses", ""}, {"POST", "/api/v1/me/addresses", `{}`},
		{"DELETE", "/api/v1/me/addresses/1", ""}, {"GET", "/api/v1/me/export", ""},
	} {
		r := s.want(s.do(c.method, c.path, c.body), 401, "access token")
		if r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: no challenge", c.method, c.path)
		}
		s.want(s.do(c.method, c.path, c.body, bearer("not-a-token")...), 401, "")
	}
	// A session cookie is no way into the API.
	s.want(s.do("GET", "/api/v1/me", "", "Cookie", "__Host-ocean_session="+ann[1][len("Bearer "):]), 401, "access token")
	if r := s.want(s.do("GET", "/api/v1/me", "", ann...), 200, ""); r.str("email") != "ann@example.com" {
		t.Fatal(r.raw)
	}
	if r := s.want(s.do("PATCH", "/api/v1/me", `{"name":"Ann B","phone":"+27 21 555 0100"}`, ann...), 200, ""); r.str("name") != "Ann B" {
		t.Fatal(r.raw)
	}
	s.want(s.do("PATCH", "/api/v1/me", `{"email":"bob@example.com"}`, ann...), 409, "")
	s.want(s.do("PATCH", "/api/v1/me", `{"email":"not an address"}`, ann...), 400, "")

	s.want(s.do("POST", "/api/v1/me/password", `{"current_password":"wrong","new_password":"a brand new passphrase"}`, ann...), 400, "")
	r := s.want(s.do("POST", "/api/v1/me/password", `{"current_password":"`+password+`","new_password":"short"}`, ann...), 400, "")
	if !strings.Contains(r.raw, `"new_password"`) {
		t.Errorf("the problem does not name new_password: %s", r.raw)
	}
	s.want(s.do("POST", "/api/v1/me/password", `{"current_password":"`+password+`","new_password":"a brand new passphrase"}`, ann...), 204, "")

	s.want(s.do("POST", "/api/v1/me/addresses", `{"name":"Ann","line1":"1 Long Street","city":"Cape Town","country":"ZA"`, ann...), 400, "")
	s.want(s.do("POST", "/api/v1/me/addresses", `{"name":"","line1":"","city":"Cape Town","country":"ZA"}`, ann...), 400, "")
	r = s.want(s.do("POST", "/api/v1/me/addresses", `{"name":"Ann","line1":"1 Long Street","city":"Cape Town","country":"ZA","is_default":true}`, ann...), 201, "")
	id := fmt.Sprint(r.body["id"])
	for i := 1; i < account.MaxAddresses; i++ {
		s.want(s.do("POST", "/api/v1/me/addresses", fmt.Sprintf(`{"name":"Ann","line1":"%d Long Street","city":"Cape Town","country":"ZA"}`, i), ann...), 201, "")
	}
	s.want(s.do("POST", "/api/v1/me/addresses", `{"name":"Ann","line1":"99 Long Street","city":"Cape Town","country":"ZA"}`, ann...), 422, "full")
	if l := s.want(s.do("GET", "/api/v1/me/addresses", "", ann...), 200, "").items(); len(l) != account.MaxAddresses {
		t.Fatalf("%v", l)
	}
	s.want(s.do("DELETE", "/api/v1/me/addresses/"+id, "", ann...), 204, "")
	s.want(s.do("DELETE", "/api/v1/me/addresses/"+id, "", ann...), 404, "")
	s.want(s.do("DELETE", "/api/v1/me/addresses/x", "", ann...), 404, "")

	s.order(ann...)
	r = s.want(s.do("GET", "/api/v1/me/export", "", ann...), 200, "")
	if !strings.Contains(r.header.Get("Content-Disposition"), "attachment") || !strings.Contains(r.raw, "ann@example.com") || !strings.Contains(r.raw, `"status":"paid"`) {
		t.Fatalf("%s", r.raw)
	}
	// The last admin cannot delete itself; a shopper can.
	s.want(s.do("DELETE", "/api/v1/me", "", bearer(s.admin)...), 409, "last admin")
	s.want(s.do("DELETE", "/api/v1/me", "", ann...), 204, "")
	s.want(s.do("GET", "/api/v1/me", "", ann...), 401, "")
}

func testAdminUserRoutes(t *testing.T) {
	s := newShop(t)
	ann := bearer(s.customer("ann@example.com"))
	s.customer("bob@example.com")
	adm := bearer(s.admin)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/admin/users", ""}, {"PATCH", "/api/v1/admin/users/1", `{"role":"admin"}`}, {"GET", "/api/v1/admin/audit", ""},
	} {
		s.want(s.do(c.method, c.path, c.body), 401, "")
		s.want(s.do(c.method, c.path, c.body, ann...), 403, "admin")
	}
	r := s.want(s.do("GET", "/api/v1/admin/users?limit=2", "", adm...), 200, "")
	if len(r.items()) != 2 || r.body["next_cursor"] == nil || strings.Contains(r.raw, "+27") {
		t.Fatal(r.raw)
	}
	r = s.want(s.do("GET", "/api/v1/admin/users?limit=2&cursor="+r.body["next_cursor"].(string), "", adm...), 200, "")
	if len(r.items()) != 1 || r.body["next_cursor"] != nil {
		t.Fatal(r.raw)
	}
	s.want(s.do("GET", "/api/v1/admin/users?limit=500", "", adm...), 400, "")
	annID := r.items()[0].(map[string]any)["id"].(string)
	if r.items()[0].(map[string]any)["email"] != "bob@example.com" {
		// newest last? find ann by listing all
		all := s.want(s.do("GET", "/api/v1/admin/users", "", adm...), 200, "").items()
		for _, u := range all {
			if u.(map[string]any)["email"] == "ann@example.com" {
				annID = u.(map[string]any)["id"].(string)
			}
		}
	}
	if r := s.want(s.do("PATCH", "/api/v1/admin/users/"+annID, `{"role":"admin"}`, adm...), 200, ""); r.str("role") != "admin" {
		t.Fatal(r.raw)
	}
	s.want(s.do("PATCH", "/api/v1/admin/users/99999", `{"role":"admin"}`, adm...), 404, "")
	s.want(s.do("PATCH", "/api/v1/admin/users/abc", `{"role":"admin"}`, adm...), 404, "")
	// Demote both admins: the second demotion would leave none.
	s.want(s.do("PATCH", "/api/v1/admin/users/"+annID, `{"role":"customer"}`, adm...), 200, "")
	me := s.want(s.do("GET", "/api/v1/me", "", adm...), 200, "").str("id")
	s.want(s.do("PATCH", "/api/v1/admin/users/"+me, `{"role":"customer"}`, adm...), 409, "at least one admin")

	r = s.want(s.do("GET", "/api/v1/admin/audit?limit=1", "", adm...), 200, "")
	if len(r.items()) != 1 || r.body["next_cursor"] == nil {
		t.Fatal(r.raw)
	}
	s.want(s.do("GET", "/api/v1/admin/audit?limit=1&cursor="+r.body["next_cursor"].(string)+"&user="+annID, "", adm...), 200, "")
	s.want(s.do("GET", "/api/v1/admin/audit?user=abc", "", adm...), 400, "")
}

func testCartRoutes(t *testing.T) {
	s := newShop(t)
	ann := bearer(s.customer("ann@example.com"))
	bob := bearer(s.customer("bob@example.com"))
	s.want(s.do("POST", "/api/v1/carts", "", bearer("bad")...), 401, "")
	s.want(s.do("POST", "/api/v1/carts", "", "Authorization", "Basic Zm9vOmJhcg=="), 401, "")
	r := s.want(s.do("POST", "/api/v1/carts", "", ann...), 201, "")
	id := r.str("id")
	if r.header.Get("Location") != "/api/v1/carts/"+id || r.str("status") != "open" {
		t.Fatal(r.raw)
	}
	s.want(s.do("GET", "/api/v1/carts/"+id, "", bearer("bad")...), 401, "")
	s.want(s.do("GET", "/api/v1/carts/"+id, ""), 404, "")         // a shopper's cart is not a guest's
	s.want(s.do("GET", "/api/v1/carts/"+id, "", bob...), 404, "") // nor another shopper's
	s.want(s.do("GET", "/api/v1/carts/nope", ""), 404, "")

	items := "/api/v1/carts/" + id + "/items"
	s.want(s.do("POST", items, `{"variant_id":`, ann...), 400, "")
	s.want(s.do("POST", "/api/v1/carts/0123456789abcdef0123456789abcdef/items", fmt.Sprintf(`{"variant_id":%d,"quantity":1}`, s.tee)), 404, "")
	for _, bad := range []string{`{"quantity":1}`, `{"variant_id":"x","quantity":1}`, `{"variant_id":1.5,"quantity":1}`, `{"variant_id":true,"quantity":1}`,
		fmt.Sprintf(`{"variant_id":%d,"quantity":0}`, s.tee), `{"variant_id":"999999","quantity":1}`} {
		s.want(s.do("POST", items, bad, ann...), 422, "")
	}
	r = s.want(s.do("POST", items, fmt.Sprintf(`{"variant_id":%d,"quantity":2}`, s.tee), ann...), 200, "")
	line := r.items()[0].(map[string]any)
	item := items + "/" + line["id"].(string)
	if line["quantity"].(float64) != 2 || r.body["count"].(float64) != 2 {
		t.Fatal(r.raw)
	}
	if r := s.want(s.do("PATCH", item, `{"quantity":3}`, ann...), 200, ""); r.body["count"].(float64) != 3 {
		t.Fatal(r.raw)
	}
	s.want(s.do("PATCH", item, `{"quantity":100}`, ann...), 422, "")
	s.want(s.do("PATCH", items+"/999999", `{"quantity":1}`, ann...), 404, "")
	s.want(s.do("PATCH", items+"/x", `{"quantity":1}`, ann...), 404, "")
	s.want(s.do("DELETE", items+"/999999", "", ann...), 404, "")

	disc := "/api/v1/carts/" + id + "/discount"
	s.want(s.do("POST", "/api/v1/admin/discounts", `{"code":"TEN","kind":"percent","value":10}`, bearer(s.admin)...), 201, "")
	s.want(s.do("POST", disc, `{"code":"NOPE"}`, ann...), 422, "")
	s.want(s.do("POST", "/api/v1/carts/0123456789abcdef0123456789abcdef/discount", `{"code":"TEN"}`), 404, "")
	if r := s.want(s.do("POST", disc, `{"code":"ten"}`, ann...), 200, ""); r.body["discount"].(map[string]any)["code"] != "TEN" {
		t.Fatal(r.raw)
	}
	if r := s.want(s.do("DELETE", disc, "", ann...), 200, ""); r.body["discount"] != nil {
		t.Fatal(r.raw)
	}
	s.want(s.do("DELETE", "/api/v1/carts/0123456789abcdef0123456789abcdef/discount", ""), 404, "")
	if r := s.want(s.do("DELETE", item, "", ann...), 200, ""); len(r.items()) != 0 {
		t.Fatal(r.raw)
	}

	// An ordered cart cannot change.
	cid := s.cart(1)
	s.want(s.do("POST", "/api/v1/carts/"+cid+"/checkout", checkoutBody("tok_visa"), "Idempotency-Key", newKey()), 201, "")
	r = s.want(s.do("GET", "/api/v1/carts/"+cid, ""), 200, "")
	line2 := "/api/v1/carts/" + cid + "/items/" + r.items()[0].(map[string]any)["id"].(string)
	s.want(s.do("POST", "/api/v1/carts/"+cid+"/items", fmt.Sprintf(`{"variant_id":%d,"quantity":1}`, s.tee)), 409, "")
	s.want(s.do("PATCH", line2, `{"quantity":2}`), 409, "")
	s.want(s.do("DELETE", line2, ""), 409, "")
}

func testCheckoutRoute(t *testing.T) {
	s := newShop(t)
	id := s.cart(2)
	path := "/api/v1/carts/" + id + "/checkout"
	s.want(s.do("POST", path, checkoutBody("tok_visa")), 400, "Idempotency-Key")
	s.want(s.do("POST", path, `{"email":`, "Idempotency-Key", newKey()), 400, "")
	s.want(s.do("POST", "/api/v1/carts/0123456789abcdef0123456789abcdef/checkout", checkoutBody("tok_visa"), "Idempotency-Key", newKey()), 404, "")
	s.want(s.do("POST", path, checkoutBody("tok_visa"), append([]string{"Idempotency-Key", newKey()}, bearer("bad")...)...), 401, "")
	r := s.want(s.do("POST", path, strings.Replace(checkoutBody("tok_visa"), "ann@example.com", "nope", 1), "Idempotency-Key", newKey()), 422, "")
	if !strings.Contains(r.raw, `"email"`) {
		t.Fatal(r.raw)
	}
	r = s.want(s.do("POST", path, checkoutBody("tok_chargeDeclined"), "Idempotency-Key", newKey()), 402, "declined")
	if r.str("type") != "/problems/payment-declined/card-declined" || !strings.Contains(r.str("detail"), "cart is kept") {
		t.Fatal(r.raw)
	}
	// The gateway does not answer: 503, and the reservation waits for the reconciler.
	s.gw.down.Store(true)
	s.want(s.do("POST", "/api/v1/carts/"+s.cart(1)+"/checkout", checkoutBody("tok_visa"), "Idempotency-Key", newKey()), 503, "not answering")
	s.gw.down.Store(false)
	key := newKey()
	r = s.want(s.do("POST", path, checkoutBody("tok_visa"), "Idempotency-Key", key), 201, "")
	if r.header.Get("Location") != "/api/v1/orders/"+r.str("id") || r.str("status") != "paid" || r.body["payment"].(map[string]any)["status"] != "captured" {
		t.Fatal(r.raw)
	}
	// The same key replays; another key on the ordered cart conflicts; the same key with another body is refused.
	if again := s.want(s.do("POST", path, checkoutBody("tok_visa"), "Idempotency-Key", key), 201, ""); again.str("id") != r.str("id") {
		t.Fatal(again.raw)
	}
	s.want(s.do("POST", path, checkoutBody("tok_visa"), "Idempotency-Key", newKey()), 409, "already been ordered")
	s.want(s.do("POST", path, checkoutBody("tok_other"), "Idempotency-Key", key), 422, "Idempotency-Key")

	s.want(s.do("GET", "/api/v1/shipping-methods?country=za", ""), 200, "")
	if l := s.do("GET", "/api/v1/shipping-methods?country=DE", "").items(); len(l) != 0 {
		t.Fatalf("%v", l)
	}
	s.want(s.do("GET", "/api/v1/shipping-methods?country=ZAF", ""), 400, "")
}

func testOrderRoutes(t *testing.T) {
	s := newShop(t)
	ann := bearer(s.customer("ann@example.com"))
	bob := bearer(s.customer("bob@example.com"))
	first := s.order(ann...)
	second := s.order(ann...)
	guest := s.order()
	s.want(s.do("GET", "/api/v1/orders", ""), 401, "")
	s.want(s.do("GET", "/api/v1/orders?limit=0", "", ann...), 400, "")
	s.want(s.do("GET", "/api/v1/orders?status=paid", "", ann...), 400, "not valid") // staff only
	r := s.want(s.do("GET", "/api/v1/orders?limit=1", "", ann...), 200, "")
	if len(r.items()) != 1 || r.items()[0].(map[string]any)["id"] != second || r.body["next_cursor"] == nil {
		t.Fatal(r.raw)
	}
	r = s.want(s.do("GET", "/api/v1/orders?limit=1&cursor="+r.body["next_cursor"].(string), "", ann...), 200, "")
	if len(r.items()) != 1 || r.items()[0].(map[string]any)["id"] != first || r.body["next_cursor"] != nil {
		t.Fatal(r.raw)
	}
	if r := s.want(s.do("GET", "/api/v1/orders/"+first, "", ann...), 200, ""); r.body["shipping_address"].(map[string]any)["city"] != "Cape Town" ||
		strings.Contains(r.raw, "variant_id") {
		t.Fatal(r.raw)
	}
	s.want(s.do("GET", "/api/v1/orders/"+guest, ""), 200, "")
	s.want(s.do("GET", "/api/v1/orders/"+first, "", bob...), 404, "")
	s.want(s.do("GET", "/api/v1/orders/"+first, ""), 404, "")
	s.want(s.do("GET", "/api/v1/orders/"+first, "", bearer("bad")...), 401, "")
}

func testAdminOrderRoutes(t *testing.T) {
	s := newShop(t)
	ann := bearer(s.customer("ann@example.com"))
	adm := bearer(s.admin)
	o := s.order()
	const unknown = "0123456789abcdef0123456789abcdef"
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/admin/orders", ""}, {"GET", "/api/v1/admin/orders/" + o, ""},
		{"POST", "/api/v1/admin/orders/" + o + "/fulfil", `{"tracking_number":"T1"}`}, {"POST", "/api/v1/admin/orders/" + o + "/deliver", ""},
		{"POST", "/api/v1/admin/orders/" + o + "/cancel", ""}, {"POST", "/api/v1/admin/orders/" + o + "/refunds", `{"amount":100}`},
	} {
		s.want(s.do(c.method, c.path, c.body), 401, "")
		s.want(s.do(c.method, c.path, c.body, ann...), 403, "")
		if c.path != "/api/v1/admin/orders" {
			s.want(s.do(c.method, strings.Replace(c.path, o, unknown, 1), c.body, append([]string{"Idempotency-Key", newKey()}, adm...)...), 404, "")
		}
	}
	r := s.want(s.do("GET", "/api/v1/admin/orders?status=paid", "", adm...), 200, "")
	if len(r.items()) != 1 || !strings.Contains(r.raw, "variant_id") {
		t.Fatal(r.raw)
	}
	s.want(s.do("GET", "/api/v1/admin/orders?status=lost", "", adm...), 400, "")
	// A malformed cursor, or a parameter the list does not take (this
	// list pages with cursor, not before), is refused, not ignored.
	s.want(s.do("GET", "/api/v1/admin/orders?cursor=abc", "", adm...), 400, "")
	s.want(s.do("GET", "/api/v1/admin/orders?before=abc", "", adm...), 400, "")
	s.want(s.do("GET", "/api/v1/admin/orders/"+o, "", adm...), 200, "")

	base := "/api/v1/admin/orders/" + o
	s.want(s.do("POST", base+"/deliver", "", adm...), 409, "")
	s.want(s.do("POST", base+"/fulfil", `{"tracking_number":""}`, adm...), 422, "tracking")
	s.want(s.do("POST", base+"/fulfil", `{"tracking_number":`, adm...), 400, "")

	refunds := base + "/refunds"
	s.want(s.do("POST", refunds, `{"amount":1000}`, adm...), 400, "Idempotency-Key")
	s.want(s.do("POST", refunds, `{"amount":`, append([]string{"Idempotency-Key", newKey()}, adm...)...), 400, "")
	s.want(s.do("POST", refunds, `{"amount":99999999}`, append([]string{"Idempotency-Key", newKey()}, adm...)...), 422, "")
	key := newKey()
	r = s.want(s.do("POST", refunds, `{"amount":1000}`, append([]string{"Idempotency-Key", key}, adm...)...), 200, "")
	if r.str("status") != "partially_refunded" || r.body["refunded"].(map[string]any)["amount"].(float64) != 1000 {
		t.Fatal(r.raw)
	}
	if r := s.want(s.do("POST", refunds, `{"amount":1000}`, append([]string{"Idempotency-Key", key}, adm...)...), 200, ""); r.body["refunded"].(map[string]any)["amount"].(float64) != 1000 {
		t.Fatalf("a retried refund refunded again: %s", r.raw)
	}
	s.gw.down.Store(true)
	s.want(s.do("POST", refunds, `{"amount":500}`, append([]string{"Idempotency-Key", newKey()}, adm...)...), 503, "nothing was refunded")
	s.gw.down.Store(false)

	s.want(s.do("POST", base+"/cancel", "", adm...), 409, "") // partly refunded
	o2 := s.order()
	if r := s.want(s.do("POST", "/api/v1/admin/orders/"+o2+"/fulfil", `{"tracking_number":"TRK1"}`, adm...), 200, ""); r.str("tracking_number") != "TRK1" {
		t.Fatal(r.raw)
	}
	s.want(s.do("POST", "/api/v1/admin/orders/"+o2+"/fulfil", `{"tracking_number":"TRK2"}`, adm...), 409, "")
	s.want(s.do("POST", "/api/v1/admin/orders/"+o2+"/deliver", "", adm...), 200, "")
	o3 := s.order()
	if r := s.want(s.do("POST", "/api/v1/admin/orders/"+o3+"/cancel", "", adm...), 200, ""); r.str("status") != "cancelled" {
		t.Fatal(r.raw)
	}
	s.want(s.do("POST", "/api/v1/admin/orders/"+o3+"/refunds", `{"amount":100}`, append([]string{"Idempotency-Key", newKey()}, adm...)...), 422, "")
	// A pending order (the gateway did not answer and has no record) cannot be refunded.
	s.gw.down.Store(true)
	id := s.cart(1)
	s.want(s.do("POST", "/api/v1/carts/"+id+"/checkout", checkoutBody("tok_visa"), "Idempotency-Key", newKey()), 503, "")
	s.gw.down.Store(false)
	// It is no order yet (unpaid, unnumbered): not in the admin's list.
	if pending := s.want(s.do("GET", "/api/v1/admin/orders?status=pending_payment", "", adm...), 200, "").items(); len(pending) != 0 {
		t.Fatalf("%v", pending)
	}
	var pendingID string
	if err := s.db.Read.QueryRow(`SELECT public_id FROM orders WHERE status = 'pending_payment'`).Scan(&pendingID); err != nil {
		t.Fatal(err)
	}
	s.want(s.do("POST", "/api/v1/admin/orders/"+pendingID+"/refunds", `{"amount":100}`,
		append([]string{"Idempotency-Key", newKey()}, adm...)...), 409, "")
}

func testInventoryRoutes(t *testing.T) {
	s := newShop(t)
	ann := bearer(s.customer("ann@example.com"))
	adm := bearer(s.admin)
	level := fmt.Sprintf("/api/v1/admin/inventory/%d", s.cap)
	adjust := level + "/adjustments"
	for _, c := range []struct{ method, path, body string }{{"GET", level, ""}, {"POST", adjust, `{"delta":1,"reason":"count"}`}} {
		s.want(s.do(c.method, c.path, c.body), 401, "")
		s.want(s.do(c.method, c.path, c.body, ann...), 403, "")
		s.want(s.do(c.method, "/api/v1/admin/inventory/999999"+strings.TrimPrefix(c.path, level), c.body, adm...), 404, "")
		s.want(s.do(c.method, "/api/v1/admin/inventory/x"+strings.TrimPrefix(c.path, level), c.body, adm...), 404, "")
	}
	r := s.want(s.do("GET", level, "", adm...), 200, "")
	if r.body["stock"].(float64) != 3 || len(r.body["history"].([]any)) != 1 {
		t.Fatal(r.raw)
	}
	if r := s.want(s.do("POST", adjust, `{"delta":-2,"reason":"damaged"}`, adm...), 200, ""); r.body["stock"].(float64) != 1 {
		t.Fatal(r.raw)
	}
	s.want(s.do("POST", adjust, `{"delta":-5,"reason":"lost"}`, adm...), 409, "below zero")
	s.want(s.do("POST", adjust, `{"delta":0,"reason":""}`, adm...), 422, "")
	s.want(s.do("POST", adjust, `{"delta":"one"}`, adm...), 400, "")
	if r := s.want(s.do("GET", level, "", adm...), 200, ""); len(r.body["history"].([]any)) != 2 {
		t.Fatal(r.raw)
	}
}

func testDiscountAndProductRoutes(t *testing.T) {
	s := newShop(t)
	ann := bearer(s.customer("ann@example.com"))
	adm := bearer(s.admin)
	prod := fmt.Sprintf("/api/v1/admin/products/%d", s.product)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/admin/discounts", ""}, {"POST", "/api/v1/admin/discounts", `{"code":"X","kind":"percent","value":5}`}, {"PATCH", prod, `{"name":"X"}`},
	} {
		s.want(s.do(c.method, c.path, c.body), 401, "")
		s.want(s.do(c.method, c.path, c.body, ann...), 403, "")
	}
	if l := s.want(s.do("GET", "/api/v1/admin/discounts", "", adm...), 200, "").items(); len(l) != 0 {
		t.Fatalf("%v", l)
	}
	r := s.want(s.do("POST", "/api/v1/admin/discounts", `{"code":"save5","kind":"fixed","value":500,"currency":"ZAR","used":40}`, adm...), 201, "")
	if r.str("code") != "SAVE5" || r.body["used"].(float64) != 0 {
		t.Fatal(r.raw)
	}
	s.want(s.do("POST", "/api/v1/admin/discounts", `{"code":"SAVE5","kind":"fixed","value":500,"currency":"ZAR"}`, adm...), 409, "")
	s.want(s.do("POST", "/api/v1/admin/discounts", `{"code":"BAD","kind":"percent","value":500}`, adm...), 400, "")
	if l := s.want(s.do("GET", "/api/v1/admin/discounts", "", adm...), 200, "").items(); len(l) != 1 {
		t.Fatalf("%v", l)
	}

	s.want(s.do("PATCH", prod, `{"name":"Soft tee","description":"Softer.","variants":[{"id":"`+fmt.Sprint(s.tee)+`","price":{"amount":25000,"currency":"ZAR"}}]}`, adm...), 204, "")
	r = s.want(s.do("GET", "/api/v1/products/tee", ""), 200, "")
	if r.str("name") != "Soft tee" || r.body["price_max"].(map[string]any)["amount"].(float64) != 25000 {
		t.Fatal(r.raw)
	}
	s.want(s.do("PATCH", prod, `{"slug":"cap"}`, adm...), 409, "")
	s.want(s.do("PATCH", prod, `{"slug":"Not A Slug"}`, adm...), 400, "")
	s.want(s.do("PATCH", prod, `{"variants":[{"id":"x"}]}`, adm...), 400, "")
	s.want(s.do("PATCH", prod, `{"variants":[{"id":"`+fmt.Sprint(s.tee)+`","price":{"amount":1,"currency":"ZAR"}},{"id":"`+fmt.Sprint(s.cap)+`","price":{"amount":1,"currency":"USD"}}]}`, adm...), 400, "one currency")
	s.want(s.do("PATCH", prod, `{"variants":[{"id":"`+fmt.Sprint(s.tee)+`","price":{"amount":-1,"currency":"ZAR"}}]}`, adm...), 400, "")
	s.want(s.do("PATCH", prod, `{"name":`, adm...), 400, "")
	s.want(s.do("PATCH", "/api/v1/admin/products/999999", `{"name":"X"}`, adm...), 404, "")
	s.want(s.do("PATCH", "/api/v1/admin/products/x", `{"name":"X"}`, adm...), 404, "")
}
