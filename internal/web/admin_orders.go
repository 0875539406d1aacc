package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
)

// backOffice is what the admin's order, inventory and discount pages run
// on (Config.Checkout and Config.Inventory). Every rule lives in these
// services: the handlers here only read forms, call them and show what
// they say.
type backOffice struct {
	checkout  *checkout.Service
	inventory *inventory.Service
}

// registerBackOffice adds the back-office pages; page wraps a handler with
// the session lookup.
func (w *Web) registerBackOffice(mux *http.ServeMux, page func(http.HandlerFunc) http.Handler) {
	for _, rt := range []struct {
		pattern string
		h       http.HandlerFunc
	}{
		{"GET /admin/orders", w.adminOrders},
		{"GET /admin/orders/{id}", w.adminOrder},
		{"POST /admin/orders/{id}/fulfil", w.adminFulfil},
		{"POST /admin/orders/{id}/deliver", w.adminDeliver},
		{"POST /admin/orders/{id}/cancel", w.adminCancel},
		{"POST /admin/orders/{id}/refunds", w.adminRefund},
		{"GET /admin/discounts", w.adminDiscounts},
		{"POST /admin/discounts", w.adminDiscountCreate},
		{"GET /admin/inventory", w.adminInventory},
		{"GET /admin/inventory/verify", w.adminInventoryVerify},
		{"GET /admin/inventory/{variant}", w.adminVariant},
		{"POST /admin/inventory/{variant}/adjustments", w.adminAdjust},
	} {
		mux.Handle(rt.pattern, w.secureOnly(page(rt.h)))
	}
}

// staffActor names the admin in order events and ledger rows, the way the
// API does.
func staffActor(u *account.User) string { return "admin:" + strconv.FormatInt(u.ID, 10) }

// adminOrdersPage is how many orders one page of the list shows.
const adminOrdersPage = 50

// officeDone are the confirmations of the back-office forms (?done=key):
// fixed texts, so nothing from the address is echoed.
var officeDone = map[string]string{
	"fulfilled": "The order is marked shipped with its tracking number.",
	"delivered": "The order is marked delivered.",
	"cancelled": "The order is cancelled: its units are back in stock and its payment is voided or refunded.",
	"refunded":  "The refund was sent to the payment gateway.",
	"adjusted":  "The stock was adjusted and the change is in the ledger.",
	"discount":  "The discount code was created.",
	"product":   "The product is saved.",
	"category":  "The categories are saved.",
}

func officeDoneMessage(r *http.Request) string { return officeDone[r.URL.Query().Get("done")] }

// statusCount is one status of the dashboard and the list's filter.
type statusCount struct {
	Status  order.Status
	Label   string
	Count   int
	Current bool
}

// statusCounts lists every status in lifecycle order with its count.
func statusCounts(counts map[order.Status]int, current order.Status) []statusCount {
	out := make([]statusCount, 0, len(order.Statuses))
	for _, s := range order.Statuses {
		out = append(out, statusCount{Status: s, Label: s.Label(), Count: counts[s], Current: s == current})
	}
	return out
}

// orderCounts is the dashboard's order summary: nil without a back office.
func (w *Web) orderCounts(r *http.Request) ([]statusCount, int, error) {
	if w.office == nil {
		return nil, 0, nil
	}
	counts, err := w.office.checkout.CountByStatus(r.Context())
	if err != nil {
		return nil, 0, err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	return statusCounts(counts, ""), total, nil
}

// parseCursor reads a paging cursor (an id) from the query; absent is 0.
func parseCursor(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, ocean.Invalid("The page address is not valid.", ocean.FieldError{Field: name, Message: "must be a page cursor from a link on the previous page"})
	}
	return id, nil
}

// ---------------------------------------------------------------- list

type adminOrdersData struct {
	layout
	Statuses []statusCount
	All      int // orders of every status
	Status   order.Status
	Orders   []order.Order
	First    string // the first page's address when this is a later page
	Next     string // the next page's address, "" on the last page
}

