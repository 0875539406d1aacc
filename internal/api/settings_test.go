package api_test

import (
	"strings"
	"testing"
)

func testSettingsRoutes(t *testing.T) {
	s := newShop(t)
	adm := bearer(s.admin)
	const path = "/api/v1/admin/settings"

	// Admins only.
	s.want(s.do("GET", path, ""), 401, "")
	s.want(s.do("PATCH", path, `{"shop_name":"Mine"}`), 401, "")
	shopper := bearer(s.customer("ann@example.com"))
	s.want(s.do("GET", path, "", shopper...), 403, "admin")
	s.want(s.do("PATCH", path, `{"shop_name":"Mine"}`, shopper...), 403, "admin")

	// The migration's values: today's shop.
	r := s.want(s.do("GET", path, "", adm...), 200, "")
	if r.str("shop_name") != "Ocean" || r.str("currency") != "ZAR" || r.body["version"] != 1.0 || r.header.Get("ETag") != `"1"` ||
		r.body["prices_include_tax"] != true || r.body["countries"].([]any)[0] != "ZA" {
		t.Fatalf("settings = %s", r.raw)
	}

	// A change from version 1; then the same version again is a 412 and
	// changes nothing.
	r = s.want(s.do("PATCH", path, `{"shop_name":"Kelp & Co","countries":["za","na"],"prices_include_tax":false}`, append(adm, "If-Match", `"1"`)...), 200, "")
	if r.str("shop_name") != "Kelp & Co" || r.body["version"] != 2.0 || r.header.Get("ETag") != `"2"` || r.body["prices_include_tax"] != false ||
		len(r.body["countries"].([]any)) != 2 || r.str("contact_email") != "shop@example.com" {
		t.Fatalf("patched = %s", r.raw)
	}
	s.want(s.do("PATCH", path, `{"shop_name":"Lost"}`, append(adm, "If-Match", `"1"`)...), 412, "changed by someone else")
	s.want(s.do("PATCH", path, `{"shop_name":"Lost","version":1}`, adm...), 412, "changed by someone else")
	s.want(s.do("PATCH", path, `{"shop_name":"Lost"}`, append(adm, "If-Match", "soon")...), 400, "If-Match")
	if r := s.want(s.do("GET", path, "", adm...), 200, ""); r.str("shop_name") != "Kelp & Co" {
		t.Fatalf("a refused write changed the settings: %s", r.raw)
	}

	// Bad input names each field and writes nothing.
	r = s.want(s.do("PATCH", path, `{"shop_name":"","contact_email":"nope","currency":"rand","countries":["XX"]}`, adm...), 400, "")
	for _, f := range []string{"shop_name", "contact_email", "currency", "countries"} {
		if !strings.Contains(r.raw, `"`+f+`"`) {
			t.Errorf("no field error for %s: %s", f, r.raw)
		}
	}
	s.want(s.do("PATCH", path, `{"countries":[]}`, adm...), 400, "")
	s.want(s.do("PATCH", path, `{"shop_name":`, adm...), 400, "")
	if r := s.want(s.do("GET", path, "", adm...), 200, ""); r.body["version"] != 2.0 {
		t.Fatalf("refused writes changed the version: %s", r.raw)
	}

	// Checkout and the methods listing follow the countries: Namibia is
	// listed now, Germany is not (422), South Africa still works.
	s.want(s.do("GET", "/api/v1/shipping-methods?country=NA", ""), 200, "")
	s.want(s.do("GET", "/api/v1/shipping-methods?country=DE", ""), 422, "does not ship to DE")
	cart := s.cart(1)
	body := strings.Replace(checkoutBody("tok_visa"), `"country":"ZA"`, `"country":"DE"`, 1)
	r = s.want(s.do("POST", "/api/v1/carts/"+cart+"/checkout", body, "Idempotency-Key", newKey()), 422, "does not ship to DE")
	if !strings.Contains(r.raw, "shipping_address.country") {
		t.Fatalf("no field error: %s", r.raw)
	}
	s.want(s.do("POST", "/api/v1/carts/"+cart+"/checkout", checkoutBody("tok_visa"), "Idempotency-Key", newKey()), 201, "")
}

