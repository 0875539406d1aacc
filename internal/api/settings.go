package api

import (
	"net/http"
	"strconv"

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
		{"DELETE", "/api/v1/admin/tax-rates/{country}", a.admin(a.deleteTaxRate), ""},
		{"PUT", "/api/v1/admin/tax-rates/zones/{zone}", a.admin(a.putTaxRate), ""},
		{"DELETE", "/api/v1/admin/tax-rates/zones/{zone}", a.admin(a.deleteTaxRate), ""},
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
	cond, err := readIfMatch(r)
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
	if cond = cond.orBody(in.Version); cond.stale(st.Version) {
		fail(w, r, ocean.Errorf(ocean.ESTALE, "The settings were changed by someone else since you loaded them (version %d, now %d); nothing was saved. Load them again and redo your change.", cond.version(), st.Version))
		return
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

// listTaxRates lists the countries' own rates (items), the zones' rates
// (zones) and, for every country the shop ships to, the rate it pays
// (applied: its own, its zone's with zone_id, or none with rate_bp 0).
func (a *API) listTaxRates(w http.ResponseWriter, r *http.Request, _ *account.User) {
	own, err := a.Checkout.TaxRates(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	zoned, err := a.Checkout.ZoneTaxRates(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	applied, err := a.Checkout.AppliedTaxRates(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": own, "zones": zoned, "applied": applied})
}

// taxTarget is the rate a path names: /tax-rates/{country} or
// /tax-rates/zones/{zone}.
func taxTarget(r *http.Request) (pricing.TaxRate, error) {
	if z := r.PathValue("zone"); z != "" {
		id, err := strconv.ParseInt(z, 10, 64)
		if err != nil || id < 1 {
			return pricing.TaxRate{}, ocean.Invalid("A zone's tax rate is at /api/v1/admin/tax-rates/zones/{zone}, the zone's id.", ocean.FieldError{Field: "zone_id", Message: "must be a shipping zone's id"})
		}
		return pricing.TaxRate{ZoneID: id}, nil
	}
	return pricing.TaxRate{Country: r.PathValue("country")}, nil
}

// putTaxRate creates or replaces a country's or a zone's rate. If-Match
// (or the body's version) makes it conditional: a stale version is 412.
func (a *API) putTaxRate(w http.ResponseWriter, r *http.Request, u *account.User) {
	rate, err := taxTarget(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	cond, err := readIfMatch(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var in struct {
		RateBP  *int   `json:"rate_bp"`
		Name    string `json:"name"`
		Version *int64 `json:"version"`
	}
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	if in.RateBP == nil {
		fail(w, r, ocean.Invalid("rate_bp is required.", ocean.FieldError{Field: "rate_bp", Message: "is required: basis points, 1500 is 15%"}))
		return
	}
	rate.Name, rate.RateBP, rate.Version = in.Name, *in.RateBP, cond.orBody(in.Version).version()
	out, err := a.Checkout.SetTaxRate(r.Context(), rate, settingsActor(u))
	if err != nil {
		fail(w, r, err)
		return
	}
	etag(w, out.Version)
	httpx.WriteJSON(w, http.StatusOK, out)
}

// deleteTaxRate removes a country's own rate (it then pays its zone's) or
// a zone's; If-Match makes it conditional.
func (a *API) deleteTaxRate(w http.ResponseWriter, r *http.Request, u *account.User) {
	rate, err := taxTarget(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	cond, err := readIfMatch(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	rate.Version = cond.version()
	if err := a.Checkout.DeleteTaxRate(r.Context(), rate, settingsActor(u)); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
