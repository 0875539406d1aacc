package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// Shipping zones and their methods over the API (admins only; the paths
// start with "shipping", which the back office's route table classes as
// settings). Every resource carries a version: a write with a stale
// If-Match (or body version) is a 412 and changes nothing.

func (a *API) shippingRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/admin/shipping-zones", a.admin(a.listZones), ""},
		{"POST", "/api/v1/admin/shipping-zones", a.admin(a.createZone), ""},
		{"GET", "/api/v1/admin/shipping-zones/{id}", a.admin(a.getZone), ""},
		{"PATCH", "/api/v1/admin/shipping-zones/{id}", a.admin(a.patchZone), ""},
		{"DELETE", "/api/v1/admin/shipping-zones/{id}", a.admin(a.deleteZone), ""},
		{"POST", "/api/v1/admin/shipping-methods", a.admin(a.createMethod), ""},
		{"GET", "/api/v1/admin/shipping-methods/{id}", a.admin(a.getMethod), ""},
		{"PATCH", "/api/v1/admin/shipping-methods/{id}", a.admin(a.patchMethod), ""},
		{"DELETE", "/api/v1/admin/shipping-methods/{id}", a.admin(a.deleteMethod), ""},
		{"GET", "/api/v1/admin/settings/audit", a.admin(a.settingsAudit), ""},
	}
}

func settingsActor(u *account.User) pricing.Actor {
	name := u.Email
	if name == "" {
		name = u.Name
	}
	return pricing.Actor{ID: u.ID, Name: name}
}

type weightRateJSON struct {
	UpTo int64       `json:"up_to_grams"`
	Rate ocean.Money `json:"rate"`
}

type methodJSON struct {
	ID          string           `json:"id"`
	ZoneID      string           `json:"zone_id"`
	Code        string           `json:"code"`
	Name        string           `json:"name"`
	Countries   []string         `json:"countries"`
	Kind        string           `json:"kind"`
	Rate        ocean.Money      `json:"rate"`
	WeightRates []weightRateJSON `json:"weight_rates"`
	FreeOver    *ocean.Money     `json:"free_over"`
	Position    int              `json:"position"`
	Version     int64            `json:"version"`
	// The first shape of this resource, kept: the zone's first country,
	// the rate, and free_over's amount.
	Country   string      `json:"country"`
	Price     ocean.Money `json:"price"`
	FreeAbove *int64      `json:"free_above,omitempty"`
}

type zoneJSON struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Countries []string     `json:"countries"`
	Position  int          `json:"position"`
	Version   int64        `json:"version"`
	Methods   []methodJSON `json:"methods"`
}

func toMethodJSON(m pricing.ShippingMethod, countries []string) methodJSON {
	out := methodJSON{ID: strconv.FormatInt(m.ID, 10), ZoneID: strconv.FormatInt(m.ZoneID, 10), Code: m.Code, Name: m.Name,
		Countries: countries, Kind: m.Kind(), Rate: m.Price, WeightRates: []weightRateJSON{}, Position: m.Position, Version: m.Version,
		Country: m.Country, Price: m.Price, FreeAbove: m.FreeAbove}
	if out.Countries == nil {
		out.Countries = []string{}
	}
	for _, w := range m.WeightRates {
		out.WeightRates = append(out.WeightRates, weightRateJSON{UpTo: w.UpTo, Rate: ocean.Money{Amount: w.Price, Currency: m.Price.Currency}})
	}
	if m.FreeAbove != nil {
		out.FreeOver = &ocean.Money{Amount: *m.FreeAbove, Currency: m.Price.Currency}
	}
	return out
}

func toZoneJSON(z *pricing.Zone) zoneJSON {
	out := zoneJSON{ID: strconv.FormatInt(z.ID, 10), Name: z.Name, Countries: z.Countries, Position: z.Position, Version: z.Version, Methods: []methodJSON{}}
	if out.Countries == nil {
		out.Countries = []string{}
	}
	for _, m := range z.Methods {
		out.Methods = append(out.Methods, toMethodJSON(m, z.Countries))
	}
	return out
}

func (a *API) listZones(w http.ResponseWriter, r *http.Request, _ *account.User) {
	zs, err := a.Checkout.Zones(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]zoneJSON, len(zs))
	for i := range zs {
		out[i] = toZoneJSON(&zs[i])
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": out})
}