func (w *Web) adminOrders(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	status := order.Status(r.URL.Query().Get("status"))
	before, err := parseCursor(r, "before")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	os, err := w.office.checkout.Orders(r.Context(), order.Filter{Status: status, Limit: adminOrdersPage + 1, Before: before})
	if err != nil {
		w.fail(rw, r, err) // an unknown status is the service's EINVALID: a 400 page
		return
	}
	counts, err := w.office.checkout.CountByStatus(r.Context())
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := adminOrdersData{Status: status, Statuses: statusCounts(counts, status)}
	for _, n := range counts {
		d.All += n
	}
	q := url.Values{}
	if status != "" {
		q.Set("status", string(status))
	}
	if before > 0 {
		d.First = "/admin/orders"
		if len(q) > 0 {
			d.First += "?" + q.Encode()
		}
	}
	if len(os) > adminOrdersPage {
		os = os[:adminOrdersPage]
		q.Set("before", strconv.FormatInt(os[len(os)-1].ID, 10))
		d.Next = "/admin/orders?" + q.Encode()
	}
	d.Orders = os
	title := "Orders"
	if status != "" {
		title = "Orders: " + strings.ToLower(status.Label())
	}
	d.layout = w.pageLayout(rw, r, title)
	w.renderPrivate(rw, r, http.StatusOK, "admin_orders", d)
}

// ---------------------------------------------------------------- detail

type adminOrderData struct {
	layout
	Done    string
	Error   string // what went wrong with the last action; nothing changed
	Order   *order.Order
	Events  []eventRow
	Refunds []refundRow
	// Attempts are the payment attempts of the order's checkout, oldest
	// first: declines before the payment that went through.
	Attempts []order.Attempt
	Left     ocean.Money // what is left to refund
	Paid     ocean.Money // what was refunded so far
	// The actions the state machine allows now, each with its form.
	CanFulfil, CanDeliver, CanCancel, CanRefund bool
	Fulfil, Cancel, Refund                      formState
}

func (w *Web) adminOrder(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	w.renderOrder(rw, r, r.PathValue("id"), http.StatusOK, nil)
}

// eventRow is a status change as the history shows it: who by name, and
// the note in words (a refund's amount in the order's currency).
type eventRow struct {
	order.Event
	By, Says string
}

// refundRow is a refund with who made it, by name.
type refundRow struct {
	order.Refund
	By string
}

// reRefundNote is the note the store writes with a refund's status change:
// the amount in minor units.
var reRefundNote = regexp.MustCompile(`^refund (\d{1,18})$`)

// historyRows names the people behind an order's events and refunds (an
// admin or staff member's name and email, read once each) and formats the
// money in its notes.
func (w *Web) historyRows(ctx context.Context, ev []order.Event, rf []order.Refund, currency string) ([]eventRow, []refundRow) {
	names := map[string]string{}
	who := func(actor string) string {
		if n, ok := names[actor]; ok {
			return n
		}
		n := actorName(actor)
		if id, ok := strings.CutPrefix(actor, "admin:"); ok {
			if uid, err := strconv.ParseInt(id, 10, 64); err == nil {
				if u, err := w.accounts.User(ctx, uid); err == nil && u.ErasedAt == nil {
					n = u.Name + " <" + u.Email + ">"
				} else if err == nil {
					n = "A former staff member (account " + id + ")"
				}
			}
		}
		names[actor] = n
		return n
	}
	events := make([]eventRow, 0, len(ev))
	for _, e := range ev {
		row := eventRow{Event: e, By: who(e.Actor), Says: e.Note}
		if m := reRefundNote.FindStringSubmatch(e.Note); m != nil {
			if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
				row.Says = "Refund of " + ocean.Money{Amount: n, Currency: currency}.String()
			}
		}
		events = append(events, row)
	}
	refunds := make([]refundRow, 0, len(rf))
	for _, x := range rf {
		refunds = append(refunds, refundRow{Refund: x, By: who(x.Actor)})
	}
	return events, refunds
}

