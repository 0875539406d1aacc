package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/pricing"
	"github.com/oceanshop/ocean/internal/ratelimit"
)

func (a *API) commerceRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/carts", a.createCart, ""},
		{"GET", "/api/v1/carts/{id}", a.getCart, ""},
		{"POST", "/api/v1/carts/{id}/items", a.addItem, ""},
		{"PATCH", "/api/v1/carts/{id}/items/{item_id}", a.patchItem, ""},
		{"DELETE", "/api/v1/carts/{id}/items/{item_id}", a.deleteItem, ""},
		{"POST", "/api/v1/carts/{id}/discount", a.applyDiscount, ""},
		{"DELETE", "/api/v1/carts/{id}/discount", a.removeDiscount, ""},
		{"POST", "/api/v1/carts/{id}/checkout", a.checkout, ratelimit.Checkout},
		{"GET", "/api/v1/shipping-methods", a.shippingMethods, ""},
		{"GET", "/api/v1/orders", a.authed(a.myOrders), ""},
		{"GET", "/api/v1/orders/{id}", a.getOrder, ""},
		{"GET", "/api/v1/admin/orders", a.admin(a.adminOrders), ""},
		{"GET", "/api/v1/admin/orders/{id}", a.admin(a.adminOrder), ""},
		{"POST", "/api/v1/admin/orders/{id}/fulfil", a.admin(a.fulfil), ""},
		{"POST", "/api/v1/admin/orders/{id}/deliver", a.admin(a.deliver), ""},
		{"POST", "/api/v1/admin/orders/{id}/cancel", a.admin(a.cancel), ""},
		{"POST", "/api/v1/admin/orders/{id}/refunds", a.admin(a.refund), ""},
		{"GET", "/api/v1/admin/inventory/{variant_id}", a.admin(a.stockLevel), ""},
		{"POST", "/api/v1/admin/inventory/{variant_id}/adjustments", a.admin(a.adjustStock), ""},
		{"GET", "/api/v1/admin/discounts", a.admin(a.listDiscounts), ""},
		{"POST", "/api/v1/admin/discounts", a.admin(a.createDiscount), ""},
	}
}

// shopper returns the signed-in user when an access token is sent, nil for
// a guest; a token that is sent but not valid is an error, never a silent
// fall back to guest.
func (a *API) shopper(w http.ResponseWriter, r *http.Request) (*account.User, bool) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Header.Get("Authorization") == "" {
		return nil, true
	}
	tok, ok := httpx.Bearer(r)
	if !ok {
		fail(w, r, &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: "Send an access token: Authorization: Bearer <token>."})
		return nil, false
	}
	u, err := a.Accounts.AccessUser(r.Context(), tok)
	if err != nil {
		fail(w, r, err)
		return nil, false
	}
	return u, true
}

func uid(u *account.User) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}

type cartItemJSON struct {
	ID          string            `json:"id"`
	VariantID   string            `json:"variant_id"`
	ProductName string            `json:"product_name"`
	ProductSlug string            `json:"product_slug"`
	SKU         string            `json:"sku"`
	Options     map[string]string `json:"options"`
	Quantity    int               `json:"quantity"`
	UnitPrice   ocean.Money       `json:"unit_price"`
	LineTotal   ocean.Money       `json:"line_total"`
	Available   int               `json:"available"`
	Notice      string            `json:"notice,omitempty"`
}

type discountJSON struct {
	Code  string `json:"code"`
	Kind  string `json:"kind"`
	Value int64  `json:"value"`
}

type cartJSON struct {
	ID            string         `json:"id"`
	Status        string         `json:"status"`
	Currency      string         `json:"currency,omitempty"`
	Items         []cartItemJSON `json:"items"`
	Count         int            `json:"count"`
	Discount      *discountJSON  `json:"discount"`
	DiscountIssue string         `json:"discount_issue,omitempty"`
	Totals        pricing.Totals `json:"totals"`
}

