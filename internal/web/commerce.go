package web

import (
	"context"
	"net/http"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/ratelimit"
)

// Cookies of the cart and the checkout (see docs/storefront-checkout.md).
// Like the session cookie they are __Host-: Secure, Path=/, no Domain.
const (
	// cartCookie holds the cart id, a 128-bit secret: whoever knows a
	// guest cart's id can use it, so it is HttpOnly and never in a URL.
	cartCookie = "__Host-ocean_cart"
	// checkoutCookie holds the checkout's in-progress details (email,
	// address, shipping method, payment token), sealed (AES-GCM) with the
	// cart id as additional data.
	checkoutCookie = "__Host-ocean_checkout"

	cartMaxAge     = 30 * 24 * 60 * 60 // a guest finds their cart for a month
	checkoutMaxAge = 24 * 60 * 60      // details typed today, forgotten tomorrow
)

// commerceOn reports whether the shop sells: carts, checkout and accounts.
func (w *Web) commerceOn() bool {
	return w.carts != nil && w.checkout != nil && w.accounts != nil
}

// registerCommerce adds the cart, checkout and order pages. page wraps a
// handler with the session lookup.
func (w *Web) registerCommerce(mux *http.ServeMux, page func(http.HandlerFunc) http.Handler) {
	for _, rt := range []route{
		{"GET /cart", w.cartPage, ""},
		{"GET /cart/resume", w.cartResume, ""},
		{"POST /cart/items", w.cartAdd, ""},
		{"POST /cart/items/{id}", w.cartUpdate, ""},
		{"POST /cart/items/{id}/remove", w.cartRemove, ""},
		{"POST /cart/discount", w.discountApply, ""},
		{"POST /cart/discount/remove", w.discountRemove, ""},
		{"GET /checkout", w.checkoutDetails, ""},
		{"POST /checkout", w.checkoutDetailsPost, ""},
		{"GET /checkout/shipping", w.checkoutShipping, ""},
		{"POST /checkout/shipping", w.checkoutShippingPost, ""},
		{"GET /checkout/payment", w.checkoutPayment, ""},
		{"POST /checkout/payment", w.checkoutPaymentPost, ""},
		{"GET /checkout/review", w.checkoutReview, ""},
		{"POST /checkout/place", w.checkoutPlace, ratelimit.Checkout},
		{"GET /orders/{id}", w.orderPage, ""},
	} {
		mux.Handle(rt.pattern, ratelimit.Limited(w.secureOnly(page(rt.h)), rt.limits()...))
	}
}

// userID is the signed-in shopper's id, 0 for a guest.
func userID(r *http.Request) int64 {
	if u := currentUser(r); u != nil {
		return u.ID
	}
	return 0
}

// cookieCart is the cart id the browser holds, "" if none or malformed.
func cookieCart(r *http.Request) string {
	c, err := r.Cookie(cartCookie)
	if err != nil || !cart.ValidID(c.Value) {
		return ""
	}
	return c.Value
}

