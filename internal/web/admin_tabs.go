package web

import "github.com/oceanshop/ocean/internal/account"

// adminTab is one tab of the back office's navigation.
type adminTab struct {
	Key   string // what a page passes to "admin-tabs" to mark it current
	Path  string
	Label string
}

// tabsData is the data of the "admin-tabs" partial: the current tab and
// who is looking.
type tabsData struct {
	Current string
	User    *account.User
}

// adminTabs lists the tabs the shop has (a page exists only when its part
// is wired) that u may use: the route table (account.AreaOf) that answers a
// forbidden page with 403 also decides which tabs a role sees, so staff are
// never shown a tab that would refuse them.
func (w *Web) adminTabs(u *account.User) []adminTab {
	all := []struct {
		adminTab
		on bool
	}{
		{adminTab{"admin", "/admin", "Overview"}, true},
		{adminTab{"orders", "/admin/orders", "Orders"}, w.office != nil},
		{adminTab{"inventory", "/admin/inventory", "Inventory"}, w.office != nil},
		{adminTab{"discounts", "/admin/discounts", "Discounts"}, w.office != nil},
		{adminTab{"products", "/admin/products", "Products"}, true},
		{adminTab{"categories", "/admin/categories", "Categories"}, true},
		{adminTab{"catalog-audit", "/admin/catalog-audit", "Catalog changes"}, true},
		{adminTab{"settings", "/admin/settings", "Settings"}, w.checkout != nil},
		{adminTab{"users", "/admin/users", "Accounts"}, true},
		{adminTab{"audit", "/admin/audit", "Security log"}, true},
		{adminTab{"locks", "/admin/locks", "Locks"}, w.locks != nil},
		{adminTab{"errors", "/admin/errors", "Errors"}, w.errors != nil},
		{adminTab{"vitals", "/admin/vitals", "Web Vitals"}, w.errors != nil && w.vitals != nil},
		{adminTab{"mailbox", "/admin/mailbox", "Mailbox"}, w.mailbox != nil},
	}
	out := make([]adminTab, 0, len(all))
	for _, t := range all {
		if t.on && u.CanUse(t.Path) {
			out = append(out, t.adminTab)
		}
	}
	return out
}
