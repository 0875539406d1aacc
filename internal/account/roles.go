package account

import (
	"strings"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Who may use which part of the back office. The admin pages (/admin/…)
// and the admin API (/api/v1/admin/…) share one table of route classes,
// keyed by the first segment of the path after "admin/", so a route added
// under an existing prefix inherits its class, and a route under a prefix
// nobody classified is for admins only.

// Area is a class of back-office routes.
type Area string

// The back office's areas.
const (
	AreaDashboard  Area = "dashboard"  // the admin home and its figures
	AreaCatalog    Area = "catalog"    // products, variants, images, categories, imports, the catalog's history
	AreaOrders     Area = "orders"     // orders, fulfilment, refunds, cancellations, discounts
	AreaInventory  Area = "inventory"  // stock levels, adjustments, the ledger check
	AreaSettings   Area = "settings"   // shop settings, shipping zones and methods, tax rates
	AreaUsers      Area = "users"      // accounts, roles, the security log
	AreaKeys       Area = "keys"       // API keys and tokens
	AreaOperations Area = "operations" // errors, backups, locks, the dev mailbox, web vitals
	// AreaRestricted is every admin route no row of the table names:
	// admins only, until someone decides otherwise.
	AreaRestricted Area = "restricted"
)

// adminRoutes is the table of route classes: the first path segment after
// "/admin/" (or "/api/v1/admin/") that starts with prefix belongs to area.
// Longer prefixes are listed before shorter ones they start with.
var adminRoutes = []struct {
	prefix string
	area   Area
}{
	{"products", AreaCatalog},
	{"categories", AreaCatalog},
	{"catalog", AreaCatalog}, // catalog-audit, catalog imports and exports
	{"images", AreaCatalog},
	{"orders", AreaOrders},
	{"discounts", AreaOrders},
	{"inventory", AreaInventory},
	{"settings", AreaSettings},
	{"shipping", AreaSettings}, // shipping-methods, shipping-zones, …
	{"zones", AreaSettings},
	{"tax", AreaSettings}, // tax-rates, …
	{"countries", AreaSettings},
	{"currency", AreaSettings},
	{"users", AreaUsers},
	{"audit", AreaUsers},
	{"keys", AreaKeys},
	{"api-keys", AreaKeys},
	{"tokens", AreaKeys},
	{"errors", AreaOperations},
	{"backups", AreaOperations},
	{"locks", AreaOperations},
	{"mailbox", AreaOperations},
	{"vitals", AreaOperations},
}

// roleAreas says which areas each role may use. Admins may use all of
// them, AreaRestricted included.
var roleAreas = map[string][]Area{
	RoleStaff: {AreaDashboard, AreaCatalog, AreaOrders, AreaInventory},
}

// AreaOf classifies a back-office path ("/admin/products/7",
// "/api/v1/admin/orders"). ok is false for a path outside the back office.
func AreaOf(path string) (area Area, ok bool) {
	rest, found := strings.CutPrefix(path, "/api/v1")
	if !found {
		rest = path
	}
	rest, found = strings.CutPrefix(rest, "/admin")
	if !found || rest != "" && rest[0] != '/' {
		return "", false
	}
	seg := strings.TrimPrefix(rest, "/")
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg = seg[:i]
	}
	if seg == "" {
		return AreaDashboard, true
	}
	for _, r := range adminRoutes {
		if strings.HasPrefix(seg, r.prefix) {
			return r.area, true
		}
	}
	return AreaRestricted, true
}

// IsStaff reports whether the account works in the back office (an admin
// or staff).
func (u *User) IsStaff() bool {
	return u != nil && u.ErasedAt == nil && (u.Role == RoleAdmin || u.Role == RoleStaff)
}

// Can reports whether the account may use area.
func (u *User) Can(area Area) bool {
	if u == nil || u.ErasedAt != nil {
		return false
	}
	if u.Role == RoleAdmin {
		return true
	}
	for _, a := range roleAreas[u.Role] {
		if a == area {
			return true
		}
	}
	return false
}

// CanUse reports whether the account may use the back-office path (false
// for a path outside the back office).
func (u *User) CanUse(path string) bool {
	area, ok := AreaOf(path)
	return ok && u.Can(area)
}

// Roles lists the roles an admin may give an account.
func Roles() []string { return []string{RoleCustomer, RoleStaff, RoleAdmin} }

// areaNames names the areas in messages.
var areaNames = map[Area]string{
	AreaDashboard: "the dashboard", AreaCatalog: "the catalog", AreaOrders: "orders",
	AreaInventory: "inventory", AreaSettings: "the shop's settings", AreaUsers: "accounts and the security log",
	AreaKeys: "API keys", AreaOperations: "the shop's operations (errors, backups, locks, mailbox)",
	AreaRestricted: "this part of the admin",
}

// Forbidden is the error for a back-office user who may not use area: it
// says what their role may do and whom to ask.
func Forbidden(u *User, area Area) error {
	msg := "Managing " + areaNames[area] + " needs an admin account."
	if area == AreaRestricted {
		msg = "This part of the admin needs an admin account."
	}
	if u != nil && u.Role == RoleStaff {
		msg += " Your staff account can manage the catalog, orders and inventory; ask one of the shop's admins to do this, or to change your role."
	}
	return &ocean.Error{Code: ocean.EFORBIDDEN, Message: msg}
}
