package api_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/api"
	"github.com/oceanshop/ocean/internal/inventory"
)

// TestRoleRouteClasses: every admin route of the API, classified by the one
// table of route classes (account.AreaOf), for every role. Admins use all
// of them; staff the catalog, orders and inventory and get a 403 problem
// naming what their role may do elsewhere (settings, accounts, anything
// unclassified); customers get 403 and strangers 401. Routes added later
// under a classified prefix are covered without touching this test.
func TestRoleRouteClasses(t *testing.T) {
	s := newShop(t)
	staff := s.user("sipho@example.com", account.RoleStaff)
	cust := s.customer("ada@example.com")
	path := func(p string) string {
		r := strings.NewReplacer("{id}", "999999", "{variant_id}", strconv.FormatInt(s.tee, 10), "{country}", "ZZ", "{image_id}", "999999")
		return r.Replace(p)
	}
	staffMay := map[account.Area]bool{account.AreaDashboard: true, account.AreaCatalog: true, account.AreaOrders: true, account.AreaInventory: true}
	seen := map[account.Area]int{}
	for _, rt := range (&api.API{}).Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/admin/") {
			continue
		}
		area, ok := account.AreaOf(rt.Path)
		if !ok {
			t.Fatalf("%s is not classified as a back-office path", rt.Path)
		}
		seen[area]++
		p, body := path(rt.Path), ""
		if rt.Method != "GET" && rt.Method != "DELETE" {
			body = "{}"
		}
		if r := s.do(rt.Method, p, body); r.status != 401 {
			t.Errorf("no token %s %s: %d", rt.Method, p, r.status)
		}
		if r := s.do(rt.Method, p, body, bearer(cust)...); r.status != 403 || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("customer %s %s: %d %s", rt.Method, p, r.status, r.raw)
		}
		r := s.do(rt.Method, p, body, bearer(staff)...)
		if staffMay[area] {
			if r.status == 401 || r.status == 403 || r.status >= 500 {
				t.Errorf("staff %s %s (%s): %d %s", rt.Method, p, area, r.status, r.raw)
			}
		} else {
			if r.status != 403 || r.header.Get("Content-Type") != "application/problem+json" || !strings.Contains(r.str("detail"), "needs an admin account") ||
				!strings.Contains(r.str("detail"), "staff account can manage the catalog, orders and inventory") {
				t.Errorf("staff %s %s (%s): %d %s, want a 403 problem", rt.Method, p, area, r.status, r.raw)
			}
		}
		if r := s.do(rt.Method, p, body, bearer(s.admin)...); r.status == 401 || r.status == 403 || r.status >= 500 {
			t.Errorf("admin %s %s: %d %s", rt.Method, p, r.status, r.raw)
		}
	}
	for _, a := range []account.Area{account.AreaCatalog, account.AreaOrders, account.AreaInventory, account.AreaSettings, account.AreaUsers} {
		if seen[a] == 0 {
			t.Errorf("no API route is in %s", a)
		}
	}
}

// TestGrantStaffRole: an admin makes an account staff over the API; the
// account's old tokens stop working and its new ones reach the catalog
// but not the accounts; staff cannot promote themselves.
func TestGrantStaffRole(t *testing.T) {
	s := newShop(t)
	old := s.customer("lerato@example.com")
	me := s.want(s.do("GET", "/api/v1/me", "", bearer(old)...), 200, "")
	id := me.str("id")
	r := s.want(s.do("PATCH", "/api/v1/admin/users/"+id, `{"role":"staff"}`, bearer(s.admin)...), 200, "")
	if r.str("role") != "staff" {
		t.Fatalf("role after PATCH: %s", r.raw)
	}
	s.want(s.do("PATCH", "/api/v1/admin/users/"+id, `{"role":"owner"}`, bearer(s.admin)...), 400, "role is not valid")
	login := s.want(s.do("POST", "/api/v1/auth/login", `{"email":"lerato@example.com","password":"`+password+`"}`), 200, "")
	tok := login.body["access_token"].(string)
	s.want(s.do("GET", "/api/v1/admin/products", "", bearer(tok)...), 200, "")
	s.want(s.do("GET", "/api/v1/admin/orders", "", bearer(tok)...), 200, "")
	s.want(s.do("GET", "/api/v1/admin/users", "", bearer(tok)...), 403, "needs an admin account")
	s.want(s.do("PATCH", "/api/v1/admin/users/"+id, `{"role":"admin"}`, bearer(tok)...), 403, "needs an admin account")
	s.want(s.do("GET", "/api/v1/admin/settings", "", bearer(tok)...), 403, "the shop's settings needs an admin account")
	if u, err := s.db.Accounts().UserByEmail(t.Context(), "lerato@example.com"); err != nil || u.Role != account.RoleStaff {
		t.Fatalf("role: %v %v", u, err)
	}
}