func toCartJSON(v *cart.View) cartJSON {
	out := cartJSON{ID: v.ID, Status: v.Status, Currency: v.Currency, Items: []cartItemJSON{}, Count: v.Count, Totals: v.Totals, DiscountIssue: v.DiscountIssue}
	for _, l := range v.Lines {
		opts := l.Variant.Options
		if opts == nil {
			opts = map[string]string{}
		}
		out.Items = append(out.Items, cartItemJSON{ID: strconv.FormatInt(l.ID, 10), VariantID: strconv.FormatInt(l.VariantID, 10),
			ProductName: l.Variant.ProductName, ProductSlug: l.Variant.ProductSlug, SKU: l.Variant.SKU, Options: opts,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, LineTotal: l.LineTotal, Available: l.Available, Notice: l.Notice})
	}
	if d := v.Discount; d != nil {
		out.Discount = &discountJSON{Code: d.Code, Kind: d.Kind, Value: d.Value}
	}
	return out
}

func (a *API) writeCart(w http.ResponseWriter, r *http.Request, status int, v *cart.View, err error) {
	if err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, status, toCartJSON(v))
}

func (a *API) createCart(w http.ResponseWriter, r *http.Request) {
	u, ok := a.shopper(w, r)
	if !ok {
		return
	}
	v, err := a.Carts.Create(r.Context(), uid(u))
	if err == nil {
		w.Header().Set("Location", "/api/v1/carts/"+v.ID)
	}
	a.writeCart(w, r, http.StatusCreated, v, err)
}

func (a *API) getCart(w http.ResponseWriter, r *http.Request) {
	u, ok := a.shopper(w, r)
	if !ok {
		return
	}
	v, err := a.Carts.Get(r.Context(), r.PathValue("id"), uid(u))
	a.writeCart(w, r, http.StatusOK, v, err)
}

type addItemIn struct {
	VariantID any `json:"variant_id"`
	Quantity  int `json:"quantity"`
}

// variantID accepts the id as the string the catalog gives, or a number.
func variantID(v any) (int64, error) {
	switch x := v.(type) {
	case string:
		return cart.ParseVariantID(x)
	case float64:
		if x == float64(int64(x)) {
			return cart.ParseVariantID(strconv.FormatInt(int64(x), 10))
		}
	case nil:
		return 0, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "Say which product variant to add.", Fields: []ocean.FieldError{{Field: "variant_id", Message: "is required"}}}
	}
	return cart.ParseVariantID("")
}

func (a *API) addItem(w http.ResponseWriter, r *http.Request) {
	u, ok := a.shopper(w, r)
	if !ok {
		return
	}
	var in addItemIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	vid, err := variantID(in.VariantID)
	if err != nil {
		fail(w, r, err)
		return
	}
	v, err := a.Carts.Add(r.Context(), r.PathValue("id"), uid(u), vid, in.Quantity)
	a.writeCart(w, r, http.StatusOK, v, err)
}

func itemID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("item_id"), 10, 64)
	if err != nil || id < 1 {
		return -1
	}
	return id
}

type patchItemIn struct {
	Quantity int `json:"quantity"`
}

func (a *API) patchItem(w http.ResponseWriter, r *http.Request) {
	u, ok := a.shopper(w, r)
	if !ok {
		return
	}
	var in patchItemIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	v, err := a.Carts.SetQuantity(r.Context(), r.PathValue("id"), uid(u), itemID(r), in.Quantity)
	a.writeCart(w, r, http.StatusOK, v, err)
}

func (a *API) deleteItem(w http.ResponseWriter, r *http.Request) {
	u, ok := a.shopper(w, r)
	if !ok {
		return
	}
	v, err := a.Carts.Remove(r.Context(), r.PathValue("id"), uid(u), itemID(r))
	a.writeCart(w, r, http.StatusOK, v, err)
}

type discountIn struct {
	Code string `json:"code"`
}

func (a *API) applyDiscount(w http.ResponseWriter, r *http.Request) {
	u, ok := a.shopper(w, r)
	if !ok {
		return
	}
	var in discountIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	v, err := a.Carts.ApplyDiscount(r.Context(), r.PathValue("id"), uid(u), in.Code)
	a.writeCart(w, r, http.StatusOK, v, err)
}

func (a *API) removeDiscount(w http.ResponseWriter, r *http.Request) {
	u, ok := a.shopper(w, r)
	if !ok {
		return
	}
	v, err := a.Carts.RemoveDiscount(r.Context(), r.PathValue("id"), uid(u))
	a.writeCart(w, r, http.StatusOK, v, err)
}

