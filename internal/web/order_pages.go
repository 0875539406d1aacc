package web

import (
	"net/http"
	"strconv"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
)

// shopperOrdersPage is how many orders the account's orders page lists at once.
const shopperOrdersPage = 20

// orderItemView is one line of an order.
type orderItemView struct {
	Name, Slug, Options string
	Quantity            int
	Unit, Total         ocean.Money
}

// orderView is an order as its page shows it.
type orderView struct {
	PublicID, Number string
	Status           order.Status
	StatusLabel      string
	Placed           string // "2 January 2026"
	Items            []orderItemView
	Totals           totalsView
	Address          ocean.Address
	Country          string
	Email            string
	Tracking         string
	Card             string
	Paid             bool // paid, shipped or delivered: a confirmed order
	Failed           bool // a payment attempt that did not go through
	// Refunded is the money returned so far (zero: none), Net what the
	// order costs the shopper after it.
	Refunded, Net ocean.Money
}

func viewOrder(o *order.Order) orderView {
	ov := orderView{PublicID: o.PublicID, Number: o.Number(), Status: o.Status, StatusLabel: o.Status.Label(),
		Placed: o.CreatedAt.UTC().Format(dateFormat), Address: o.Address, Country: countryName(o.Address.Country),
		Email: o.Email, Tracking: o.Tracking, Card: o.Card, Paid: o.PaidAt != nil}
	ov.Address.Country = ov.Country
	ov.Failed = o.PaidAt == nil && o.Status == order.Cancelled
	cur := o.Totals.Total.Currency
	ov.Refunded = ocean.Money{Amount: o.Refunded, Currency: cur}
	ov.Net = ocean.Money{Amount: o.Totals.Total.Amount - o.Refunded, Currency: cur}
	ov.Totals = totalsView{Totals: o.Totals, DiscountCode: o.DiscountCode, ShippingKnown: true, ShippingName: o.ShippingName}
	for _, it := range o.Items {
		ov.Items = append(ov.Items, orderItemView{Name: it.ProductName, Slug: it.ProductSlug, Options: cart.OptionText(it.Options),
			Quantity: it.Quantity, Unit: it.UnitPrice, Total: it.LineTotal})
	}
	return ov
}

type orderData struct {
	layout
	Done  string
	Order orderView
	Guest bool
}

// orderPage is an order's page and, just after checkout, its
// confirmation. A guest reaches it by the order's unguessable id; a
// shopper's order only its shopper (checkout.Service.OrderFor), anyone
// else gets the ordinary 404.
func (w *Web) orderPage(rw http.ResponseWriter, r *http.Request) {
	o, err := w.checkout.OrderFor(r.Context(), r.PathValue("id"), userID(r))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := orderData{Order: viewOrder(o), Guest: o.UserID == 0}
	if r.URL.Query().Get("done") == "placed" && d.Order.Paid {
		d.Done = "Thank you! Your order " + d.Order.Number + " is confirmed."
	}
	d.layout = w.shopLayout(rw, r, "Order "+d.Order.Number, -1)
	// The address holds the order's secret id: keep it out of Referer.
	rw.Header().Set("Referrer-Policy", "no-referrer")
	w.renderPrivate(rw, r, http.StatusOK, "order", d)
}

// orderSummary is one row of the shopper's orders list.
type orderSummary struct {
	PublicID, Number, Placed string
	StatusLabel              string
	Status                   order.Status
	Units                    int
	Total                    ocean.Money
}

type ordersData struct {
	layout
	Orders []orderSummary
	Older  string // the next page's address, "" at the end
}

// ordersPage lists the signed-in shopper's orders, newest first. Payment
// attempts that never went through (declined cards) are not orders to the
// shopper and are left out.
func (w *Web) ordersPage(rw http.ResponseWriter, r *http.Request) {
	s := requireUser(rw, r)
	if s == nil {
		return
	}
	d := ordersData{}
	if w.commerceOn() {
		before, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		if err != nil || before < 0 {
			before = 0
		}
		os, err := w.checkout.Orders(r.Context(), order.Filter{UserID: s.user.ID, Limit: shopperOrdersPage, Before: before})
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		for _, o := range os {
			if o.PaidAt == nil && o.Status == order.Cancelled {
				continue
			}
			units := 0
			for _, it := range o.Items {
				units += it.Quantity
			}
			d.Orders = append(d.Orders, orderSummary{PublicID: o.PublicID, Number: o.Number(), Placed: o.CreatedAt.UTC().Format(dateFormat),
				StatusLabel: o.Status.Label(), Status: o.Status, Units: units, Total: o.Totals.Total})
		}
		if len(os) == shopperOrdersPage {
			d.Older = "/account/orders?before=" + strconv.FormatInt(os[len(os)-1].ID, 10)
		}
	}
	d.layout = w.pageLayout(rw, r, "Your orders")
	w.renderPrivate(rw, r, http.StatusOK, "orders", d)
}

const dateFormat = "2 January 2006"