func setCartCookie(rw http.ResponseWriter, id string) {
	http.SetCookie(rw, &http.Cookie{Name: cartCookie, Value: id, Path: "/", MaxAge: cartMaxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// findCart returns the request's open cart, or nil when it has none; it
// never creates one. A guest's cart is the one the cookie names; a
// signed-in shopper's is their own open cart (the cookie is only a hint).
// With rw it corrects the cookie: a cart that is gone, ordered or not this
// shopper's is forgotten, and a shopper's own cart is remembered.
func (w *Web) findCart(rw http.ResponseWriter, r *http.Request) (*cart.View, error) {
	ctx := r.Context()
	uid := userID(r)
	if id := cookieCart(r); id != "" {
		v, err := w.carts.Get(ctx, id, uid)
		if err == nil && v.Status == cart.Open && v.UserID == uid {
			return v, nil
		}
		if err != nil && ocean.ErrorCode(err) != ocean.ENOTFOUND {
			return nil, err
		}
		if rw != nil {
			clearCookie(rw, cartCookie)
		}
	}
	if uid == 0 {
		return nil, nil
	}
	id, err := w.ownCart(ctx, uid)
	if err != nil || id == "" {
		return nil, err
	}
	v, err := w.carts.Get(ctx, id, uid)
	if err != nil {
		return nil, err
	}
	if rw != nil {
		setCartCookie(rw, id)
	}
	return v, nil
}

// ownCart returns the id of the shopper's newest open cart, "" if none.
// Merge with no guest cart to bring does exactly that lookup and changes
// nothing.
func (w *Web) ownCart(ctx context.Context, uid int64) (string, error) {
	id, err := w.carts.Merge(ctx, "", uid)
	if ocean.ErrorCode(err) == ocean.ENOTFOUND {
		return "", nil
	}
	return id, err
}

// cartCount is the number of units in the request's cart, for the header.
// It is a nicety: a failure shows 0 rather than breaking the page.
//
// The cart the cookie names is read without pricing it (its row and its
// lines): every page a shopper with a cart views shows the count, and
// pricing read the lines' variants and the discount too, queries that
// waited for a pooled connection under make loadtest. Any other case (no
// cookie, a cart no longer open) goes the way the cart page does.
func (w *Web) cartCount(r *http.Request) int {
	if id := cookieCart(r); id != "" {
		uid := userID(r)
		if c, err := w.carts.Load(r.Context(), id, uid); err == nil && c.Status == cart.Open && c.UserID == uid {
			n := 0
			for _, it := range c.Items {
				n += it.Quantity
			}
			return n
		}
	}
	v, err := w.findCart(nil, r)
	if err != nil || v == nil {
		return 0
	}
	return v.Count
}

// mergeGuestCart runs after sign-in: the guest cart the browser holds
// joins the shopper's own (cart.Service.Merge), and the cookie then names
// the shopper's cart. A failure is logged; signing in still succeeds.
func (w *Web) mergeGuestCart(rw http.ResponseWriter, r *http.Request, uid int64) {
	if !w.commerceOn() {
		return
	}
	guest := cookieCart(r)
	if guest == "" {
		return
	}
	id, err := w.carts.Merge(r.Context(), guest, uid)
	switch {
	case err == nil && id != "":
		setCartCookie(rw, id)
	case ocean.ErrorCode(err) == ocean.ENOTFOUND:
		// Nothing to bring: no guest cart and none of their own yet.
		clearCookie(rw, cartCookie)
	default:
		w.log.ErrorContext(r.Context(), "guest cart not merged at sign-in", "err", err)
	}
	// The checkout cookie is sealed to the old cart id: start afresh.
	clearCookie(rw, checkoutCookie)
}

// forgetCommerce clears the cart and checkout cookies (sign-out, after an
// order): the next visitor of this browser starts with an empty cart.
func forgetCommerce(rw http.ResponseWriter, r *http.Request) {
	for _, name := range []string{cartCookie, checkoutCookie} {
		if _, err := r.Cookie(name); err == nil {
			clearCookie(rw, name)
		}
	}
}

// cartResume opens a checkout link made for an assistant
// (checkout.Service.Handoff): the browser adopts the cart the link seals
// and goes on to the checkout, where the shopper types their address and
// card. A signed-in shopper opening a guest cart's link gets its items in
// their own cart; a link to someone else's cart is not found.
func (w *Web) cartResume(rw http.ResponseWriter, r *http.Request) {
	id, err := w.checkout.OpenHandoff(r.URL.Query().Get("t"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	uid := userID(r)
	v, err := w.carts.Get(r.Context(), id, uid)
	if err == nil && v.Status != cart.Open {
		err = ocean.Errorf(ocean.EUNPROCESSABLE, "This cart has already been checked out.")
	}
	if err == nil && v.UserID != uid {
		id, err = w.carts.Merge(r.Context(), id, uid)
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	setCartCookie(rw, id)
	clearCookie(rw, checkoutCookie) // sealed to the cart the browser held before
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("Referrer-Policy", "no-referrer") // the link is a bearer secret
	http.Redirect(rw, r, "/checkout", http.StatusSeeOther)
}