func (a *API) shippingMethods(w http.ResponseWriter, r *http.Request) {
	ms, err := a.Checkout.ShippingMethods(r.Context(), r.URL.Query().Get("country"))
	if err != nil {
		fail(w, r, err)
		return
	}
	if ms == nil {
		ms = []pricing.ShippingMethod{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": ms})
}

type checkoutIn struct {
	Email           string        `json:"email"`
	ShippingAddress ocean.Address `json:"shipping_address"`
	ShippingMethod  string        `json:"shipping_method"`
	Payment         struct {
		Gateway string `json:"gateway"`
		Token   string `json:"token"`
	} `json:"payment"`
}

func (a *API) checkout(w http.ResponseWriter, r *http.Request) {
	u, ok := a.shopper(w, r)
	if !ok {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if !checkout.ValidKey(key) {
		fail(w, r, &ocean.Error{Code: ocean.EINVALID, Message: "Send an Idempotency-Key header: 8 to 255 printable characters, new for each checkout attempt and the same on a retry.",
			Fields: []ocean.FieldError{{Field: "Idempotency-Key", Message: "is missing or malformed"}}})
		return
	}
	var in checkoutIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	o, err := a.Checkout.Checkout(r.Context(), checkout.Request{
		CartID: r.PathValue("id"), UserID: uid(u), IdempotencyKey: key, Email: in.Email,
		Address:        in.ShippingAddress,
		ShippingMethod: in.ShippingMethod, Gateway: in.Payment.Gateway, Token: in.Payment.Token,
	})
	var de *checkout.DeclineError
	if errors.As(err, &de) {
		p := httpx.NewProblem(r, &ocean.Error{Code: ocean.EPAYMENT, Message: de.Message + " Your cart is kept; nothing was charged."})
		p.Type = "/problems/payment-declined/" + strings.ReplaceAll(de.Code, "_", "-")
		p.Errors = []ocean.FieldError{{Field: "payment", Message: de.Code}}
		httpx.WriteProblemDoc(w, p)
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/orders/"+o.PublicID)
	httpx.WriteJSON(w, http.StatusCreated, toOrderJSON(o, false))
}

type orderItemJSON struct {
	ProductName string            `json:"product_name"`
	ProductSlug string            `json:"product_slug"`
	SKU         string            `json:"sku"`
	VariantID   string            `json:"variant_id,omitempty"`
	Options     map[string]string `json:"options"`
	UnitPrice   ocean.Money       `json:"unit_price"`
	Quantity    int               `json:"quantity"`
	LineTotal   ocean.Money       `json:"line_total"`
}

type paymentJSON struct {
	Gateway string `json:"gateway"`
	Status  string `json:"status"`
	Card    string `json:"card,omitempty"`
}

type orderJSON struct {
	ID              string          `json:"id"`
	Number          string          `json:"number"`
	Status          order.Status    `json:"status"`
	Email           string          `json:"email"`
	Items           []orderItemJSON `json:"items"`
	Totals          pricing.Totals  `json:"totals"`
	Refunded        ocean.Money     `json:"refunded"`
	DiscountCode    string          `json:"discount_code,omitempty"`
	ShippingMethod  string          `json:"shipping_method"`
	ShippingAddress ocean.Address   `json:"shipping_address"`
	TrackingNumber  string          `json:"tracking_number,omitempty"`
	Payment         paymentJSON     `json:"payment"`
	CreatedAt       time.Time       `json:"created_at"`
	PaidAt          *time.Time      `json:"paid_at"`
}

func toOrderJSON(o *order.Order, staff bool) orderJSON {
	out := orderJSON{ID: o.PublicID, Number: o.Number(), Status: o.Status, Email: o.Email, Items: []orderItemJSON{}, Totals: o.Totals,
		Refunded: ocean.Money{Amount: o.Refunded, Currency: o.Totals.Total.Currency}, DiscountCode: o.DiscountCode, ShippingMethod: o.ShippingMethod,
		ShippingAddress: o.Address,
		TrackingNumber:  o.Tracking, Payment: paymentJSON{Gateway: o.Gateway, Status: o.PaymentStatus, Card: o.Card},
		CreatedAt: o.CreatedAt.UTC(), PaidAt: o.PaidAt}
	for _, it := range o.Items {
		j := orderItemJSON{ProductName: it.ProductName, ProductSlug: it.ProductSlug, SKU: it.SKU, Options: it.Options, UnitPrice: it.UnitPrice, Quantity: it.Quantity, LineTotal: it.LineTotal}
		if j.Options == nil {
			j.Options = map[string]string{}
		}
		if staff && it.VariantID != 0 {
			j.VariantID = strconv.FormatInt(it.VariantID, 10)
		}
		out.Items = append(out.Items, j)
	}
	return out
}

type orderListJSON struct {
	Items      []orderJSON `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

func (a *API) listOrders(w http.ResponseWriter, r *http.Request, f order.Filter, staff bool) {
	var extra []string
	if staff {
		extra = []string{"status"}
	}
	limit, before, err := listParams(r, "cursor", extra...)
	if err != nil {
		fail(w, r, err)
		return
	}
	f.Limit, f.Before = limit+1, before
	os, err := a.Checkout.Orders(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := orderListJSON{Items: []orderJSON{}}
	if len(os) > limit {
		os = os[:limit]
		c := strconv.FormatInt(os[len(os)-1].ID, 10)
		out.NextCursor = &c
	}
	for i := range os {
		out.Items = append(out.Items, toOrderJSON(&os[i], staff))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) myOrders(w http.ResponseWriter, r *http.Request, u *account.User) {
	a.listOrders(w, r, order.Filter{UserID: u.ID}, false)
}

func (a *API) getOrder(w http.ResponseWriter, r *http.Request) {
	u, ok := a.shopper(w, r)
	if !ok {
		return
	}
	o, err := a.Checkout.OrderFor(r.Context(), r.PathValue("id"), uid(u))
	if err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toOrderJSON(o, false))
}

func (a *API) adminOrders(w http.ResponseWriter, r *http.Request, _ *account.User) {
	a.listOrders(w, r, order.Filter{Status: order.Status(r.URL.Query().Get("status"))}, true)
}

// attemptJSON is one payment attempt of an order's checkout.
type attemptJSON struct {
	Outcome     string      `json:"outcome"`
	DeclineCode string      `json:"decline_code,omitempty"`
	Message     string      `json:"message,omitempty"`
	Gateway     string      `json:"gateway"`
	Amount      ocean.Money `json:"amount"`
	CreatedAt   time.Time   `json:"created_at"`
}

// adminOrderJSON is an order as staff see it alone: with the payment
// attempts of its checkout.
type adminOrderJSON struct {
	orderJSON
	PaymentAttempts []attemptJSON `json:"payment_attempts"`
}

func (a *API) adminOrder(w http.ResponseWriter, r *http.Request, _ *account.User) {
	o, err := a.Checkout.OrderByID(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	as, err := a.Checkout.Attempts(r.Context(), o)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := adminOrderJSON{orderJSON: toOrderJSON(o, true), PaymentAttempts: make([]attemptJSON, 0, len(as))}
	for _, x := range as {
		out.PaymentAttempts = append(out.PaymentAttempts, attemptJSON{Outcome: x.Outcome, DeclineCode: x.DeclineCode, Message: x.Message,
			Gateway: x.Gateway, Amount: x.Amount, CreatedAt: x.CreatedAt.UTC()})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func actor(u *account.User) string { return "admin:" + strconv.FormatInt(u.ID, 10) }

func (a *API) writeOrder(w http.ResponseWriter, r *http.Request, o *order.Order, err error) {
	if err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toOrderJSON(o, true))
}

type fulfilIn struct {
	TrackingNumber string `json:"tracking_number"`
}

func (a *API) fulfil(w http.ResponseWriter, r *http.Request, u *account.User) {
	var in fulfilIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	o, err := a.Checkout.Fulfil(r.Context(), r.PathValue("id"), in.TrackingNumber, actor(u))
	a.writeOrder(w, r, o, err)
}

func (a *API) deliver(w http.ResponseWriter, r *http.Request, u *account.User) {
	o, err := a.Checkout.Deliver(r.Context(), r.PathValue("id"), actor(u))
	a.writeOrder(w, r, o, err)
}

func (a *API) cancel(w http.ResponseWriter, r *http.Request, u *account.User) {
	// An optional body: {"restock": false} keeps a paid order's units sold
	// (damaged or lost goods); without one they return to stock.
	in := struct {
		Restock *bool `json:"restock"`
	}{}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			fail(w, r, err)
			return
		}
	}
	o, err := a.Checkout.CancelWith(r.Context(), r.PathValue("id"), actor(u), in.Restock == nil || *in.Restock)
	a.writeOrder(w, r, o, err)
}

type refundIn struct {
	Amount int64 `json:"amount"`
	// Restock puts every unit of the order not restocked before back in
	// stock; RestockItems puts back only the units listed. Neither: none.
	Restock      bool            `json:"restock"`
	RestockItems []restockItemIn `json:"restock_items"`
}

type restockItemIn struct {
	VariantID string `json:"variant_id"`
	Quantity  int    `json:"quantity"`
}

func (a *API) refund(w http.ResponseWriter, r *http.Request, u *account.User) {
	var in refundIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	// A refund is money leaving the shop: a retry after a lost answer must
	// not refund again, so the key is required, as on checkout.
	k := r.Header.Get("Idempotency-Key")
	if !checkout.ValidKey(k) {
		fail(w, r, ocean.Invalid("Send an Idempotency-Key header (8-255 printable characters), the same on a retry, so a refund is never made twice.", ocean.FieldError{Field: "Idempotency-Key", Message: "is missing or malformed"}))
		return
	}
	ref := "api_" + r.PathValue("id") + "_" + k
	req := checkout.RefundRequest{Amount: in.Amount, Reference: ref, Actor: actor(u), RestockAll: in.Restock}
	for i, it := range in.RestockItems {
		v, err := strconv.ParseInt(it.VariantID, 10, 64)
		if err != nil || v < 1 {
			fail(w, r, ocean.Invalid("A restock item names no variant.", ocean.FieldError{Field: "restock_items[" + strconv.Itoa(i) + "].variant_id", Message: "must be a variant id"}))
			return
		}
		req.Lines = append(req.Lines, checkout.RestockLine{VariantID: v, Quantity: it.Quantity})
	}
	o, err := a.Checkout.RefundWith(r.Context(), r.PathValue("id"), req)
	a.writeOrder(w, r, o, err)
}

func variantPath(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("variant_id"), 10, 64)
	if err != nil || id < 1 {
		return -1
	}
	return id
}

type stockJSON struct {
	inventory.Level
	History []inventory.Entry `json:"history"`
}

func (a *API) stockLevel(w http.ResponseWriter, r *http.Request, _ *account.User) {
	l, err := a.Inventory.Level(r.Context(), variantPath(r))
	if err != nil {
		fail(w, r, err)
		return
	}
	h, err := a.Inventory.History(r.Context(), l.VariantID, 50)
	if err != nil {
		fail(w, r, err)
		return
	}
	if h == nil {
		h = []inventory.Entry{}
	}
	httpx.WriteJSON(w, http.StatusOK, stockJSON{Level: l, History: h})
}

type adjustIn struct {
	Delta  int    `json:"delta"`
	Reason string `json:"reason"`
}

func (a *API) adjustStock(w http.ResponseWriter, r *http.Request, u *account.User) {
	var in adjustIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	l, err := a.Inventory.Adjust(r.Context(), variantPath(r), in.Delta, in.Reason, actor(u))
	if err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, l)
}

func (a *API) listDiscounts(w http.ResponseWriter, r *http.Request, _ *account.User) {
	ds, err := a.Checkout.Discounts(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	if ds == nil {
		ds = []pricing.Discount{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": ds})
}

func (a *API) createDiscount(w http.ResponseWriter, r *http.Request, _ *account.User) {
	var d pricing.Discount
	if err := decode(w, r, &d); err != nil {
		fail(w, r, err)
		return
	}
	d.Used = 0
	if err := a.Checkout.CreateDiscount(r.Context(), &d); err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, d)
}
