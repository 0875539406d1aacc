package account_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/ocean"
)

// TestAreaOf: the one table of route classes, for the admin pages and the
// admin API alike; a prefix nobody classified is for admins only.
func TestAreaOf(t *testing.T) {
	for path, want := range map[string]account.Area{
		"/admin":                            account.AreaDashboard,
		"/admin/":                           account.AreaDashboard,
		"/admin/products/7/images":          account.AreaCatalog,
		"/api/v1/admin/products":            account.AreaCatalog,
		"/admin/catalog-audit":              account.AreaCatalog,
		"/api/v1/admin/categories/3":        account.AreaCatalog,
		"/admin/orders/ORD-1/refunds":       account.AreaOrders,
		"/api/v1/admin/discounts":           account.AreaOrders,
		"/admin/inventory/verify":           account.AreaInventory,
		"/api/v1/admin/settings":            account.AreaSettings,
		"/api/v1/admin/shipping-zones/2":    account.AreaSettings,
		"/api/v1/admin/shipping-methods":    account.AreaSettings,
		"/api/v1/admin/tax-rates/ZA":        account.AreaSettings,
		"/admin/users/4/role":               account.AreaUsers,
		"/api/v1/admin/audit":               account.AreaUsers,
		"/api/v1/admin/api-keys":            account.AreaKeys,
		"/admin/errors/9":                   account.AreaOperations,
		"/admin/backups":                    account.AreaOperations,
		"/admin/locks":                      account.AreaOperations,
		"/admin/something-new":              account.AreaRestricted,
		"/api/v1/admin/something-new/thing": account.AreaRestricted,
	} {
		if got, ok := account.AreaOf(path); !ok || got != want {
			t.Errorf("AreaOf(%s) = %q %v, want %q", path, got, ok, want)
		}
	}
	for _, p := range []string{"/", "/administrator", "/api/v1/products", "/api/v1/administer", "/account/admin"} {
		if a, ok := account.AreaOf(p); ok {
			t.Errorf("%s is in the back office (%s)", p, a)
		}
	}
}

// TestCan: admins everything, staff their four areas, customers and
// erased accounts nothing.
func TestCan(t *testing.T) {
	now := time.Now()
	admin := &account.User{Role: account.RoleAdmin}
	staff := &account.User{Role: account.RoleStaff}
	cust := &account.User{Role: account.RoleCustomer}
	gone := &account.User{Role: account.RoleStaff, ErasedAt: &now}
	all := []account.Area{account.AreaDashboard, account.AreaCatalog, account.AreaOrders, account.AreaInventory,
		account.AreaSettings, account.AreaUsers, account.AreaKeys, account.AreaOperations, account.AreaRestricted}
	for i, a := range all {
		if !admin.Can(a) {
			t.Errorf("admin cannot use %s", a)
		}
		if staff.Can(a) != (i < 4) {
			t.Errorf("staff on %s: %v", a, staff.Can(a))
		}
		if cust.Can(a) || gone.Can(a) || (*account.User)(nil).Can(a) {
			t.Errorf("a customer, an erased or no account can use %s", a)
		}
	}
	if !staff.IsStaff() || !admin.IsStaff() || cust.IsStaff() || gone.IsStaff() || staff.IsAdmin() {
		t.Error("IsStaff/IsAdmin")
	}
	if !staff.CanUse("/admin/orders") || staff.CanUse("/admin/users") || admin.CanUse("/products") {
		t.Error("CanUse")
	}
	err := account.Forbidden(staff, account.AreaSettings)
	if ocean.ErrorCode(err) != ocean.EFORBIDDEN || !strings.Contains(ocean.ErrorMessage(err), "the shop's settings needs an admin account") ||
		!strings.Contains(ocean.ErrorMessage(err), "ask one of the shop's admins") {
		t.Errorf("Forbidden: %v", err)
	}
	if m := ocean.ErrorMessage(account.Forbidden(cust, account.AreaRestricted)); m != "This part of the admin needs an admin account." {
		t.Errorf("Forbidden for a customer: %q", m)
	}
	if got := account.Roles(); len(got) != 3 || got[1] != account.RoleStaff {
		t.Errorf("Roles: %v", got)
	}
}

// TestStaffRole: the staff role is granted by email (ocean users
// set-role), signs the account out, counts as no admin, and is refused
// for unknown addresses and roles.
func TestStaffRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, _, err := f.svc.EnsureAdmin(f.ctx, "boss@example.com", "a long admin passphrase"); err != nil {
		t.Fatal(err)
	}
	u := f.register("sipho@example.com")
	cookie, _, _ := f.svc.StartSession(f.ctx, u)
	var out bytes.Buffer
	if err := f.svc.SetRoleByEmail(f.ctx, "Sipho@Example.com", account.RoleStaff, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "sipho@example.com is now staff (signed out everywhere)\n" {
		t.Errorf("output: %q", out.String())
	}
	if _, _, err := f.svc.SessionUser(f.ctx, cookie); ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
		t.Fatalf("the old session survived the role change: %v", err)
	}
	got, err := f.svc.User(f.ctx, u.ID)
	if err != nil || got.Role != account.RoleStaff || got.IsAdmin() {
		t.Fatalf("%+v %v", got, err)
	}
	code(t, f.svc.SetRoleByEmail(f.ctx, "nobody@example.com", account.RoleStaff, &out), ocean.ENOTFOUND)
	code(t, f.svc.SetRoleByEmail(f.ctx, "not an address", account.RoleStaff, &out), ocean.EINVALID)
	code(t, f.svc.SetRoleByEmail(f.ctx, "sipho@example.com", "owner", &out), ocean.EINVALID)
	// Staff do not keep the shop's last admin: demoting the only admin to
	// staff is refused like demoting them to customer.
	boss, _ := f.db.Accounts().UserByEmail(f.ctx, "boss@example.com")
	code(t, f.svc.SetRole(f.ctx, boss.ID, account.RoleStaff, account.Meta{}), ocean.ECONFLICT)
}
