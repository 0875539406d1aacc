package web_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/account"
)

// staffMember registers an account, makes it staff and signs it in.
func (s *officeShop) staffMember(t *testing.T, email string) (*browser, *account.User) {
	t.Helper()
	ctx := context.Background()
	b := s.browser(t)
	b.register(email, "Sipho Staff", pw)
	u, err := s.app.DB.Accounts().UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := s.app.DB.Accounts().UserByEmail(ctx, ownerEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.app.Accounts.SetRole(ctx, u.ID, account.RoleStaff, account.Meta{ActorID: owner.ID}); err != nil {
		t.Fatal(err)
	}
	// The role change signed the account out everywhere.
	wantAt(t, b.signIn(email, pw), "/account")
	return b, u
}

// TestRoleRouteClasses: every class of admin page for every role. Staff
// work in the catalog, orders and inventory; settings, accounts and
// operations answer them 403 with a page that says whom to ask and leads
// back to the admin; customers and strangers get the ordinary 404.
func TestRoleRouteClasses(t *testing.T) {
	s := newOffice(t)
	_, v := s.product(t, 5, 10000)
	o := s.buy(t, v, 1)
	vid := strconv.FormatInt(v, 10)
	boss := s.owner(t)
	staff, _ := s.staffMember(t, "sipho@example.com")
	cust := s.browser(t)
	cust.register("ada@example.com", "Ada", pw)
	anon := s.browser(t)

	staffMay := map[string]bool{}
	for _, c := range []struct {
		path string
		area account.Area
	}{
		{"/admin", account.AreaDashboard},
		{"/admin/products", account.AreaCatalog},
		{"/admin/products/new", account.AreaCatalog},
		{"/admin/categories", account.AreaCatalog},
		{"/admin/catalog-audit", account.AreaCatalog},
		{"/admin/orders", account.AreaOrders},
		{"/admin/orders/" + o.PublicID, account.AreaOrders},
		{"/admin/discounts", account.AreaOrders},
		{"/admin/inventory", account.AreaInventory},
		{"/admin/inventory/" + vid, account.AreaInventory},
		{"/admin/inventory/verify", account.AreaInventory},
		{"/admin/users", account.AreaUsers},
		{"/admin/audit", account.AreaUsers},
		{"/admin/mailbox", account.AreaOperations},
	} {
		if got, _ := account.AreaOf(c.path); got != c.area {
			t.Errorf("%s is in %q, want %q", c.path, got, c.area)
		}
		staffMay[c.path] = c.area == account.AreaDashboard || c.area == account.AreaCatalog || c.area == account.AreaOrders || c.area == account.AreaInventory
		if v := boss.get(c.path); v.status != 200 {
			t.Errorf("admin GET %s: %d", c.path, v.status)
		}
		sv := staff.get(c.path)
		switch {
		case staffMay[c.path] && sv.status != 200:
			t.Errorf("staff GET %s: %d, want 200", c.path, sv.status)
		case !staffMay[c.path]:
			wantPage(t, sv, 403, "You can’t use this page", "needs an admin account", "ask one of the shop's admins", "Back to the admin")
		}
		if v := cust.get(c.path); v.status != 404 {
			t.Errorf("customer GET %s: %d, want 404", c.path, v.status)
		}
		wantSignIn(t, anon.get(c.path), c.path)
	}

	// Staff's home shows the tiles of their role, not the admin's.
	home := staff.get("/admin")
	for _, link := range []string{`href="/admin/products"`, `href="/admin/orders"`, `href="/admin/inventory"`} {
		if !strings.Contains(home.body, link) {
			t.Errorf("staff home lacks %s", link)
		}
	}
	if strings.Contains(home.body, `class="tile" href="/admin/users"`) {
		t.Error("staff home offers the accounts page")
	}

	// The tab bar comes from the same route table: staff see a tab for
	// every area they may use and none that would answer 403; the admin
	// sees them all.
	reHref := regexp.MustCompile(`href="([^"?#]+)`)
	tabs := regexp.MustCompile(`<nav class="tabs" aria-label="Admin pages">[\s\S]*?</nav>`)
	tabLinks := func(body string) []string {
		var out []string
		for _, m := range reHref.FindAllStringSubmatch(tabs.FindString(body), -1) {
			out = append(out, m[1])
		}
		return out
	}
	for _, page := range []string{"/admin", "/admin/orders", "/admin/products", "/admin/orders/" + o.PublicID} {
		got := tabLinks(staff.get(page).body)
		for _, href := range got {
			if !staffMay[href] {
				t.Errorf("staff see the %s tab on %s", href, page)
			}
		}
		if !slices.Contains(got, "/admin/orders") || !slices.Contains(got, "/admin/products") || !slices.Contains(got, "/admin/inventory") {
			t.Errorf("staff tabs on %s: %v", page, got)
		}
		all := tabLinks(boss.get(page).body)
		for _, want := range []string{"/admin/settings", "/admin/users", "/admin/audit", "/admin/mailbox", "/admin/orders"} {
			if !slices.Contains(all, want) {
				t.Errorf("admin tabs on %s lack %s: %v", page, want, all)
			}
		}
	}

	// Staff may act on orders and stock …
	if v := staff.submit("/admin/inventory/"+vid, "/admin/inventory/"+vid+"/adjustments", url.Values{"delta": {"3"}, "reason": {"recount"}}); v.status != 200 {
		t.Errorf("staff stock adjustment: %d", v.status)
	}
	if l, _ := s.app.Inventory.Level(context.Background(), v); l.Stock != 7 {
		t.Errorf("stock after staff's +3: %d, want 7", l.Stock)
	}
	// … but not make themselves (or anyone) admin.
	cu, _ := s.app.DB.Accounts().UserByEmail(context.Background(), "ada@example.com")
	for _, target := range []int64{cu.ID} {
		rv := staff.submit("/account", "/admin/users/"+strconv.FormatInt(target, 10)+"/role", url.Values{"role": {"admin"}})
		wantPage(t, rv, 403, "needs an admin account")
	}
	if u, _ := s.app.DB.Accounts().UserByEmail(context.Background(), "ada@example.com"); u.Role != account.RoleCustomer {
		t.Fatalf("staff changed a role: %s", u.Role)
	}
}

// TestAdminGrantsStaff: the accounts page offers the staff role, and the
// change takes effect at the next sign-in.
func TestAdminGrantsStaff(t *testing.T) {
	s := newOffice(t)
	boss := s.owner(t)
	b := s.browser(t)
	b.register("lerato@example.com", "Lerato", pw)
	u, _ := s.app.DB.Accounts().UserByEmail(context.Background(), "lerato@example.com")
	page := boss.get("/admin/users")
	if !strings.Contains(page.body, `<option value="staff"`) {
		t.Fatal("the accounts page does not offer the staff role")
	}
	v := boss.submit("/admin/users", "/admin/users/"+strconv.FormatInt(u.ID, 10)+"/role", url.Values{"role": {"staff"}})
	wantAt(t, v, "/admin/users")
	if got, _ := s.app.DB.Accounts().UserByEmail(context.Background(), "lerato@example.com"); got.Role != account.RoleStaff {
		t.Fatalf("role is %s", got.Role)
	}
	if v := b.get("/admin/orders"); v.url.Path != "/account/signin" {
		t.Errorf("the old session still works after the role change: %d at %s", v.status, v.url)
	}
	wantAt(t, b.signIn("lerato@example.com", pw), "/account")
	if v := b.get("/admin/orders"); v.status != 200 {
		t.Errorf("staff after signing in again: %d", v.status)
	}
	if v := boss.submit("/admin/users", "/admin/users/"+strconv.FormatInt(u.ID, 10)+"/role", url.Values{"role": {"owner"}}); !v.refused() || !strings.Contains(v.body, "The role is not valid") {
		t.Errorf("unknown role: %d", v.status)
	}
}

// TestAdminRestock: the refund form's restock box puts the order's units
// back (a ledger row), unticked it leaves stock alone; the cancel form's
// box is ticked by default and, unticked, keeps the units sold.
func TestAdminRestock(t *testing.T) {
	s := newOffice(t)
	_, v := s.product(t, 5, 5000)
	boss := s.owner(t)
	inv := "/admin/inventory/" + strconv.FormatInt(v, 10)
	level := func() int {
		l, err := s.app.Inventory.Level(context.Background(), v)
		if err != nil {
			t.Fatal(err)
		}
		return l.Stock
	}
	o := s.buy(t, v, 2)
	page := "/admin/orders/" + o.PublicID
	form := boss.get(page)
	for _, x := range []string{`name="restock" value="yes"`, "Put the order’s items back in stock", `id="cancel-restock" type="checkbox" name="restock" value="yes" checked`} {
		if !strings.Contains(form.body, x) {
			t.Errorf("the order page lacks %s", x)
		}
	}
	refund := func(amount, restock string) visit {
		p := boss.get(page)
		f := url.Values{"amount": {amount}, "reference": {html.UnescapeString(reReference.FindStringSubmatch(p.body)[1])}}
		if restock != "" {
			f.Set("restock", restock)
		}
		return boss.submit(page, page+"/refunds", f)
	}
	wantAt(t, refund("1.00", ""), page)
	if level() != 3 {
		t.Fatalf("a refund without restock changed stock: %d", level())
	}
	wantAt(t, refund("10.00", "yes"), page)
	if level() != 5 {
		t.Fatalf("after a refund with restock: %d, want 5", level())
	}
	wantPage(t, boss.get(inv), 200, "In stock now: 5", "Restocked", "+2")

	// Cancelled with the box unticked: the units stay sold.
	c := s.buy(t, v, 1)
	cpage := "/admin/orders/" + c.PublicID
	wantAt(t, boss.submit(cpage, cpage+"/cancel", url.Values{"confirm": {"yes"}, "restock_offered": {"yes"}}), cpage)
	if level() != 4 || s.order(t, c.PublicID).Status != "cancelled" {
		t.Fatalf("cancelled without restock: stock %d", level())
	}
	wantPage(t, boss.get(cpage), 200, "not restocked")
	if d, _, err := s.app.Inventory.Verify(context.Background()); err != nil || len(d) != 0 {
		t.Fatalf("inventory verify: %+v %v", d, err)
	}
}
