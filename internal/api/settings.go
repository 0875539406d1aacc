package api

import (
	"net/http"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
)

// The shop's settings over the API (admins only): one versioned resource.
// A PATCH with a stale If-Match (or body version) is a 412 and changes
// nothing.

func (a *API) settingsRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/admin/settings", a.admin(a.getSettings), ""},
		{"PATCH", "/api/v1/admin/settings", a.admin(a.patchSettings), ""},
	}
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

func (a *API) patchSettings(w http.ResponseWriter, r *http.Request, _ *account.User) {
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
	out, err := a.Checkout.UpdateSettings(r.Context(), *st)
	if err != nil {
		fail(w, r, err)
		return
	}
	etag(w, out.Version)
	httpx.WriteJSON(w, http.StatusOK, out)
}
