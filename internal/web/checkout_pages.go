package web

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
)

// The checkout runs in four steps, each a page that works without
// JavaScript: details (email and address), shipping, payment (the
// gateway's hosted card page), review. What the shopper entered travels
// between the steps in the sealed checkout cookie (checkoutState); the
// rules (validation, prices, stock, payment) are all checkout.Service's.

// checkoutState is what the checkout cookie holds, sealed with the cart id
// as additional data: a cookie of another cart, or changed by anyone, does
// not open.
type checkoutState struct {
	Email   string        `json:"email,omitempty"`
	Address ocean.Address `json:"address"`
	Method  string        `json:"method,omitempty"`
	// Token and Card are what the gateway's card page sent back: a
	// payment token (never a card number) and "Visa ending 4242".
	Token string `json:"token,omitempty"`
	Card  string `json:"card,omitempty"`
	// Key is the Idempotency-Key of the review page's "Place order": the
	// same for every submit of that page, new once anything changes.
	Key string `json:"key,omitempty"`
	// Nonce ties the gateway's return to the payment this browser started,
	// so a crafted link cannot slip another token into the checkout.
	Nonce string `json:"nonce,omitempty"`
}

func (s checkoutState) hasDetails() bool { return s.Email != "" && s.Address.Line1 != "" }

// maxCheckoutCookie bounds the cookie we try to open.
const maxCheckoutCookie = 3000

func checkoutAAD(cartID string) string { return "web.checkout:" + cartID }

// loadCheckout opens the checkout cookie for the cart; a missing, foreign
// or tampered cookie is an empty checkout.
func (w *Web) loadCheckout(r *http.Request, cartID string) checkoutState {
	var st checkoutState
	c, err := r.Cookie(checkoutCookie)
	if err != nil || c.Value == "" || len(c.Value) > maxCheckoutCookie {
		return st
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return st
	}
	plain, err := w.accounts.Open(string(sealed), checkoutAAD(cartID))
	if err != nil || json.Unmarshal([]byte(plain), &st) != nil {
		return checkoutState{}
	}
	return st
}