// TestRefundRestock: a refund puts back the units asked for (restock_items)
// or all that are left (restock: true), never more than the order had,
// refusing a bad request before any money moves; a cancellation with
// "restock": false keeps the units sold. Stock and the ledger agree.
func TestRefundRestock(t *testing.T) {
	s := newShop(t)
	ctx := t.Context()
	adm := bearer(s.admin)
	inv := inventory.NewService(s.db.Commerce())
	stock := func() int {
		l, err := inv.Level(ctx, s.tee)
		if err != nil {
			t.Fatal(err)
		}
		return l.Stock
	}
	id := s.cart(3)
	o := s.want(s.do("POST", "/api/v1/carts/"+id+"/checkout", checkoutBody("tok_visa"), "Idempotency-Key", newKey()), 201, "").str("id")
	if stock() != 7 {
		t.Fatalf("after selling 3 of 10: %d", stock())
	}
	refunds := "/api/v1/admin/orders/" + o + "/refunds"
	post := func(body string) res {
		return s.do("POST", refunds, body, append([]string{"Idempotency-Key", newKey()}, adm...)...)
	}
	tee := strconv.FormatInt(s.tee, 10)
	// Refused before any money moves: not on the order, too many, not a number.
	s.want(post(`{"amount":100,"restock_items":[{"variant_id":"`+strconv.FormatInt(s.cap, 10)+`","quantity":1}]}`), 400, "not on this order")
	s.want(post(`{"amount":100,"restock_items":[{"variant_id":"`+tee+`","quantity":4}]}`), 422, "has 3 units")
	s.want(post(`{"amount":100,"restock_items":[{"variant_id":"x","quantity":1}]}`), 400, "names no variant")
	s.want(post(`{"amount":100,"restock_items":[{"variant_id":"`+tee+`","quantity":0}]}`), 400, "at least 1")
	if r := s.want(s.do("GET", "/api/v1/admin/orders/"+o, "", adm...), 200, ""); r.body["refunded"].(map[string]any)["amount"].(float64) != 0 || stock() != 7 {
		t.Fatalf("a refused refund changed something: %s, stock %d", r.raw, stock())
	}
	// A partial refund for one returned unit.
	key := newKey()
	s.want(s.do("POST", refunds, `{"amount":20000,"restock_items":[{"variant_id":"`+tee+`","quantity":1}]}`, append([]string{"Idempotency-Key", key}, adm...)...), 200, "")
	s.want(s.do("POST", refunds, `{"amount":20000,"restock_items":[{"variant_id":"`+tee+`","quantity":1}]}`, append([]string{"Idempotency-Key", key}, adm...)...), 200, "")
	if stock() != 8 {
		t.Fatalf("after restocking 1 (sent twice): %d, want 8", stock())
	}
	// A refund without restock leaves stock alone; restock: true puts back the rest.
	s.want(post(`{"amount":100}`), 200, "")
	if stock() != 8 {
		t.Fatalf("a refund without restock changed stock: %d", stock())
	}
	s.want(post(`{"amount":100,"restock":true}`), 200, "")
	if stock() != 10 {
		t.Fatalf("after restock: true: %d, want 10", stock())
	}
	h, err := inv.History(ctx, s.tee, 10)
	if err != nil || len(h) < 3 || h[0].Kind != inventory.Restock || h[0].Delta != 2 || h[1].Kind != inventory.Restock || h[1].Delta != 1 {
		t.Fatalf("ledger: %+v %v", h, err)
	}
	// Cancelled without restock: the units stay sold.
	id = s.cart(2)
	o2 := s.want(s.do("POST", "/api/v1/carts/"+id+"/checkout", checkoutBody("tok_visa"), "Idempotency-Key", newKey()), 201, "").str("id")
	s.want(s.do("POST", "/api/v1/admin/orders/"+o2+"/cancel", `{"restock":"no"}`, adm...), 400, "")
	if r := s.want(s.do("POST", "/api/v1/admin/orders/"+o2+"/cancel", `{"restock":false}`, adm...), 200, ""); r.str("status") != "cancelled" || stock() != 8 {
		t.Fatalf("cancel without restock: %s, stock %d", r.raw, stock())
	}
	if d, _, err := inv.Verify(ctx); err != nil || len(d) != 0 {
		t.Fatalf("inventory verify: %+v %v", d, err)
	}
}
