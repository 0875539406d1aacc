package api_test

import (
	"strings"
	"testing"
)

func testShippingZoneRoutes(t *testing.T) {
	s := newShop(t)
	adm := bearer(s.admin)
	shopper := bearer(s.customer("ann@example.com"))
	ifm := func(v string) []string { return append(append([]string{}, adm...), "If-Match", v) }

	// Admins only, on every route.
	for _, rt := range [][2]string{
		{"GET", "/api/v1/admin/shipping-zones"}, {"POST", "/api/v1/admin/shipping-zones"},
		{"GET", "/api/v1/admin/shipping-zones/1"}, {"PATCH", "/api/v1/admin/shipping-zones/1"}, {"DELETE", "/api/v1/admin/shipping-zones/1"},
		{"POST", "/api/v1/admin/shipping-methods"}, {"GET", "/api/v1/admin/shipping-methods/1"},
		{"PATCH", "/api/v1/admin/shipping-methods/1"}, {"DELETE", "/api/v1/admin/shipping-methods/1"},
		{"GET", "/api/v1/admin/settings/audit"},
	} {
		s.want(s.do(rt[0], rt[1], `{}`), 401, "")
		s.want(s.do(rt[0], rt[1], `{}`, shopper...), 403, "admin")
	}

	// The seeded method sits in the zone "ZA".
	r := s.want(s.do("GET", "/api/v1/admin/shipping-zones", "", adm...), 200, "")
	if len(r.items()) != 1 || !strings.Contains(r.raw, `"countries":["ZA"]`) || !strings.Contains(r.raw, `"code":"standard"`) {
		t.Fatalf("zones = %s", r.raw)
	}
	za := r.items()[0].(map[string]any)["id"].(string)

	// Create: bad fields, a country of another zone, a country not shipped to.
	r = s.want(s.do("POST", "/api/v1/admin/shipping-zones", `{"name":"","countries":["XX"]}`, adm...), 400, "")
	for _, f := range []string{`"name"`, `"countries"`} {
		if !strings.Contains(r.raw, f) {
			t.Errorf("no field error %s: %s", f, r.raw)
		}
	}
	s.want(s.do("POST", "/api/v1/admin/shipping-zones", `{"name":"Home","countries":["za"]}`, adm...), 409, "already in the zone")
	s.want(s.do("POST", "/api/v1/admin/shipping-zones", `{"name":"Brazil","countries":["BR"]}`, adm...), 422, "does not ship to BR")
	r = s.want(s.do("POST", "/api/v1/admin/shipping-zones", `{"name":"Neighbours","countries":["NA","BW"],"position":1}`, adm...), 201, "")
	nb := r.str("id")
	if r.header.Get("Location") != "/api/v1/admin/shipping-zones/"+nb || r.header.Get("ETag") != `"1"` || r.body["version"] != 1.0 {
		t.Fatalf("created zone = %v %s", r.header, r.raw)
	}
	s.want(s.do("POST", "/api/v1/admin/shipping-zones", `{"name":"Neighbours","countries":["LS"]}`, adm...), 409, "Neighbours")
	r = s.want(s.do("POST", "/api/v1/admin/shipping-zones", `{"name":"Rest of the world","countries":["*"],"position":9}`, adm...), 201, "")
	row := r.str("id")

	// Read one; a missing one is 404.
	s.want(s.do("GET", "/api/v1/admin/shipping-zones/"+nb, "", adm...), 200, "Neighbours")
	s.want(s.do("GET", "/api/v1/admin/shipping-zones/999", "", adm...), 404, "")
	s.want(s.do("GET", "/api/v1/admin/shipping-zones/nope", "", adm...), 404, "")

	// Methods: a flat international rate, a weight-priced one for the
	// neighbours, free over R1000.
	r = s.want(s.do("POST", "/api/v1/admin/shipping-methods", `{"zone_id":"`+row+`","code":"international","name":"International courier","rate":{"amount":45000,"currency":"ZAR"}}`, adm...), 201, "")
	intl := r.str("id")
	if r.str("kind") != "flat" || r.header.Get("Location") != "/api/v1/admin/shipping-methods/"+intl || !strings.Contains(r.raw, `"countries":["*"]`) {
		t.Fatalf("created method = %s", r.raw)
	}
	r = s.want(s.do("POST", "/api/v1/admin/shipping-methods", `{"zone_id":"`+nb+`","code":"road","name":"Road freight","rate":{"amount":0,"currency":"ZAR"},`+
		`"weight_rates":[{"up_to_grams":5000,"rate":{"amount":25000,"currency":"ZAR"}},{"up_to_grams":1000,"rate":{"amount":12000,"currency":"ZAR"}}],"free_over":{"amount":100000,"currency":"ZAR"}}`, adm...), 201, "")
	road := r.str("id")
	if r.str("kind") != "weight" || !strings.Contains(r.raw, `"weight_rates":[{"up_to_grams":1000`) || !strings.Contains(r.raw, `"free_over":{"amount":100000`) {
		t.Fatalf("weight method = %s", r.raw)
	}
	r = s.want(s.do("POST", "/api/v1/admin/shipping-methods", `{"zone_id":"`+nb+`","code":"Bad Code","name":"","rate":{"amount":-1,"currency":"USD"},"weight_rates":[{"up_to_grams":0,"rate":{"amount":1}}]}`, adm...), 400, "")
	for _, f := range []string{`"code"`, `"name"`, `"rate.amount"`, `"rate.currency"`, `"weight_rates[0].up_to_grams"`} {
		if !strings.Contains(r.raw, f) {
			t.Errorf("no field error %s: %s", f, r.raw)
		}
	}
	s.want(s.do("POST", "/api/v1/admin/shipping-methods", `{"zone_id":"`+nb+`","code":"x1","name":"X"}`, adm...), 400, "needs a rate")
	s.want(s.do("POST", "/api/v1/admin/shipping-methods", `{"zone_id":"abc","code":"x1","name":"X","rate":{"amount":1,"currency":"ZAR"}}`, adm...), 400, "")
	s.want(s.do("POST", "/api/v1/admin/shipping-methods", `{"code":"x1","name":"X","rate":{"amount":1,"currency":"ZAR"},"free_over":"lots"}`, adm...), 400, "")
	s.want(s.do("POST", "/api/v1/admin/shipping-methods", `{"zone_id":"999","code":"x1","name":"X","rate":{"amount":1,"currency":"ZAR"}}`, adm...), 404, "zone")
	s.want(s.do("POST", "/api/v1/admin/shipping-methods", `{"zone_id":"`+nb+`","code":"road","name":"Again","rate":{"amount":1,"currency":"ZAR"}}`, adm...), 409, "code road")

	// The storefront's listing and checkout follow the zones: Namibia gets
	// the road freight, never the international courier; Germany is not
	// shipped to; South Africa keeps its own.
	r = s.want(s.do("GET", "/api/v1/shipping-methods?country=NA", ""), 200, "")
	if len(r.items()) != 1 || !strings.Contains(r.raw, `"code":"road"`) {
		t.Fatalf("NA methods = %s", r.raw)
	}
	na := func(method string) string {
		return strings.Replace(strings.Replace(checkoutBody("tok_visa"), `"country":"ZA"`, `"country":"NA"`, 1), `"shipping_method":"standard"`, `"shipping_method":"`+method+`"`, 1)
	}
	r = s.want(s.do("POST", "/api/v1/carts/"+s.cart(1)+"/checkout", na("international"), "Idempotency-Key", newKey()), 422, "not offered")
	if !strings.Contains(r.raw, `"shipping_method"`) {
		t.Fatalf("no field error: %s", r.raw)
	}
	s.want(s.do("POST", "/api/v1/carts/"+s.cart(1)+"/checkout", strings.Replace(checkoutBody("tok_visa"), `"shipping_method":"standard"`, `"shipping_method":"international"`, 1), "Idempotency-Key", newKey()), 422, "not offered")
	// A tee weighs 600 g: one (R200) pays the first bracket, R120 ...
	if _, err := s.db.Write.Exec(`UPDATE variants SET weight = 600 WHERE id = ?`, s.tee); err != nil {
		t.Fatal(err)
	}
	r = s.want(s.do("POST", "/api/v1/carts/"+s.cart(1)+"/checkout", na("road"), "Idempotency-Key", newKey()), 201, "")
	if !strings.Contains(r.raw, `"shipping":{"amount":12000`) {
		t.Fatalf("1 tee by road: %s", r.raw)
	}
	// ... four (2.4 kg, R800) the second, R250 ...
	r = s.want(s.do("POST", "/api/v1/carts/"+s.cart(4)+"/checkout", na("road"), "Idempotency-Key", newKey()), 201, "")
	if !strings.Contains(r.raw, `"shipping":{"amount":25000`) {
		t.Fatalf("4 tees by road: %s", r.raw)
	}
	// ... and three of 2 kg each are over the last bracket: refused, 422.
	if _, err := s.db.Write.Exec(`UPDATE variants SET weight = 2000 WHERE id = ?`, s.tee); err != nil {
		t.Fatal(err)
	}
	r = s.want(s.do("POST", "/api/v1/carts/"+s.cart(3)+"/checkout", na("road"), "Idempotency-Key", newKey()), 422, "does not carry parcels of 6 kg")
	if !strings.Contains(r.raw, `"shipping_method"`) {
		t.Fatalf("no field error: %s", r.raw)
	}

	// Read, change, stale, clash, delete a method.
	r = s.want(s.do("GET", "/api/v1/admin/shipping-methods/"+road, "", adm...), 200, "")
	if r.header.Get("ETag") != `"1"` {
		t.Fatalf("etag %q", r.header.Get("ETag"))
	}
	s.want(s.do("GET", "/api/v1/admin/shipping-methods/999", "", adm...), 404, "")
	r = s.want(s.do("PATCH", "/api/v1/admin/shipping-methods/"+road, `{"free_over":null,"weight_rates":[],"rate":{"amount":9900,"currency":"ZAR"}}`, ifm(`"1"`)...), 200, "")
	if r.str("kind") != "flat" || r.body["free_over"] != nil || r.body["version"] != 2.0 {
		t.Fatalf("patched method = %s", r.raw)
	}
	s.want(s.do("PATCH", "/api/v1/admin/shipping-methods/"+road, `{"name":"Lost"}`, ifm(`"1"`)...), 412, "changed by someone else")
	s.want(s.do("PATCH", "/api/v1/admin/shipping-methods/"+road, `{"name":"Lost","version":1}`, adm...), 412, "")
	s.want(s.do("PATCH", "/api/v1/admin/shipping-methods/"+road, `{"name":"Lost"}`, ifm("soon")...), 400, "If-Match")
	s.want(s.do("PATCH", "/api/v1/admin/shipping-methods/"+road, `{"name":""}`, adm...), 400, "")
	s.want(s.do("PATCH", "/api/v1/admin/shipping-methods/999", `{"name":"X"}`, adm...), 404, "")
	s.want(s.do("PATCH", "/api/v1/admin/shipping-methods/"+road, `{"code":"international","zone_id":"`+row+`"}`, adm...), 409, "code international")
	if r := s.want(s.do("GET", "/api/v1/admin/shipping-methods/"+road, "", adm...), 200, ""); r.str("name") != "Road freight" || r.body["version"] != 2.0 {
		t.Fatalf("refused writes changed the method: %s", r.raw)
	}
	s.want(s.do("DELETE", "/api/v1/admin/shipping-methods/"+road, "", ifm("x")...), 400, "If-Match")
	s.want(s.do("DELETE", "/api/v1/admin/shipping-methods/"+road, "", ifm(`"1"`)...), 412, "")
	s.want(s.do("DELETE", "/api/v1/admin/shipping-methods/"+road, "", ifm(`"2"`)...), 204, "")
	s.want(s.do("DELETE", "/api/v1/admin/shipping-methods/"+road, "", adm...), 404, "")

	// Zones: change, stale, clash, not shipped to, delete with its methods.
	r = s.want(s.do("PATCH", "/api/v1/admin/shipping-zones/"+nb, `{"name":"Namibia","countries":["NA"]}`, ifm(`"1"`)...), 200, "")
	if r.str("name") != "Namibia" || r.body["version"] != 2.0 || r.header.Get("ETag") != `"2"` {
		t.Fatalf("patched zone = %s", r.raw)
	}
	s.want(s.do("PATCH", "/api/v1/admin/shipping-zones/"+nb, `{"name":"Lost"}`, ifm(`"1"`)...), 412, "")
	s.want(s.do("PATCH", "/api/v1/admin/shipping-zones/"+nb, `{"name":"Lost"}`, ifm("-")...), 400, "If-Match")
	s.want(s.do("PATCH", "/api/v1/admin/shipping-zones/"+nb, `{"countries":["NA","ZA"]}`, adm...), 409, "ZA")
	s.want(s.do("PATCH", "/api/v1/admin/shipping-zones/"+nb, `{"countries":["NA","BR"]}`, adm...), 422, "BR")
	s.want(s.do("PATCH", "/api/v1/admin/shipping-zones/999", `{"name":"X"}`, adm...), 404, "")
	s.want(s.do("DELETE", "/api/v1/admin/shipping-zones/"+row, "", ifm("x")...), 400, "")
	s.want(s.do("DELETE", "/api/v1/admin/shipping-zones/"+row, "", ifm(`"7"`)...), 412, "")
	s.want(s.do("DELETE", "/api/v1/admin/shipping-zones/"+row, "", adm...), 204, "")
	s.want(s.do("DELETE", "/api/v1/admin/shipping-zones/"+row, "", adm...), 404, "")
	s.want(s.do("GET", "/api/v1/admin/shipping-methods/"+intl, "", adm...), 404, "")
	r = s.want(s.do("GET", "/api/v1/admin/shipping-methods", "", adm...), 200, "")
	if len(r.items()) != 1 || !strings.Contains(r.raw, `"zone_id":"`+za+`"`) {
		t.Fatalf("methods left = %s", r.raw)
	}

	// The audit log says who changed what, newest first.
	r = s.want(s.do("GET", "/api/v1/admin/settings/audit?limit=3", "", adm...), 200, "")
	if len(r.items()) != 3 || !strings.Contains(r.raw, `"actor":"boss@example.com"`) || !strings.Contains(r.raw, `"action":"delete"`) {
		t.Fatalf("audit = %s", r.raw)
	}
	s.want(s.do("GET", "/api/v1/admin/settings/audit?limit=0", "", adm...), 400, "audit query")

	// Settings: the currency cannot change while prices are in ZAR.
	s.want(s.do("PATCH", "/api/v1/admin/settings", `{"currency":"USD"}`, adm...), 422, "not converted")
}
