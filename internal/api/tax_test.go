package api_test

import (
	"strings"
	"testing"
)

// testZoneTaxRoutes: a zone's rate applies to the zone's countries, a
// country's own overrides it, checkout charges what the applied list says,
// bad rates are refused with the field named, and stale versions are 412.
func testZoneTaxRoutes(t *testing.T) {
	s := newShop(t)
	adm := bearer(s.admin)
	shopper := bearer(s.customer("ann@example.com"))
	ifm := func(v string) []string { return append(append([]string{}, adm...), "If-Match", v) }
	for _, rt := range [][2]string{
		{"PUT", "/api/v1/admin/tax-rates/zones/1"}, {"DELETE", "/api/v1/admin/tax-rates/zones/1"}, {"DELETE", "/api/v1/admin/tax-rates/ZA"},
	} {
		s.want(s.do(rt[0], rt[1], `{"rate_bp":0}`), 401, "")
		s.want(s.do(rt[0], rt[1], `{"rate_bp":0}`, shopper...), 403, "admin")
	}
	r := s.want(s.do("POST", "/api/v1/admin/shipping-zones", `{"name":"Neighbours","countries":["NA","BW"]}`, adm...), 201, "")
	nb := r.str("id")
	s.want(s.do("POST", "/api/v1/admin/shipping-methods", `{"zone_id":"`+nb+`","code":"road","name":"Road freight","rate":{"amount":5000,"currency":"ZAR"}}`, adm...), 201, "")
	zone := "/api/v1/admin/tax-rates/zones/" + nb

	// Bad rates: out of range is 422 naming rate_bp, as is a zone that
	// does not exist; a malformed request is 400.
	for _, body := range []string{`{"rate_bp":-1}`, `{"rate_bp":10001}`} {
		if r := s.want(s.do("PUT", zone, body, adm...), 422, "0% to 100%"); !strings.Contains(r.raw, `"rate_bp"`) {
			t.Errorf("%s: no field error: %s", body, r.raw)
		}
	}
	if r := s.want(s.do("PUT", "/api/v1/admin/tax-rates/zones/99999", `{"rate_bp":1500}`, adm...), 422, "no shipping zone 99999"); !strings.Contains(r.raw, `"zone_id"`) {
		t.Errorf("unknown zone: no field error: %s", r.raw)
	}
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/BR", `{"rate_bp":1500}`, adm...), 422, "does not ship to BR")
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/zones/abc", `{"rate_bp":1500}`, adm...), 400, "")
	s.want(s.do("PUT", zone, `{"rate_bp":"15%"}`, adm...), 400, "")
	s.want(s.do("PUT", zone, `{"rate_bp":1500}`, ifm("v1")...), 400, "If-Match")

	// The zone's rate: NA and BW pay it; versioned with an ETag.
	r = s.want(s.do("PUT", zone, `{"rate_bp":1600,"name":"VAT 16%"}`, adm...), 200, "")
	if r.str("zone_id") != nb || r.str("zone") != "Neighbours" || r.body["version"] != 1.0 || r.header.Get("ETag") != `"1"` {
		t.Fatalf("zone rate = %v %s", r.header, r.raw)
	}
	s.want(s.do("PUT", zone, `{"rate_bp":1700}`, ifm(`"7"`)...), 412, "changed by someone else")
	s.want(s.do("PUT", zone, `{"rate_bp":1700,"version":7}`, adm...), 412, "")
	r = s.want(s.do("PUT", zone, `{"rate_bp":1500,"name":"VAT 15%"}`, ifm(`"1"`)...), 200, "")
	if r.header.Get("ETag") != `"2"` {
		t.Fatalf("second write: %v", r.header)
	}
	// Namibia overrides with its own rate.
	r = s.want(s.do("PUT", "/api/v1/admin/tax-rates/NA", `{"rate_bp":1000,"name":"VAT 10%"}`, adm...), 200, "")
	if r.header.Get("ETag") != `"1"` || r.str("country") != "NA" {
		t.Fatalf("NA rate: %v %s", r.header, r.raw)
	}
	s.want(s.do("PUT", "/api/v1/admin/tax-rates/NA", `{"rate_bp":1100}`, ifm(`"3"`)...), 412, "")

	r = s.want(s.do("GET", "/api/v1/admin/tax-rates", "", adm...), 200, "")
	applied := map[string]map[string]any{}
	for _, a := range r.body["applied"].([]any) {
		m := a.(map[string]any)
		applied[m["country"].(string)] = m
	}
	if a := applied["BW"]; a["zone_id"] != nb || a["rate_bp"] != 1500.0 {
		t.Errorf("BW applied %v", a)
	}
	if a := applied["NA"]; a["zone_id"] != nil || a["rate_bp"] != 1000.0 {
		t.Errorf("NA applied %v", a)
	}
	if zs := r.body["zones"].([]any); len(zs) != 1 || zs[0].(map[string]any)["zone_id"] != nb {
		t.Errorf("zones = %v", zs)
	}
	// Checkout charges the same: R200 + R50 road freight, prices include
	// tax (the settings), so BW's 15% is R32.61 of R250 and NA's 10% R22.73.
	for country, tax := range map[string]string{"BW": `"tax":{"amount":3261,`, "NA": `"tax":{"amount":2273,`} {
		body := strings.Replace(strings.Replace(checkoutBody("tok_visa"), `"country":"ZA"`, `"country":"`+country+`"`, 1), `"shipping_method":"standard"`, `"shipping_method":"road"`, 1)
		r := s.want(s.do("POST", "/api/v1/carts/"+s.cart(1)+"/checkout", body, "Idempotency-Key", newKey()), 201, "")
		if !strings.Contains(r.raw, tax) || !strings.Contains(r.raw, `"total":{"amount":25000,`) {
			t.Errorf("checkout to %s: %s", country, r.raw)
		}
	}

	// Deleting: stale is 412, then NA pays the zone's rate again; a second
	// delete is 404; deleting the zone's rate leaves BW without tax.
	s.want(s.do("DELETE", "/api/v1/admin/tax-rates/NA", "", ifm(`"9"`)...), 412, "")
	s.want(s.do("DELETE", "/api/v1/admin/tax-rates/NA", "", ifm(`"1"`)...), 204, "")
	s.want(s.do("DELETE", "/api/v1/admin/tax-rates/NA", "", adm...), 404, "")
	s.want(s.do("DELETE", "/api/v1/admin/tax-rates/N1", "", adm...), 400, "")
	s.want(s.do("DELETE", "/api/v1/admin/tax-rates/zones/x", "", adm...), 400, "")
	s.want(s.do("DELETE", zone, "", ifm(`"1"`)...), 412, "")
	s.want(s.do("DELETE", zone, "", ifm(`"2"`)...), 204, "")
	s.want(s.do("DELETE", zone, "", adm...), 404, "")
	r = s.want(s.do("GET", "/api/v1/admin/tax-rates", "", adm...), 200, "")
	for _, a := range r.body["applied"].([]any) {
		if m := a.(map[string]any); (m["country"] == "BW" || m["country"] == "NA") && m["rate_bp"] != 0.0 {
			t.Errorf("after the deletes %v", m)
		}
	}
}

