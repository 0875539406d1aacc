package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

type adminDiscountsData struct {
	layout
	Done      string
	Discounts []discountRow
	Form      formState
	Currency  string
	Kinds     []discountKind
}

// discountRow is one code of the list, in words.
type discountRow struct {
	pricing.Discount
	Kind, Value, MinSubtotal, Usage, PerCustomer string
}

type discountKind struct{ Value, Label, Hint string }

// discountKinds are the kinds the create form offers, in the words of the
// list, for a shop in currency cur.
func discountKinds(cur string) []discountKind {
	return []discountKind{
		{pricing.Percent, "Percentage off", "Value: the percentage, 1 to 100."},
		{pricing.Fixed, "Fixed amount off", "Value: the amount in " + cur + ", such as " + ocean.Money{Amount: 50 * ocean.Unit(cur), Currency: cur}.Plain() + "."},
		{pricing.FreeShipping, "Free shipping", "No value needed."},
	}
}

func kindLabel(k string) string {
	for _, x := range discountKinds("") {
		if x.Value == k {
			return x.Label
		}
	}
	return k
}

func toDiscountRow(d pricing.Discount, currency string) discountRow {
	row := discountRow{Discount: d, Kind: kindLabel(d.Kind), Value: "—", MinSubtotal: "—", PerCustomer: "No limit"}
	cur := d.Currency
	if cur == "" {
		cur = currency
	}
	switch d.Kind {
	case pricing.Percent:
		row.Value = strconv.FormatInt(d.Value, 10) + "%"
	case pricing.Fixed:
		row.Value = ocean.Money{Amount: d.Value, Currency: cur}.String()
	}
	if d.MinSubtotal > 0 {
		row.MinSubtotal = ocean.Money{Amount: d.MinSubtotal, Currency: cur}.String()
	}
	row.Usage = strconv.Itoa(d.Used) + " of no limit"
	if d.UsageLimit != nil {
		row.Usage = strconv.Itoa(d.Used) + " of " + strconv.Itoa(*d.UsageLimit)
	}
	if d.PerCustomerLimit != nil {
		row.PerCustomer = strconv.Itoa(*d.PerCustomerLimit) + " per customer"
	}
	return row
}

func (w *Web) adminDiscounts(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	w.renderDiscounts(rw, r, http.StatusOK, newForm("kind", pricing.Percent), officeDoneMessage(r))
}

func (w *Web) renderDiscounts(rw http.ResponseWriter, r *http.Request, status int, form formState, done string) {
	ds, err := w.office.checkout.Discounts(r.Context())
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	cur := w.shopCurrency(r)
	d := adminDiscountsData{Done: done, Form: form, Currency: cur, Kinds: discountKinds(cur)}
	if w.prg(rw, r, status, "admin_orders_discounts", "/admin/discounts", d) {
		return
	}
	if w.restore(rw, r, "admin_orders_discounts", &d) {
		d.Done = ""
	}
	for _, x := range ds {
		d.Discounts = append(d.Discounts, toDiscountRow(x, cur))
	}
	d.layout = w.pageLayout(rw, r, "Discount codes")
	w.renderPrivate(rw, r, status, "admin_orders_discounts", d)
}

// discountFields are the create form's fields, in order.
var discountFields = []string{"code", "kind", "value", "min_subtotal", "starts_at", "ends_at", "usage_limit", "per_customer_limit"}

func (w *Web) adminDiscountCreate(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil || !w.checkForm(rw, r) {
		return
	}
	st := newForm()
	for _, f := range discountFields {
		st.Values[f] = strings.TrimSpace(r.PostForm.Get(f))
	}
	d, ok := readDiscount(st, w.shopCurrency(r))
	if !ok {
		st.Message = "The discount was not created: please correct the fields marked below."
		w.renderDiscounts(rw, r, http.StatusBadRequest, st, "")
		return
	}
	if err := w.office.checkout.CreateDiscount(r.Context(), d); err != nil {
		status, ok := w.formError(rw, r, err, &st, map[string]string{"currency": "value"})
		if !ok {
			return
		}
		if ocean.ErrorCode(err) == ocean.ECONFLICT && len(st.Errors) == 0 {
			st.Errors["code"] = "is taken: choose another code"
		}
		for k, msg := range st.Errors {
			if k == "ends_at" && strings.Contains(msg, "starts_at") {
				// The form's last day counts in full (readDiscount), so
				// the same day as the first is fine.
				msg = "must not be before the first day"
			}
			st.Errors[k] = sentenceOrPredicate(msg)
		}
		w.renderDiscounts(rw, r, status, st, "")
		return
	}
	http.Redirect(rw, r, "/admin/discounts?done=discount", http.StatusSeeOther)
}

// readDiscount turns the typed form into a discount. It only reads: a
// field that is not a number or a date is an error here, and every rule
// (ranges, limits, the order of the dates) is the service's to check.
func readDiscount(st formState, currency string) (*pricing.Discount, bool) {
	v := st.Values
	d := &pricing.Discount{Code: v["code"], Kind: v["kind"]}
	switch d.Kind {
	case pricing.Percent:
		if v["value"] != "" {
			n, err := strconv.ParseInt(v["value"], 10, 64)
			if err != nil {
				st.Errors["value"] = "Enter a whole percentage, such as 10."
			}
			d.Value = n
		}
	case pricing.Fixed:
		d.Currency = currency
		if v["value"] != "" {
			n, err := ocean.ParseMajor(v["value"], currency)
			if err != nil {
				st.Errors["value"] = "Enter the amount in " + currency + ", such as 50.00."
			}
			d.Value = n
		}
	}
	if s := v["min_subtotal"]; s != "" {
		n, err := ocean.ParseMajor(s, currency)
		if err != nil {
			st.Errors["min_subtotal"] = "Enter the amount in " + currency + ", such as 500.00, or leave it empty."
		}
		d.MinSubtotal = n
	}
	d.StartsAt = readDate(st, "starts_at", 0)
	// The last day counts in full: the code ends when the next day starts.
	d.EndsAt = readDate(st, "ends_at", 24*time.Hour)
	d.UsageLimit = readLimit(st, "usage_limit")
	d.PerCustomerLimit = readLimit(st, "per_customer_limit")
	return d, len(st.Errors) == 0
}

// readDate reads a date field (YYYY-MM-DD, UTC) plus shift; empty is nil.
func readDate(st formState, name string, shift time.Duration) *time.Time {
	s := st.Values[name]
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		st.Errors[name] = "Enter a date as YYYY-MM-DD, or leave it empty."
		return nil
	}
	t = t.Add(shift)
	return &t
}

// readLimit reads a whole-number limit; empty is nil (no limit).
func readLimit(st formState, name string) *int {
	s := st.Values[name]
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		st.Errors[name] = "Enter a whole number, or leave it empty for no limit."
		return nil
	}
	return &n
}

// sentenceOrPredicate capitalizes a service's field message that is not a
// predicate ("must be…", "is…", "cannot…"), so the form shows it as a
// sentence of its own instead of after the field's label.
func sentenceOrPredicate(msg string) string {
	for _, p := range []string{"must ", "is ", "cannot ", "should "} {
		if strings.HasPrefix(msg, p) {
			return msg
		}
	}
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}
