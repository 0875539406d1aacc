package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

func init() {
	// How the error page names the cart's form fields.
	fieldLabels["variant_id"] = "Product choice"
	fieldLabels["quantity"] = "Quantity"
	fieldLabels["code"] = "Discount code"
}

// cartDone are the confirmations the cart page shows after a change
// (?done=key): fixed texts, nothing echoed from the address.
var cartDone = map[string]string{
	"added":        "Added to your cart.",
	"updated":      "The quantity was changed.",
	"removed":      "The item was removed from your cart.",
	"code":         "The discount code was applied.",
	"code-removed": "The discount code was removed.",
}

// lineView is one cart line as the pages show it.
type lineView struct {
	ID          int64
	Name, Slug  string
	Options     string // "colour: White, size: M"
	Quantity    int
	Unit, Total ocean.Money
	Notice      string // "Only 2 left", "Sold out"
	Level       string // the notice's tone: low or out
	// The quantity field after a refused change: what was typed, and why.
	Value, Error string
}

// totalsView is what the totals box shows.
type totalsView struct {
	pricing.Totals
	DiscountCode  string
	ShippingKnown bool   // a method is chosen; before that "Calculated at checkout"
	ShippingName  string // the chosen method
	TaxNotice     string // with tax included but none priced yet: the shop's notice
}

// cartData is the cart page.
type cartData struct {
	layout
	Done   string
	Form   formState // the line forms: Message above the list, Errors["quantity-ID"]
	Code   formState // the discount form
	Lines  []lineView
	Totals totalsView
	// Discount is the applied code; DiscountIssue why a stored code does
	// not apply now.
	Discount, DiscountIssue string
	// Blocked says why checkout cannot start (a line over stock), "" if it can.
	Blocked string
}

func viewLines(v *cart.View, form formState) []lineView {
	if v == nil {
		return nil
	}
	out := make([]lineView, 0, len(v.Lines))
	for _, l := range v.Lines {
		lv := lineView{ID: l.ID, Name: l.Variant.ProductName, Slug: l.Variant.ProductSlug, Options: cart.OptionText(l.Variant.Options),
			Quantity: l.Quantity, Unit: l.UnitPrice, Total: l.LineTotal, Notice: l.Notice, Value: strconv.Itoa(l.Quantity)}
		switch {
		case l.Available <= 0:
			lv.Level = "out"
		case l.Quantity > l.Available || l.Notice != "":
			lv.Level = "low"
		}
		key := "quantity-" + strconv.FormatInt(l.ID, 10)
		if s, ok := form.Values[key]; ok {
			lv.Value = s
		}
		lv.Error = form.Errors[key]
		if lv.Error != "" {
			lv.Error = fieldSentence("Quantity", lv.Error)
		}
		out = append(out, lv)
	}
	return out
}

func viewTotals(v *cart.View, t pricing.Totals) totalsView {
	tv := totalsView{Totals: t}
	if v != nil && v.Discount != nil {
		tv.DiscountCode = v.Discount.Code
	}
	return tv
}

// shopLayout is the layout of a cart, checkout or order page: private, with
// the forms' CSRF token and the cart count already known.
func (w *Web) shopLayout(rw http.ResponseWriter, r *http.Request, title string, count int) layout {
	var tree *catalog.Tree
	if w.svc != nil {
		tree, _ = w.svc.Categories(r.Context())
	}
	l := w.layoutCount(r, title, tree, count)
	l.CSRF = csrfToken(rw, r)
	return l
}

func cartUnits(v *cart.View) int {
	if v == nil {
		return 0
	}
	return v.Count
}

// renderCart shows the cart v (nil: empty) with form states after a
// refused change, and status.
func (w *Web) renderCart(rw http.ResponseWriter, r *http.Request, v *cart.View, status int, lines, code formState) {
	if lines.Values == nil {
		lines = newForm()
	}
	if code.Values == nil {
		code = newForm()
	}
	d := cartData{Form: lines, Code: code}
	if w.prg(rw, r, status, "cart", "/cart", d) {
		return
	}
	w.restore(rw, r, "cart", &d)
	d.Lines = viewLines(v, d.Form)
	if v != nil {
		d.Totals = viewTotals(v, v.Totals)
		d.DiscountIssue = v.DiscountIssue
		if v.Discount != nil {
			d.Discount = v.Discount.Code
		} else if v.DiscountCode != "" {
			d.Discount = v.DiscountCode
		}
		for _, l := range v.Lines {
			if l.Quantity > l.Available {
				d.Blocked = "Lower the quantity or remove what is sold out to check out."
			}
		}
		if d.DiscountIssue != "" && d.Blocked == "" {
			d.Blocked = "Remove the discount code that no longer applies to check out."
		}
	}
	d.layout = w.shopLayout(rw, r, "Your cart", cartUnits(v))
	d.Totals.TaxNotice = d.Notices.Tax
	if status == http.StatusOK && d.Form.Message == "" && d.Code.Message == "" {
		d.Done = cartDone[r.URL.Query().Get("done")]
	}
	w.renderPrivate(rw, r, status, "cart", d)
}

func (w *Web) cartPage(rw http.ResponseWriter, r *http.Request) {
	v, err := w.findCart(rw, r)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.renderCart(rw, r, v, http.StatusOK, formState{}, formState{})
}