// testOneCountryList: the address book, the shipping methods and checkout
// accept exactly the settings' countries, and follow the settings when
// they change.
func testOneCountryList(t *testing.T) {
	s := newShop(t)
	adm := bearer(s.admin)
	ann := bearer(s.customer("ann@example.com"))
	addr := func(country string) res {
		return s.do("POST", "/api/v1/me/addresses", `{"name":"Ann","line1":"1 Rua","city":"Recife","country":"`+country+`"}`, ann...)
	}
	r := s.want(addr("BR"), 422, "does not ship to BR")
	if !strings.Contains(r.raw, `"field":"country"`) {
		t.Errorf("no field error: %s", r.raw)
	}
	s.want(addr("XX"), 400, "")
	s.want(s.do("GET", "/api/v1/shipping-methods?country=BR", ""), 422, "does not ship to BR")
	body := strings.Replace(checkoutBody("tok_visa"), `"country":"ZA"`, `"country":"BR"`, 1)
	s.want(s.do("POST", "/api/v1/carts/"+s.cart(1)+"/checkout", body, "Idempotency-Key", newKey()), 422, "does not ship to BR")
	s.want(addr("na"), 201, "")

	// The owner adds Brazil: every door takes it at once.
	r = s.want(s.do("GET", "/api/v1/admin/settings", "", adm...), 200, "")
	var countries []string
	for _, c := range r.body["countries"].([]any) {
		countries = append(countries, `"`+c.(string)+`"`)
	}
	s.want(s.do("PATCH", "/api/v1/admin/settings", `{"countries":[`+strings.Join(countries, ",")+`,"BR"]}`, adm...), 200, "")
	s.want(addr("BR"), 201, "")
	s.want(s.do("GET", "/api/v1/shipping-methods?country=BR", ""), 200, "")
}