// saveCheckout seals st into the checkout cookie.
func (w *Web) saveCheckout(rw http.ResponseWriter, cartID string, st checkoutState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	sealed, err := w.accounts.Seal(string(b), checkoutAAD(cartID))
	if err != nil {
		return err
	}
	http.SetCookie(rw, &http.Cookie{Name: checkoutCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(sealed)), Path: "/",
		MaxAge: checkoutMaxAge, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return nil
}

// country is one choice of the country select.
type country struct{ Code, Name string }

// countryNames names the countries the address forms may offer; the
// shop's settings decide which they do (shopCountries).
var countryNames = []country{
	{"ZA", "South Africa"},
	{"AU", "Australia"}, {"AT", "Austria"}, {"BE", "Belgium"}, {"BW", "Botswana"}, {"CA", "Canada"},
	{"DK", "Denmark"}, {"SZ", "Eswatini"}, {"FI", "Finland"}, {"FR", "France"}, {"DE", "Germany"},
	{"GH", "Ghana"}, {"IE", "Ireland"}, {"IT", "Italy"}, {"JP", "Japan"}, {"KE", "Kenya"},
	{"LS", "Lesotho"}, {"MW", "Malawi"}, {"MU", "Mauritius"}, {"MZ", "Mozambique"}, {"NA", "Namibia"},
	{"NL", "Netherlands"}, {"NZ", "New Zealand"}, {"NG", "Nigeria"}, {"NO", "Norway"}, {"PT", "Portugal"},
	{"ES", "Spain"}, {"SE", "Sweden"}, {"CH", "Switzerland"}, {"TZ", "Tanzania"},
	{"AE", "United Arab Emirates"}, {"GB", "United Kingdom"}, {"US", "United States"}, {"ZM", "Zambia"},
	{"ZW", "Zimbabwe"},
}

func countryName(code string) string {
	for _, c := range countryNames {
		if c.Code == code {
			return c.Name
		}
	}
	return code
}

// addressFields maps the checkout service's field names to the form's.
var addressFields = map[string]string{
	"shipping_address.name": "name", "shipping_address.line1": "line1", "shipping_address.line2": "line2",
	"shipping_address.city": "city", "shipping_address.postal_code": "postal_code",
	"shipping_address.country": "country", "shipping_address.phone": "phone",
	"shipping_method": "method",
}

// methodView is one shipping choice.
type methodView struct {
	Code, Name string
	Price      ocean.Money // the method's price
	Cost       ocean.Money // what it costs for this cart (free above the threshold)
	FreeAbove  *ocean.Money
	Checked    bool
	Unable     string // why the method cannot take this cart (too heavy); "" when it can
}

// checkoutData is the data of the four checkout pages.
type checkoutData struct {
	layout
	Step      int // 1 details, 2 shipping, 3 payment, 4 review
	Form      formState
	Message   string // a refusal from a later step (a declined card)
	Lines     []lineView
	Totals    totalsView
	Countries []country
	Methods   []methodView
	State     checkoutState
	Country   string        // the destination's name
	ShipTo    ocean.Address // the address as shown: the country by name
	Key       string        // the review's Idempotency-Key
	SignIn    string        // sign-in link that comes back to the checkout, for guests
}

// checkoutStart loads the cart and the checkout state of a step. Without
// a cart, or with an empty one, the shopper goes to the cart page.
func (w *Web) checkoutStart(rw http.ResponseWriter, r *http.Request) (*cart.View, checkoutState, bool) {
	v, err := w.findCart(rw, r)
	if err != nil {
		w.fail(rw, r, err)
		return nil, checkoutState{}, false
	}
	if v == nil || len(v.Lines) == 0 {
		rw.Header().Set("Cache-Control", "no-store")
		http.Redirect(rw, r, "/cart", http.StatusSeeOther)
		return nil, checkoutState{}, false
	}
	return v, w.loadCheckout(r, v.ID), true
}

// checkoutPaths are the GET addresses of the checkout's pages: a refused
// step is shown there (redirect after POST).
var checkoutPaths = map[string]string{"checkout_details": "/checkout", "checkout_shipping": "/checkout/shipping",
	"checkout_payment": "/checkout/payment", "checkout_review": "/checkout/review"}

func (w *Web) renderCheckout(rw http.ResponseWriter, r *http.Request, page string, v *cart.View, st checkoutState, status int, d checkoutData) {
	titles := map[string]string{"checkout_details": "Checkout: your details", "checkout_shipping": "Checkout: shipping",
		"checkout_payment": "Checkout: payment", "checkout_review": "Checkout: review your order"}
	if w.prg(rw, r, status, page, checkoutPaths[page], d) {
		return
	}
	w.restore(rw, r, page, &d)
	d.State = st
	d.Lines = viewLines(v, newForm())
	if d.Totals.Total.Currency == "" && v != nil {
		d.Totals = viewTotals(v, v.Totals)
	}
	if d.Form.Values == nil {
		d.Form = newForm()
	}
	// The select and the radio group are written out by hand, not by the
	// "field" partial: their messages become sentences here.
	for k, label := range map[string]string{"country": "Country", "method": "Shipping method"} {
		if e := d.Form.Errors[k]; e != "" {
			d.Form.Errors[k] = fieldSentence(label, e)
		}
	}
	d.Country = countryName(st.Address.Country)
	d.ShipTo = st.Address
	d.ShipTo.Country = d.Country
	if currentUser(r) == nil && w.accounts != nil {
		d.SignIn = "/account/signin?" + url.Values{"next": {"/checkout"}}.Encode()
	}
	d.layout = w.shopLayout(rw, r, titles[page], cartUnits(v))
	w.renderPrivate(rw, r, status, page, d)
}

// backToCart shows the cart with the reason checkout cannot go on: stock
// ran short, a discount code stopped applying, the cart is empty.
func (w *Web) backToCart(rw http.ResponseWriter, r *http.Request, cartID string, err error) {
	st := newForm()
	status, ok := w.formError(rw, r, err, &st, nil)
	if !ok {
		return
	}
	st.Errors = map[string]string{} // "variant:12" fields name no form field here
	v, _ := w.findCart(rw, r)
	w.renderCart(rw, r, v, status, st, formState{})
}

// quoteTrouble answers a Quote that failed: stock, discount and empty-cart
// problems go back to the cart; anything else is the error page.
func (w *Web) quoteTrouble(rw http.ResponseWriter, r *http.Request, v *cart.View, err error) {
	switch ocean.ErrorCode(err) {
	case ocean.ECONFLICT, ocean.EUNPROCESSABLE:
		w.backToCart(rw, r, v.ID, err)
	default:
		w.fail(rw, r, err)
	}
}

// ---------------------------------------------------------------- 1 details

func (w *Web) checkoutDetails(rw http.ResponseWriter, r *http.Request) {
	v, st, ok := w.checkoutStart(rw, r)
	if !ok {
		return
	}
	a := st.Address
	email := st.Email
	if u := currentUser(r); u != nil {
		if email == "" {
			email = u.Email
		}
		if a.Line1 == "" {
			// The account's default address (or its first) fills the form.
			addrs, err := w.accounts.Addresses(r.Context(), u.ID)
			if err != nil {
				w.fail(rw, r, err)
				return
			}
			for i, ad := range addrs {
				if i == 0 || ad.IsDefault {
					a = ad.Address
				}
				if ad.IsDefault {
					break
				}
			}
			if a.Name == "" {
				a.Name = u.Name
			}
		}
	}
	list, err := w.shopCountries(r.Context())
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if a.Country == "" || !knownCountry(list, a.Country) {
		a.Country = list[0].Code
	}
	w.renderCheckout(rw, r, "checkout_details", v, st, http.StatusOK, checkoutData{Step: 1, Countries: list, Form: addressForm(email, a)})
}

func addressForm(email string, a ocean.Address) formState {
	return newForm("email", email, "name", a.Name, "line1", a.Line1, "line2", a.Line2, "city", a.City,
		"postal_code", a.PostalCode, "country", a.Country, "phone", a.Phone)
}

// shopCountries are the destinations the address forms offer: the
// countries of the shop's settings, its home country first, then the rest
// by name.
func (w *Web) shopCountries(ctx context.Context) ([]country, error) {
	if w.checkout == nil { // a storefront without commerce: any named country
		return countryNames, nil
	}
	st, err := w.checkout.Settings(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]country, len(st.Countries))
	for i, c := range st.Countries {
		out[i] = country{c, countryName(c)}
	}
	if len(out) > 1 {
		rest := out[1:]
		sort.SliceStable(rest, func(i, j int) bool { return rest[i].Name < rest[j].Name })
	}
	return out, nil
}