func testTaxAndShippingRoutes(t *testing.T) {
	s := newShop(t)
	adm := bearer(s.admin)
	shopper := bearer(s.customer("ann@example.com"))
	s.want(s.do("GET", "/api/v1/admin/tax-rates", ""), 401, "")
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/ZA", `{"rate_bp":0}`), 401, "")
	s.want(s.do("GET", "/api/v1/admin/shipping-methods", ""), 401, "")
	s.want(s.do("GET", "/api/v1/admin/tax-rates", "", shopper...), 403, "admin")
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/ZA", `{"rate_bp":0}`, shopper...), 403, "admin")
	s.want(s.do("GET", "/api/v1/admin/shipping-methods", "", shopper...), 403, "admin")

	r := s.want(s.do("GET", "/api/v1/admin/tax-rates", "", adm...), 200, "")
	if len(r.items()) != 1 || !strings.Contains(r.raw, `"rate_bp":1500`) {
		t.Fatalf("rates = %s", r.raw)
	}
	r = s.want(s.do("PUT", "/api/v1/admin/tax-rates/na", `{"rate_bp":1500}`, adm...), 200, "")
	if r.str("country") != "NA" || r.str("name") != "Tax 15%" || r.body["rate_bp"] != 1500.0 {
		t.Fatalf("put = %s", r.raw)
	}
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/ZA", `{"rate_bp":1400,"name":"VAT 14%"}`, adm...), 200, "")
	// The new rate prices the next checkout: R200 tee + R60 shipping, 14%,
	// included in the prices as the settings say: R31.93 of R260.
	r = s.want(s.do("POST", "/api/v1/carts/"+s.cart(1)+"/checkout", checkoutBody("tok_visa"), "Idempotency-Key", newKey()), 201, "")
	if !strings.Contains(r.raw, `"tax":{"amount":3193,`) || !strings.Contains(r.raw, `"total":{"amount":26000,`) || !strings.Contains(r.raw, `"tax_included":true`) {
		t.Fatalf("checkout with VAT 14%% included: %s", r.raw)
	}
	// Settings now say prices exclude tax: the cart and the checkout add it.
	s.want(s.do("PATCH", "/api/v1/admin/settings", `{"prices_include_tax":false}`, adm...), 200, "")
	cart := s.cart(1)
	if r := s.want(s.do("GET", "/api/v1/carts/"+cart, ""), 200, ""); !strings.Contains(r.raw, `"tax_included":false`) {
		t.Fatalf("cart after the switch: %s", r.raw)
	}
	r = s.want(s.do("POST", "/api/v1/carts/"+cart+"/checkout", checkoutBody("tok_visa"), "Idempotency-Key", newKey()), 201, "")
	if !strings.Contains(r.raw, `"total":{"amount":29640,`) || !strings.Contains(r.raw, `"tax_included":false`) {
		t.Fatalf("checkout with VAT 14%% added: %s", r.raw)
	}
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/ZA", `{"rate_bp":10001}`, adm...), 422, "0% to 100%")
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/ZA", `{"rate_bp":-5}`, adm...), 422, "0% to 100%")
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/ZA", `{}`, adm...), 400, "rate_bp")
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/BR", `{"rate_bp":100}`, adm...), 422, "does not ship to BR")
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/ZAF", `{"rate_bp":100}`, adm...), 400, "")
	r = s.want(s.do("GET", "/api/v1/admin/tax-rates", "", adm...), 200, "")
	if len(r.items()) != 2 || !strings.Contains(r.raw, `"rate_bp":1400`) {
		t.Fatalf("rates after = %s", r.raw)
	}

	r = s.want(s.do("GET", "/api/v1/admin/shipping-methods", "", adm...), 200, "")
	if len(r.items()) != 1 || !strings.Contains(r.raw, `"code":"standard"`) {
		t.Fatalf("methods = %s", r.raw)
	}
}
