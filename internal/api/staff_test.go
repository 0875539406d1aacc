package api_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/api"
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