// actorName says who, other than a person of the shop, changed an order.
func actorName(actor string) string {
	switch actor {
	case "":
		return ""
	case "gateway":
		return "Payment gateway"
	case "webhook":
		return "Payment gateway (notification)"
	case "reconciler":
		return "Ocean (unfinished payments)"
	case "customer":
		return "The customer"
	}
	return actor
}

// newReference is a refund form's idempotency reference: made when the
// form renders, so submitting it twice refunds once.
func newReference() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "web_" + hex.EncodeToString(b)
}

// validReference reports whether s is a reference newReference made.
func validReference(s string) bool {
	if len(s) != 28 || !strings.HasPrefix(s, "web_") {
		return false
	}
	_, err := hex.DecodeString(s[4:])
	return err == nil
}

// renderOrder shows the order page. edit, when not nil, fills in the form
// that was sent (with its errors) and sets the status of the answer.
func (w *Web) renderOrder(rw http.ResponseWriter, r *http.Request, publicID string, status int, edit func(d *adminOrderData)) {
	ctx := r.Context()
	o, err := w.office.checkout.OrderByID(ctx, publicID)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	ev, rf, err := w.office.checkout.History(ctx, o.ID)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	attempts, err := w.office.checkout.Attempts(ctx, o)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	cur := o.Totals.Total.Currency
	events, refunds := w.historyRows(ctx, ev, rf, cur)
	d := adminOrderData{Order: o, Events: events, Refunds: refunds, Attempts: attempts,
		Left: ocean.Money{Amount: o.Totals.Total.Amount - o.Refunded, Currency: cur},
		Paid: ocean.Money{Amount: o.Refunded, Currency: cur},
		// Offer only what the state machine allows from here.
		CanFulfil:  o.Allows(order.Fulfilled),
		CanDeliver: o.Allows(order.Delivered),
		CanCancel:  o.Allows(order.Cancelled),
		Fulfil:     newForm(), Cancel: newForm(), Refund: newForm("reference", newReference()),
	}
	d.CanRefund = o.Allows(order.PartiallyRefunded) && d.Left.Amount > 0
	if edit != nil {
		edit(&d)
	} else {
		d.Done = officeDoneMessage(r)
	}
	if w.prg(rw, r, status, "admin_order", "/admin/orders/"+url.PathEscape(publicID), d) {
		return
	}
	if w.restore(rw, r, "admin_order", &d) {
		d.Done = ""
		// A form the order no longer offers (it moved on meanwhile) says
		// why above the page instead.
		for _, f := range []struct {
			st  *formState
			can bool
		}{{&d.Fulfil, d.CanFulfil}, {&d.Cancel, d.CanCancel}, {&d.Refund, d.CanRefund}} {
			if !f.can && f.st.Message != "" && d.Error == "" {
				d.Error = f.st.Message
			}
		}
	}
	d.layout = w.pageLayout(rw, r, "Order "+o.Number())
	w.renderPrivate(rw, r, status, "admin_order", d)
}