// pickVariant returns the variant of p that the posted options name: every
// option of the product must be chosen. ok is false when that combination
// does not exist.
func pickVariant(p *catalog.Product, f map[string][]string) (int64, bool) {
	get := func(k string) string {
		if vs := f[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	for _, v := range p.Variants {
		match := true
		for _, o := range p.Options {
			if get(o.Name) == "" || v.Options[o.Name] != get(o.Name) {
				match = false
				break
			}
		}
		if match {
			return v.ID, true
		}
	}
	return 0, false
}

// cartAdd puts a product in the cart: from the product page (product slug
// and its chosen options) or by variant id. The cart is created on the
// first add; its cookie is set only once something is in it.
func (w *Web) cartAdd(rw http.ResponseWriter, r *http.Request) {
	if !w.checkForm(rw, r) {
		return
	}
	ctx := r.Context()
	f := r.PostForm
	rawQty := strings.TrimSpace(f.Get("quantity"))
	qty, err := strconv.Atoi(rawQty)
	if err != nil {
		qty = 0 // not a number: the service's range message says what is wanted
	}
	var p *catalog.Product
	var variantID int64
	if slug := f.Get("product"); slug != "" {
		if p, err = w.svc.Product(ctx, slug); err != nil {
			w.fail(rw, r, err)
			return
		}
		var ok bool
		if variantID, ok = pickVariant(p, f); !ok {
			st := newForm("quantity", rawQty)
			st.Message = "We don’t have that combination. Please choose another."
			w.productPage(rw, r, p, f, http.StatusUnprocessableEntity, st)
			return
		}
	} else if variantID, err = cart.ParseVariantID(f.Get("variant_id")); err != nil {
		w.fail(rw, r, err)
		return
	}
	uid := userID(r)
	v, err := w.findCart(rw, r)
	if err == nil && v == nil {
		v, err = w.carts.Create(ctx, uid)
	}
	if err == nil {
		_, err = w.carts.Add(ctx, v.ID, uid, variantID, qty)
	}
	if err != nil {
		if p == nil {
			w.fail(rw, r, err)
			return
		}
		st := newForm("quantity", rawQty)
		if status, ok := w.formError(rw, r, err, &st, nil); ok {
			w.productPage(rw, r, p, f, status, st)
		}
		return
	}
	setCartCookie(rw, v.ID)
	http.Redirect(rw, r, "/cart?done=added", http.StatusSeeOther)
}

// cartForm is the start of every form on the cart page: a genuine form and
// the shopper's cart. Without a cart there is nothing to change.
func (w *Web) cartForm(rw http.ResponseWriter, r *http.Request) *cart.View {
	if !w.checkForm(rw, r) {
		return nil
	}
	v, err := w.findCart(rw, r)
	if err != nil {
		w.fail(rw, r, err)
		return nil
	}
	if v == nil {
		w.fail(rw, r, ocean.Errorf(ocean.ENOTFOUND, "Your cart is empty, so there is nothing to change."))
		return nil
	}
	return v
}

func lineID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// cartChanged answers a change to the cart: on success back to the cart
// page with a confirmation; a refusal shows the unchanged cart with the
// reason next to the form that caused it.
func (w *Web) cartChanged(rw http.ResponseWriter, r *http.Request, v *cart.View, err error, done string, st *formState, isCode bool) {
	if err == nil {
		http.Redirect(rw, r, "/cart?done="+done, http.StatusSeeOther)
		return
	}
	status, ok := w.formError(rw, r, err, st, map[string]string{})
	if !ok {
		return
	}
	// Show the cart as it now is (unchanged by the refusal).
	if fresh, ferr := w.findCart(rw, r); ferr == nil {
		v = fresh
	}
	if isCode {
		w.renderCart(rw, r, v, status, formState{}, *st)
	} else {
		w.renderCart(rw, r, v, status, *st, formState{})
	}
}

func (w *Web) cartUpdate(rw http.ResponseWriter, r *http.Request) {
	v := w.cartForm(rw, r)
	if v == nil {
		return
	}
	id, ok := lineID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	raw := strings.TrimSpace(r.PostForm.Get("quantity"))
	qty, err := strconv.Atoi(raw)
	if err != nil {
		qty = 0
	}
	key := "quantity-" + strconv.FormatInt(id, 10)
	_, err = w.carts.SetQuantity(r.Context(), v.ID, userID(r), id, qty)
	st := newForm(key, raw)
	if err != nil {
		// The service names the field "quantity"; on the page it is this line's.
		for _, fe := range ocean.ErrorFields(err) {
			if fe.Field == "quantity" {
				st.Errors[key] = fe.Message
			}
		}
	}
	w.cartChanged(rw, r, v, err, "updated", &st, false)
}

func (w *Web) cartRemove(rw http.ResponseWriter, r *http.Request) {
	v := w.cartForm(rw, r)
	if v == nil {
		return
	}
	id, ok := lineID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	_, err := w.carts.Remove(r.Context(), v.ID, userID(r), id)
	st := newForm()
	w.cartChanged(rw, r, v, err, "removed", &st, false)
}

func (w *Web) discountApply(rw http.ResponseWriter, r *http.Request) {
	v := w.cartForm(rw, r)
	if v == nil {
		return
	}
	code := r.PostForm.Get("code")
	_, err := w.carts.ApplyDiscount(r.Context(), v.ID, userID(r), code)
	st := newForm("code", strings.TrimSpace(code))
	if err != nil {
		// The service's own words ("The code X has expired."), next to the field.
		st.Errors["code"] = ocean.ErrorMessage(err)
	}
	w.cartChanged(rw, r, v, err, "code", &st, true)
}

func (w *Web) discountRemove(rw http.ResponseWriter, r *http.Request) {
	v := w.cartForm(rw, r)
	if v == nil {
		return
	}
	_, err := w.carts.RemoveDiscount(r.Context(), v.ID, userID(r))
	st := newForm()
	w.cartChanged(rw, r, v, err, "code-removed", &st, true)
}