func knownCountry(list []country, code string) bool {
	for _, c := range list {
		if c.Code == code {
			return true
		}
	}
	return false
}

// notShipped is the refusal of a country the shop does not ship to, on the
// form's field.
func notShipped(field string) error {
	return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "Some details are missing or wrong.",
		Fields: []ocean.FieldError{{Field: field, Message: "We do not ship there. Choose a country from the list."}}}
}

func (w *Web) checkoutDetailsPost(rw http.ResponseWriter, r *http.Request) {
	if !w.checkForm(rw, r) {
		return
	}
	v, st, ok := w.checkoutStart(rw, r)
	if !ok {
		return
	}
	f := r.PostForm
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	email := get("email")
	a := ocean.Address{Name: get("name"), Line1: get("line1"), Line2: get("line2"), City: get("city"),
		PostalCode: get("postal_code"), Country: strings.ToUpper(get("country")), Phone: get("phone")}
	// The checkout's own validation of these fields; method and payment
	// come later, so they are stood in for here.
	req := checkout.Request{Email: email, Address: a, ShippingMethod: "later", Gateway: "later", Token: "later"}
	err := req.Validate(map[string]payment.Gateway{"later": nil})
	list, lerr := w.shopCountries(r.Context())
	if lerr != nil {
		w.fail(rw, r, lerr)
		return
	}
	if err == nil && !knownCountry(list, a.Country) {
		err = notShipped("shipping_address.country")
	}
	if err != nil {
		form := addressForm(email, a)
		status, ok := w.formError(rw, r, err, &form, addressFields)
		if ok {
			w.renderCheckout(rw, r, "checkout_details", v, st, status, checkoutData{Step: 1, Countries: list, Form: form})
		}
		return
	}
	if st.Address.Country != a.Country {
		st.Method = "" // the methods depend on the country
	}
	st.Email, st.Address, st.Key = email, a, ""
	if err := w.saveCheckout(rw, v.ID, st); err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/checkout/shipping", http.StatusSeeOther)
}

// ---------------------------------------------------------------- 2 shipping