// zoneIn is a zone as POSTed or PATCHed: absent fields keep their value.
type zoneIn struct {
	Name      *string   `json:"name"`
	Countries *[]string `json:"countries"`
	Position  *int      `json:"position"`
	Version   *int64    `json:"version"`
}

func (in zoneIn) apply(z *pricing.Zone) {
	if in.Name != nil {
		z.Name = *in.Name
	}
	if in.Countries != nil {
		z.Countries = *in.Countries
	}
	if in.Position != nil {
		z.Position = *in.Position
	}
}

func (a *API) createZone(w http.ResponseWriter, r *http.Request, u *account.User) {
	var in zoneIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	z := &pricing.Zone{}
	in.apply(z)
	if err := a.Checkout.CreateZone(r.Context(), z, settingsActor(u)); err != nil {
		fail(w, r, err)
		return
	}
	etag(w, z.Version)
	w.Header().Set("Location", "/api/v1/admin/shipping-zones/"+strconv.FormatInt(z.ID, 10))
	httpx.WriteJSON(w, http.StatusCreated, toZoneJSON(z))
}

func (a *API) getZone(w http.ResponseWriter, r *http.Request, _ *account.User) {
	id, err := resourceID(r, "shipping zone")
	if err != nil {
		fail(w, r, err)
		return
	}
	z, err := a.Checkout.Zone(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	etag(w, z.Version)
	httpx.WriteJSON(w, http.StatusOK, toZoneJSON(z))
}

func (a *API) patchZone(w http.ResponseWriter, r *http.Request, u *account.User) {
	id, err := resourceID(r, "shipping zone")
	if err != nil {
		fail(w, r, err)
		return
	}
	cond, err := readIfMatch(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var in zoneIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	z, err := a.Checkout.Zone(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	z.Version = cond.orBody(in.Version).from(z.Version)
	in.apply(z)
	out, err := a.Checkout.UpdateZone(r.Context(), *z, settingsActor(u))
	if err != nil {
		fail(w, r, err)
		return
	}
	etag(w, out.Version)
	httpx.WriteJSON(w, http.StatusOK, toZoneJSON(out))
}

func (a *API) deleteZone(w http.ResponseWriter, r *http.Request, u *account.User) {
	id, err := resourceID(r, "shipping zone")
	if err != nil {
		fail(w, r, err)
		return
	}
	cond, err := readIfMatch(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	z, err := a.Checkout.Zone(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Checkout.DeleteZone(r.Context(), id, cond.from(z.Version), settingsActor(u)); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// methodIn is a method as POSTed or PATCHed: absent fields keep their
// value; free_over null removes it; weight_rates [] makes the rate flat.
type methodIn struct {
	ZoneID      *string           `json:"zone_id"`
	Code        *string           `json:"code"`
	Name        *string           `json:"name"`
	Rate        *ocean.Money      `json:"rate"`
	FreeOver    json.RawMessage   `json:"free_over"`
	WeightRates *[]weightRateJSON `json:"weight_rates"`
	Position    *int              `json:"position"`
	Version     *int64            `json:"version"`
}

func (in methodIn) apply(m *pricing.ShippingMethod) error {
	var fe []ocean.FieldError
	if in.ZoneID != nil {
		id, err := strconv.ParseInt(*in.ZoneID, 10, 64)
		if err != nil || id < 1 {
			fe = append(fe, ocean.FieldError{Field: "zone_id", Message: "must be a zone's id"})
		}
		m.ZoneID = id
	}
	if in.Code != nil {
		m.Code = *in.Code
	}
	if in.Name != nil {
		m.Name = *in.Name
	}
	if in.Rate != nil {
		m.Price = *in.Rate
	}
	if len(in.FreeOver) > 0 {
		if string(in.FreeOver) == "null" {
			m.FreeAbove = nil
		} else {
			var f ocean.Money
			if err := json.Unmarshal(in.FreeOver, &f); err != nil {
				fe = append(fe, ocean.FieldError{Field: "free_over", Message: "must be null or an amount like {\"amount\": 75000, \"currency\": \"ZAR\"}"})
			} else {
				if f.Currency != "" && m.Price.Currency != "" && f.Currency != m.Price.Currency {
					fe = append(fe, ocean.FieldError{Field: "free_over.currency", Message: "must be the rate's currency"})
				}
				m.FreeAbove = &f.Amount
			}
		}
	}
	if in.WeightRates != nil {
		m.WeightRates = make([]pricing.WeightRate, len(*in.WeightRates))
		for i, wr := range *in.WeightRates {
			if wr.Rate.Currency != "" && m.Price.Currency != "" && wr.Rate.Currency != m.Price.Currency {
				fe = append(fe, ocean.FieldError{Field: "weight_rates[" + strconv.Itoa(i) + "].rate.currency", Message: "must be the rate's currency"})
			}
			m.WeightRates[i] = pricing.WeightRate{UpTo: wr.UpTo, Price: wr.Rate.Amount}
		}
	}
	if in.Position != nil {
		m.Position = *in.Position
	}
	if fe != nil {
		return ocean.Invalid("The shipping method is not valid.", fe...)
	}
	return nil
}

// methodJSON shapes a method with its zone's countries.
func (a *API) methodJSON(r *http.Request, m *pricing.ShippingMethod) (methodJSON, error) {
	z, err := a.Checkout.Zone(r.Context(), m.ZoneID)
	if err != nil {
		return methodJSON{}, err
	}
	return toMethodJSON(*m, z.Countries), nil
}

func (a *API) createMethod(w http.ResponseWriter, r *http.Request, u *account.User) {
	var in methodIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	if in.Rate == nil && in.WeightRates == nil {
		fail(w, r, ocean.Invalid("The shipping method needs a rate.", ocean.FieldError{Field: "rate", Message: "is required: an amount like {\"amount\": 6000, \"currency\": \"ZAR\"}, or weight_rates"}))
		return
	}
	m := &pricing.ShippingMethod{}
	if err := in.apply(m); err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Checkout.CreateMethod(r.Context(), m, settingsActor(u)); err != nil {
		fail(w, r, err)
		return
	}
	out, err := a.methodJSON(r, m)
	if err != nil {
		fail(w, r, err)
		return
	}
	etag(w, m.Version)
	w.Header().Set("Location", "/api/v1/admin/shipping-methods/"+out.ID)
	httpx.WriteJSON(w, http.StatusCreated, out)
}

func (a *API) getMethod(w http.ResponseWriter, r *http.Request, _ *account.User) {
	id, err := resourceID(r, "shipping method")
	if err != nil {
		fail(w, r, err)
		return
	}
	m, err := a.Checkout.ShippingMethod(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	out, err := a.methodJSON(r, m)
	if err != nil {
		fail(w, r, err)
		return
	}
	etag(w, m.Version)
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) patchMethod(w http.ResponseWriter, r *http.Request, u *account.User) {
	id, err := resourceID(r, "shipping method")
	if err != nil {
		fail(w, r, err)
		return
	}
	cond, err := readIfMatch(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var in methodIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	m, err := a.Checkout.ShippingMethod(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	m.Version = cond.orBody(in.Version).from(m.Version)
	if err := in.apply(m); err != nil {
		fail(w, r, err)
		return
	}
	got, err := a.Checkout.UpdateMethod(r.Context(), *m, settingsActor(u))
	if err != nil {
		fail(w, r, err)
		return
	}
	out, err := a.methodJSON(r, got)
	if err != nil {
		fail(w, r, err)
		return
	}
	etag(w, got.Version)
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) deleteMethod(w http.ResponseWriter, r *http.Request, u *account.User) {
	id, err := resourceID(r, "shipping method")
	if err != nil {
		fail(w, r, err)
		return
	}
	cond, err := readIfMatch(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	m, err := a.Checkout.ShippingMethod(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Checkout.DeleteMethod(r.Context(), id, cond.from(m.Version), settingsActor(u)); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) settingsAudit(w http.ResponseWriter, r *http.Request, _ *account.User) {
	limit := 50
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			fail(w, r, ocean.Invalid("The audit query is not valid.", ocean.FieldError{Field: "limit", Message: "must be 1-500"}))
			return
		}
		limit = n
	}
	es, err := a.Checkout.SettingsAudit(r.Context(), limit)
	if err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": es})
}
