package api

import (
	"net/http"
	"strings"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// The shop's settings over the API (admins only): one versioned resource.
// A PATCH with a stale If-Match (or body version) is a 412 and changes
// nothing.

func (a *API) settingsRoutes() []Route {
	return append([]Route{
		{"GET", "/api/v1/admin/settings", a.admin(a.getSettings), ""},
		{"PATCH", "/api/v1/admin/settings", a.admin(a.patchSettings), ""},
		{"GET", "/api/v1/admin/shipping-methods", a.admin(a.listShippingMethods), ""},
		{"GET", "/api/v1/admin/tax-rates", a.admin(a.listTaxRates), ""},
		{"PUT", "/api/v1/admin/tax-rates/{country}", a.admin(a.putTaxRate), ""},
	}, a.shippingRoutes()...)
}

func (a *API) getSettings(w http.ResponseWriter, r *http.Request, _ *account.User) {
	st, err := a.Checkout.Settings(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	etag(w, st.Version)
	httpx.WriteJSON(w, http.StatusOK, st)
}

// settingsIn is a PATCH body: absent fields keep their value.
type settingsIn struct {
	ShopName         *string   `json:"shop_name"`
	ContactEmail     *string   `json:"contact_email"`
	Currency         *string   `json:"currency"`
	Countries        *[]string `json:"countries"`
	PricesIncludeTax *bool     `json:"prices_include_tax"`
	Version          *int64    `json:"version"`
}

func (a *API) patchSettings(w http.ResponseWriter, r *http.Request, u *account.User) {
	version, err := ifMatch(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var in settingsIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	st, err := a.Checkout.Settings(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	if version == 0 && in.Version != nil {
		version = *in.Version
	}
	if version != 0 {
		if version != st.Version {
			fail(w, r, ocean.Errorf(ocean.ESTALE, "The settings were changed by someone else since you loaded them (version %d, now %d); nothing was saved. Load them again and redo your change.", version, st.Version))
			return
		}
	}
	if in.ShopName != nil {
		st.ShopName = *in.ShopName
	}
	if in.ContactEmail != nil {
		st.ContactEmail = *in.ContactEmail
	}
	if in.Currency != nil {
		st.Currency = *in.Currency
	}
	if in.Countries != nil {
		st.Countries = *in.Countries
	}
	if in.PricesIncludeTax != nil {
		st.PricesIncludeTax = *in.PricesIncludeTax
	}
	out, err := a.Checkout.UpdateSettings(r.Context(), *st, settingsActor(u))
	if err != nil {
		fail(w, r, err)
		return
	}
	etag(w, out.Version)
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) listShippingMethods(w http.ResponseWriter, r *http.Request, _ *account.User) {
	zs, err := a.Checkout.Zones(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := []methodJSON{}
	for _, z := range zs {
		for _, m := range z.Methods {
			out = append(out, toMethodJSON(m, z.Countries))
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (a *API) listTaxRates(w http.ResponseWriter, r *http.Request, _ *account.User) {
	rs, err := a.Checkout.TaxRates(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": rs})
}

func (a *API) putTaxRate(w http.ResponseWriter, r *http.Request, u *account.User) {
	var in struct {
		RateBP *int   `json:"rate_bp"`
		Name   string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	if in.RateBP == nil {
		fail(w, r, ocean.Invalid("rate_bp is required.", ocean.FieldError{Field: "rate_bp", Message: "is required: basis points, 1500 is 15%"}))
		return
	}
	rate := pricing.TaxRate{Country: r.PathValue("country"), Name: in.Name, RateBP: *in.RateBP}
	if err := a.Checkout.SetTaxRate(r.Context(), rate, settingsActor(u)); err != nil {
		fail(w, r, err)
		return
	}
	out, err := a.Checkout.TaxRates(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	for _, t := range out {
		if t.Country == strings.ToUpper(strings.TrimSpace(rate.Country)) {
			httpx.WriteJSON(w, http.StatusOK, t)
			return
		}
	}
	fail(w, r, ocean.Errorf(ocean.ENOTFOUND, "The tax rate was not stored."))
}