// orderAction runs a change of an order sent from its page: the admin is
// checked, the CSRF token too, then act runs. On success the browser goes
// back to the order with a confirmation; a service error a person can act
// on is shown on the order page with its status (409 for a change the
// order's state does not allow, 422 for a bad amount, 503 when the payment
// gateway is down) and nothing changed.
func (w *Web) orderAction(rw http.ResponseWriter, r *http.Request, done string, act func(s *signedIn, id string) (form string, st formState, err error)) {
	s := w.requireAdmin(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return
	}
	id := r.PathValue("id")
	form, st, err := act(s, id)
	if err == nil {
		http.Redirect(rw, r, "/admin/orders/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
		return
	}
	code := ocean.ErrorCode(err)
	switch code {
	case ocean.EINVALID, ocean.EUNPROCESSABLE, ocean.ECONFLICT, ocean.EUNAVAILABLE, ocean.EPAYMENT:
	default:
		w.fail(rw, r, err) // ENOTFOUND: the 404 page; our own failures: 500
		return
	}
	status := httpx.Status(code)
	if st.Values == nil {
		st = newForm()
	}
	st.Message = ocean.ErrorMessage(err)
	for _, fe := range ocean.ErrorFields(err) {
		name := fe.Field
		if name == "tracking_number" {
			name = "tracking"
		}
		if _, ok := st.Errors[name]; !ok {
			st.Errors[name] = fe.Message
		}
	}
	if code == ocean.EUNAVAILABLE {
		rw.Header().Set("Retry-After", "30")
	}
	w.renderOrder(rw, r, id, status, func(d *adminOrderData) {
		// The message goes with the form that was sent; if that form is no
		// longer offered (the order moved on meanwhile, or the request was
		// forced), or it has none, above the page.
		switch {
		case form == "fulfil" && d.CanFulfil:
			d.Fulfil = st
		case form == "cancel" && d.CanCancel:
			d.Cancel = st
		case form == "refund" && d.CanRefund:
			// Keep the reference: nothing was refunded with it, and a
			// second click on the corrected form must still refund once.
			if st.Values["reference"] == "" {
				st.Values["reference"] = d.Refund.Values["reference"]
			}
			d.Refund = st
		default:
			d.Error = st.Message
		}
	})
}

func (w *Web) adminFulfil(rw http.ResponseWriter, r *http.Request) {
	w.orderAction(rw, r, "fulfilled", func(s *signedIn, id string) (string, formState, error) {
		tracking := r.PostForm.Get("tracking")
		st := newForm("tracking", tracking)
		_, err := w.office.checkout.Fulfil(r.Context(), id, tracking, staffActor(s.user))
		return "fulfil", st, err
	})
}

func (w *Web) adminDeliver(rw http.ResponseWriter, r *http.Request) {
	w.orderAction(rw, r, "delivered", func(s *signedIn, id string) (string, formState, error) {
		_, err := w.office.checkout.Deliver(r.Context(), id, staffActor(s.user))
		return "", formState{}, err
	})
}

func (w *Web) adminCancel(rw http.ResponseWriter, r *http.Request) {
	w.orderAction(rw, r, "cancelled", func(s *signedIn, id string) (string, formState, error) {
		if r.PostForm.Get("confirm") != "yes" {
			st := newForm()
			st.Errors["confirm"] = "Tick the box to confirm the cancellation."
			return "cancel", st, &ocean.Error{Code: ocean.EINVALID, Message: "The order was not cancelled: please confirm first."}
		}
		// The form offers restock ticked; a request without the form's
		// field keeps the old default (units return).
		restock := r.PostForm.Get("restock_offered") != "yes" || r.PostForm.Get("restock") == "yes"
		_, err := w.office.checkout.CancelWith(r.Context(), id, staffActor(s.user), restock)
		return "cancel", newForm(), err
	})
}

func (w *Web) adminRefund(rw http.ResponseWriter, r *http.Request) {
	w.orderAction(rw, r, "refunded", func(s *signedIn, id string) (string, formState, error) {
		typed := strings.TrimSpace(r.PostForm.Get("amount"))
		ref := r.PostForm.Get("reference")
		restock := r.PostForm.Get("restock") == "yes"
		st := newForm("amount", typed)
		if restock {
			st.Values["restock"] = "yes"
		}
		if !validReference(ref) {
			// Only a hand-made request lacks the reference the form
			// carries; without it a double submit could refund twice.
			return "refund", st, &ocean.Error{Code: ocean.EINVALID, Message: "The refund form expired: nothing was refunded. Please try again."}
		}
		st.Values["reference"] = ref
		o, err := w.office.checkout.OrderByID(r.Context(), id)
		if err != nil {
			return "refund", st, err
		}
		amount, perr := ocean.ParseMajor(typed, o.Totals.Total.Currency)
		if perr != nil {
			st.Errors["amount"] = "Enter the amount in " + o.Totals.Total.Currency + ", such as 12.50."
			return "refund", st, &ocean.Error{Code: ocean.EINVALID, Message: "Nothing was refunded: the amount is not a number we can read."}
		}
		_, err = w.office.checkout.RefundWith(r.Context(), id, checkout.RefundRequest{Amount: amount, Reference: ref, Actor: staffActor(s.user), RestockAll: restock})
		return "refund", st, err
	})
}
