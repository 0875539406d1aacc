package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
)

// Sizes of the inventory pages.
const (
	inventoryProducts = 10  // products a search shows with their variants
	inventoryHistory  = 100 // ledger rows the variant page shows
)

// ledgerKinds are the ledger's kinds in words.
var ledgerKinds = map[string]string{
	inventory.Initial: "Initial stock",
	inventory.Sale:    "Sold",
	inventory.Release: "Released (payment failed or expired)",
	inventory.Cancel:  "Order cancelled",
	inventory.Restock: "Restocked",
	inventory.Adjust:  "Adjustment",
}

// stockVariant is one variant of a product found, with its stock now.
type stockVariant struct {
	ID      int64
	SKU     string
	Options string
	Stock   int
}

type stockProduct struct {
	ID         int64
	Name, Slug string
	Variants   []stockVariant
}

type adminInventoryData struct {
	layout
	Q        string
	Searched bool
	Products []stockProduct
	Problem  string // the search could not run (bad text)
}

// adminInventory finds variants: by product slug, by words of the product
// name, or by variant number (which goes straight to the variant).
func (w *Web) adminInventory(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := adminInventoryData{Q: q, Searched: q != ""}
	status := http.StatusOK
	if q != "" {
		if id, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64); err == nil && id > 0 {
			http.Redirect(rw, r, "/admin/inventory/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
			return
		}
		var slugs []string
		if p, err := w.svc.Product(ctx, strings.ToLower(q)); err == nil {
			slugs = append(slugs, p.Slug)
		} else if ocean.ErrorCode(err) != ocean.ENOTFOUND {
			w.fail(rw, r, err)
			return
		} else if !utf8.ValidString(q) || utf8.RuneCountInString(q) > catalog.MaxQueryRunes {
			d.Problem = "Search with fewer words: at most " + strconv.Itoa(catalog.MaxQueryRunes) + " characters."
			status = http.StatusBadRequest
		} else {
			sq, err := catalog.ParseQuery(url.Values{"q": {q}, "limit": {strconv.Itoa(inventoryProducts)}})
			if err != nil {
				w.fail(rw, r, err)
				return
			}
			page, err := w.svc.Search(ctx, sq)
			if err != nil {
				w.fail(rw, r, err)
				return
			}
			for _, c := range page.Items {
				slugs = append(slugs, c.Slug)
			}
		}
		for _, slug := range slugs {
			p, err := w.svc.Product(ctx, slug)
			if err != nil {
				w.fail(rw, r, err)
				return
			}
			sp := stockProduct{ID: p.ID, Name: p.Name, Slug: p.Slug}
			for _, v := range p.Variants {
				// The catalog's copy may be cached: read the level itself.
				l, err := w.office.inventory.Level(ctx, v.ID)
				if err != nil {
					w.fail(rw, r, err)
					return
				}
				sp.Variants = append(sp.Variants, stockVariant{ID: v.ID, SKU: v.SKU, Options: optionText(v.Options), Stock: l.Stock})
			}
			d.Products = append(d.Products, sp)
		}
	}
	d.layout = w.pageLayout(rw, r, "Inventory")
	w.renderPrivate(rw, r, status, "admin_inventory", d)
}

// optionText is a variant's options in words: "colour: Blue, size: M".
func optionText(opts map[string]string) string {
	names := slices.Sorted(maps.Keys(opts))
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + ": " + opts[k]
	}
	return strings.Join(parts, ", ")
}

// ledgerRow is one ledger entry in words.
type ledgerRow struct {
	inventory.Entry
	KindLabel string
	Order     string // the order number, "" for none
	Change    string // "+5", "-2"
}

type adminVariantData struct {
	layout
	Done    string
	Level   inventory.Level
	History []ledgerRow
	Form    formState
}

func variantParam(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("variant"), 10, 64)
	if err != nil || id < 1 {
		return -1
	}
	return id
}

func (w *Web) adminVariant(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	w.renderVariant(rw, r, http.StatusOK, newForm(), officeDoneMessage(r))
}

func (w *Web) renderVariant(rw http.ResponseWriter, r *http.Request, status int, form formState, done string) {
	ctx := r.Context()
	id := variantParam(r)
	if id < 1 {
		w.notFound(rw, r)
		return
	}
	l, err := w.office.inventory.Level(ctx, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	h, err := w.office.inventory.History(ctx, id, inventoryHistory)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := adminVariantData{Done: done, Level: l, Form: form}
	if w.prg(rw, r, status, "admin_inventory_variant", "/admin/inventory/"+strconv.FormatInt(id, 10), d) {
		return
	}
	if w.restore(rw, r, "admin_inventory_variant", &d) {
		d.Done = ""
	}
	for _, e := range h {
		row := ledgerRow{Entry: e, KindLabel: ledgerKinds[e.Kind], Change: strconv.Itoa(e.Delta)}
		if row.KindLabel == "" {
			row.KindLabel = e.Kind
		}
		if e.Delta > 0 {
			row.Change = "+" + row.Change
		}
		if e.OrderID > 0 {
			row.Order = order.FormatNumber(e.OrderNum)
			if row.Order == "" {
				row.Order = "Checkout not paid" // its units went back when the payment failed
			}
		}
		d.History = append(d.History, row)
	}
	d.layout = w.pageLayout(rw, r, "Stock of "+l.SKU)
	w.renderPrivate(rw, r, status, "admin_inventory_variant", d)
}

func (w *Web) adminAdjust(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return
	}
	id := variantParam(r)
	if id < 1 {
		w.notFound(rw, r)
		return
	}
	typed := strings.TrimSpace(r.PostForm.Get("delta"))
	st := newForm("delta", typed, "reason", r.PostForm.Get("reason"))
	delta, err := strconv.Atoi(strings.TrimPrefix(typed, "+"))
	if err != nil && typed != "" {
		st.Errors["delta"] = "Enter a whole number: 5 adds five units, -2 takes two away."
		st.Message = "The stock was not changed."
		w.renderVariant(rw, r, http.StatusBadRequest, st, "")
		return
	}
	if _, err := w.office.inventory.Adjust(r.Context(), id, delta, st.Values["reason"], staffActor(s.user)); err != nil {
		status, ok := w.formError(rw, r, err, &st, nil)
		if !ok {
			return
		}
		st.Message = "The stock was not changed. " + st.Message
		for k, msg := range st.Errors {
			st.Errors[k] = sentenceOrPredicate(msg)
		}
		w.renderVariant(rw, r, status, st, "")
		return
	}
	http.Redirect(rw, r, "/admin/inventory/"+strconv.FormatInt(id, 10)+"?done=adjusted", http.StatusSeeOther)
}

type adminVerifyData struct {
	layout
	Checked int
	Drift   []driftRow
	At      time.Time
}

// driftRow is a variant whose stock is not its ledger's sum.
type driftRow struct {
	inventory.Drift
	Difference string // stock − ledger, signed
}

// adminInventoryVerify compares every variant's stock with the sum of its
// ledger. It only reads, so it is a GET: the button is a link.
func (w *Web) adminInventoryVerify(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	drift, n, err := w.office.inventory.Verify(r.Context())
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := adminVerifyData{Checked: n, At: time.Now().UTC()}
	for _, x := range drift {
		diff := strconv.Itoa(x.Stock - x.Ledger)
		if x.Stock > x.Ledger {
			diff = "+" + diff
		}
		d.Drift = append(d.Drift, driftRow{Drift: x, Difference: diff})
	}
	d.layout = w.pageLayout(rw, r, "Ledger check")
	w.renderPrivate(rw, r, http.StatusOK, "admin_inventory_verify", d)
}