// methods lists the shipping methods for the destination with what each
// costs for this cart (checkout.Quote: free-shipping codes and thresholds
// included).
func (w *Web) methods(r *http.Request, v *cart.View, st checkoutState) ([]methodView, error) {
	ms, err := w.checkout.ShippingMethods(r.Context(), st.Address.Country)
	if err != nil {
		return nil, err
	}
	out := make([]methodView, 0, len(ms))
	first := -1
	for _, m := range ms {
		mv := methodView{Code: m.Code, Name: m.Name, Price: m.Price, Checked: m.Code == st.Method}
		_, t, err := w.checkout.Quote(r.Context(), v.ID, userID(r), st.Address.Country, m.Code)
		switch {
		case err == nil:
			mv.Cost = t.Shipping
			if first < 0 {
				first = len(out)
			}
		case unableToCarry(err):
			// The same rule the checkout applies: a method whose weight
			// brackets end below the cart's weight is shown, not offered.
			mv.Unable, mv.Checked = ocean.ErrorMessage(err), false
		default:
			return nil, err
		}
		if m.FreeAbove != nil {
			mv.FreeAbove = &ocean.Money{Amount: *m.FreeAbove, Currency: m.Price.Currency}
		}
		out = append(out, mv)
	}
	if st.Method == "" && first >= 0 {
		out[first].Checked = true
	}
	return out, nil
}

func (w *Web) renderShipping(rw http.ResponseWriter, r *http.Request, v *cart.View, st checkoutState, status int, form formState) {
	ms, err := w.methods(r, v, st)
	if err != nil {
		w.quoteTrouble(rw, r, v, err)
		return
	}
	w.renderCheckout(rw, r, "checkout_shipping", v, st, status, checkoutData{Step: 2, Methods: ms, Form: form})
}

func (w *Web) checkoutShipping(rw http.ResponseWriter, r *http.Request) {
	v, st, ok := w.checkoutStart(rw, r)
	if !ok {
		return
	}
	if !st.hasDetails() {
		http.Redirect(rw, r, "/checkout", http.StatusSeeOther)
		return
	}
	w.renderShipping(rw, r, v, st, http.StatusOK, newForm())
}

func (w *Web) checkoutShippingPost(rw http.ResponseWriter, r *http.Request) {
	if !w.checkForm(rw, r) {
		return
	}
	v, st, ok := w.checkoutStart(rw, r)
	if !ok {
		return
	}
	if !st.hasDetails() {
		http.Redirect(rw, r, "/checkout", http.StatusSeeOther)
		return
	}
	method := r.PostForm.Get("method")
	ms, err := w.checkout.ShippingMethods(r.Context(), st.Address.Country)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	offered := false
	for _, m := range ms {
		offered = offered || m.Code == method
	}
	if !offered {
		form := newForm()
		form.Message = "Choose how we should send your order."
		form.Errors["method"] = "Choose one of the shipping methods."
		w.renderShipping(rw, r, v, st, http.StatusUnprocessableEntity, form)
		return
	}
	if _, _, err := w.checkout.Quote(r.Context(), v.ID, userID(r), st.Address.Country, method); unableToCarry(err) {
		form := newForm()
		form.Message = ocean.ErrorMessage(err)
		form.Errors["method"] = "This method cannot take an order this heavy; choose another."
		w.renderShipping(rw, r, v, st, http.StatusUnprocessableEntity, form)
		return
	}
	st.Method, st.Key = method, ""
	if err := w.saveCheckout(rw, v.ID, st); err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/checkout/payment", http.StatusSeeOther)
}

// unableToCarry reports whether err is the checkout's refusal of a method
// for the cart's weight.
func unableToCarry(err error) bool {
	var oe *ocean.Error
	if !errors.As(err, &oe) || oe.Code != ocean.EUNPROCESSABLE {
		return false
	}
	for _, f := range oe.Fields {
		if f.Field == "shipping_method" {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------- 3 payment

// quoted prices the cart for the chosen destination and method, with the
// method's name for the totals box.
func (w *Web) quoted(r *http.Request, v *cart.View, st checkoutState) (totalsView, error) {
	_, t, err := w.checkout.Quote(r.Context(), v.ID, userID(r), st.Address.Country, st.Method)
	if err != nil {
		return totalsView{}, err
	}
	tv := viewTotals(v, t)
	tv.ShippingKnown = true
	if ms, err := w.checkout.ShippingMethods(r.Context(), st.Address.Country); err == nil {
		for _, m := range ms {
			if m.Code == st.Method {
				tv.ShippingName = m.Name
			}
		}
	}
	return tv, nil
}

// stepGuard sends the shopper to the first step still missing; it returns
// false when it did.
func stepGuard(rw http.ResponseWriter, r *http.Request, st checkoutState, needToken bool) bool {
	to := ""
	switch {
	case !st.hasDetails():
		to = "/checkout"
	case st.Method == "":
		to = "/checkout/shipping"
	case needToken && st.Token == "":
		to = "/checkout/payment"
	}
	if to != "" {
		http.Redirect(rw, r, to, http.StatusSeeOther)
		return false
	}
	return true
}

// renderPayment shows the payment step, with message (a declined card, a
// gateway that did not answer) and status.
func (w *Web) renderPayment(rw http.ResponseWriter, r *http.Request, v *cart.View, st checkoutState, status int, message string) {
	tv, err := w.quoted(r, v, st)
	if err != nil {
		w.quoteTrouble(rw, r, v, err)
		return
	}
	w.renderCheckout(rw, r, "checkout_payment", v, st, status, checkoutData{Step: 3, Totals: tv, Message: message})
}

func (w *Web) checkoutPayment(rw http.ResponseWriter, r *http.Request) {
	v, st, ok := w.checkoutStart(rw, r)
	if !ok || !stepGuard(rw, r, st, false) {
		return
	}
	w.renderPayment(rw, r, v, st, http.StatusOK, "")
}

// checkoutPaymentPost sends the shopper to the gateway's card page, which
// comes back to the review step with a payment token.
func (w *Web) checkoutPaymentPost(rw http.ResponseWriter, r *http.Request) {
	if !w.checkForm(rw, r) {
		return
	}
	v, st, ok := w.checkoutStart(rw, r)
	if !ok || !stepGuard(rw, r, st, false) {
		return
	}
	tv, err := w.quoted(r, v, st)
	if err != nil {
		w.quoteTrouble(rw, r, v, err)
		return
	}
	st.Nonce = randomToken()
	st.Token, st.Card, st.Key = "", "", ""
	if err := w.saveCheckout(rw, v.ID, st); err != nil {
		w.fail(rw, r, err)
		return
	}
	q := url.Values{
		"return":   {"/checkout/review?" + url.Values{"state": {st.Nonce}}.Encode()},
		"amount":   {strconv.FormatInt(tv.Total.Amount, 10)},
		"currency": {tv.Total.Currency},
	}
	rw.Header().Set("Cache-Control", "no-store")
	http.Redirect(rw, r, w.payment.CardPage+"?"+q.Encode(), http.StatusSeeOther)
}

// validPaymentToken accepts what a gateway may send as a token: 1 to 255
// printable ASCII characters.
func validPaymentToken(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// cardLabel keeps the gateway's "Visa ending 4242" if it is a short line of
// text, else says "Card".
func cardLabel(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 || strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return "Card"
	}
	return s
}

// ---------------------------------------------------------------- 4 review

func (w *Web) checkoutReview(rw http.ResponseWriter, r *http.Request) {
	v, st, ok := w.checkoutStart(rw, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Has("payment_token") || q.Has("state") {
		// Back from the gateway's card page. Only the payment this browser
		// started (the nonce) is accepted; the token then leaves the
		// address bar at once.
		tok := q.Get("payment_token")
		if st.Nonce == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.Nonce)) != 1 || !validPaymentToken(tok) {
			if !stepGuard(rw, r, st, false) {
				return
			}
			w.renderPayment(rw, r, v, st, http.StatusBadRequest, "We could not match that card to this checkout. Please enter your card again.")
			return
		}
		st.Token, st.Card, st.Nonce, st.Key = tok, cardLabel(q.Get("card")), "", ""
		if err := w.saveCheckout(rw, v.ID, st); err != nil {
			w.fail(rw, r, err)
			return
		}
		rw.Header().Set("Cache-Control", "no-store")
		rw.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(rw, r, "/checkout/review", http.StatusSeeOther)
		return
	}
	if !stepGuard(rw, r, st, true) {
		return
	}
	tv, err := w.quoted(r, v, st)
	if err != nil {
		w.quoteTrouble(rw, r, v, err)
		return
	}
	if st.Key == "" {
		// One key per review of these details: a double click or a
		// reload of "Place order" sends it again and gets the same order.
		st.Key = randomToken()
		if err := w.saveCheckout(rw, v.ID, st); err != nil {
			w.fail(rw, r, err)
			return
		}
	}
	w.renderCheckout(rw, r, "checkout_review", v, st, http.StatusOK, checkoutData{Step: 4, Totals: tv, Key: st.Key})
}

// checkoutPlace places the order: checkout.Service.Checkout with the
// review page's Idempotency-Key.
func (w *Web) checkoutPlace(rw http.ResponseWriter, r *http.Request) {
	if !w.checkForm(rw, r) {
		return
	}
	ctx := r.Context()
	uid := userID(r)
	// The cookie's cart even if it is no longer open: a second submit of
	// the same page must reach the service to get the first one's order.
	cartID := cookieCart(r)
	if cartID == "" && uid != 0 {
		id, err := w.ownCart(ctx, uid)
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		cartID = id
	}
	if cartID == "" {
		http.Redirect(rw, r, "/cart", http.StatusSeeOther)
		return
	}
	st := w.loadCheckout(r, cartID)
	key := r.PostForm.Get("key")
	if !stepGuard(rw, r, st, true) {
		return
	}
	if !checkout.ValidKey(key) {
		http.Redirect(rw, r, "/checkout/review", http.StatusSeeOther)
		return
	}
	o, err := w.checkout.Checkout(ctx, checkout.Request{CartID: cartID, UserID: uid, IdempotencyKey: key, Email: st.Email,
		Address: st.Address, ShippingMethod: st.Method, Gateway: w.payment.Gateway, Token: st.Token})
	if err == nil {
		clearCookie(rw, checkoutCookie)
		clearCookie(rw, cartCookie)
		http.Redirect(rw, r, "/orders/"+o.PublicID+"?done=placed", http.StatusSeeOther)
		return
	}
	w.placeTrouble(rw, r, cartID, st, err)
}

// placeTrouble answers a refused order on the step that can fix it.
func (w *Web) placeTrouble(rw http.ResponseWriter, r *http.Request, cartID string, st checkoutState, err error) {
	ctx := r.Context()
	v, verr := w.carts.Get(ctx, cartID, userID(r))
	if verr != nil || v.Status != cart.Open {
		// The cart is gone or already ordered: the cart page says what is left.
		w.backToCart(rw, r, cartID, err)
		return
	}
	// Any refusal spends the card token and the key: the next attempt is new.
	retry := func(message string, status int) {
		st.Token, st.Card, st.Key = "", "", ""
		if serr := w.saveCheckout(rw, cartID, st); serr != nil {
			w.fail(rw, r, serr)
			return
		}
		w.renderPayment(rw, r, v, st, status, message)
	}
	var de *checkout.DeclineError
	if errors.As(err, &de) {
		retry(de.Message+" Nothing was charged and your cart is kept.", http.StatusPaymentRequired)
		return
	}
	code := ocean.ErrorCode(err)
	if code == ocean.EUNAVAILABLE {
		retry(ocean.ErrorMessage(err), http.StatusServiceUnavailable)
		return
	}
	if code == ocean.EINVALID || code == ocean.EUNPROCESSABLE {
		for _, fe := range ocean.ErrorFields(err) {
			switch {
			case fe.Field == "email" || strings.HasPrefix(fe.Field, "shipping_address."):
				form := addressForm(st.Email, st.Address)
				list, _ := w.shopCountries(r.Context())
				if status, ok := w.formError(rw, r, err, &form, addressFields); ok {
					w.renderCheckout(rw, r, "checkout_details", v, st, status, checkoutData{Step: 1, Countries: list, Form: form})
				}
				return
			case fe.Field == "shipping_method":
				form := newForm()
				if status, ok := w.formError(rw, r, err, &form, addressFields); ok {
					w.renderShipping(rw, r, v, st, status, form)
				}
				return
			case strings.HasPrefix(fe.Field, "payment") || fe.Field == "Idempotency-Key":
				retry(ocean.ErrorMessage(err), http.StatusUnprocessableEntity)
				return
			}
		}
	}
	if code == ocean.ECONFLICT || code == ocean.EUNPROCESSABLE {
		w.backToCart(rw, r, cartID, err)
		return
	}
	w.fail(rw, r, err)
}
