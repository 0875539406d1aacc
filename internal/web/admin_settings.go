package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// The shop's settings page, /admin/settings (admins only; the back office's
// route table classes "settings" as admin-only): the shop's name, contact
// email, currency, countries and "prices include tax", the tax rates, and
// the shipping zones with their methods. Every form carries the version it
// was made from; when someone else saved in between, the page says who
// changed what and shows the form again with the admin's own input, so a
// second save is a decision, never a silent loss. The rules are the
// checkout service's, the same the API applies.

func (w *Web) registerSettings(mux *http.ServeMux, page func(http.HandlerFunc) http.Handler) {
	for _, rt := range []struct {
		pattern string
		h       http.HandlerFunc
	}{
		{"GET /admin/settings", w.adminSettings},
		{"POST /admin/settings", w.adminSettingsSave},
		{"POST /admin/settings/tax", w.adminTaxSave},
		{"POST /admin/settings/zones", w.adminZoneSave},
		{"POST /admin/settings/zones/{id}", w.adminZoneSave},
		{"POST /admin/settings/zones/{id}/methods", w.adminMethodSave},
		{"POST /admin/settings/methods/{id}", w.adminMethodSave},
	} {
		mux.Handle(rt.pattern, w.secureOnly(page(rt.h)))
	}
}

type methodForm struct {
	ID   int64
	Form formState
	Kind string
	Cost string // the rate in words: "R60.00", "by weight: up to 1 kg R120.00, …"
}

type zoneForm struct {
	ID      int64
	Name    string
	Form    formState
	Methods []methodForm
	New     formState // the zone's "add a method" form
}

// appliedTax is a country and the rate it pays, for the page's table.
type appliedTax struct {
	pricing.TaxRate
	CountryName string
}

// taxChoice is an option of the tax form's "for" list.
type taxChoice struct{ Value, Label string }

type settingsChange struct {
	pricing.AuditEntry
	What string // the fields changed, or the thing created or deleted
}

type adminSettingsData struct {
	layout
	Done     string
	Shop     formState
	Currency string
	Taxes    []pricing.TaxRate // the countries' own rates and the zones' (ZoneID set)
	Applied  []appliedTax      // what each country shipped to pays
	Targets  []taxChoice       // what the tax form can set a rate for
	Tax      formState
	Zones    []zoneForm
	NewZone  formState
	Changes  []settingsChange
}

// settingsDone are the confirmations (?done=key): fixed texts.
var settingsDone = map[string]string{
	"settings": "The settings are saved.", "tax": "The tax rate is saved.", "tax-deleted": "The tax rate is removed.",
	"zone": "The shipping zone is saved.", "zone-deleted": "The shipping zone and its methods are deleted.",
	"method": "The shipping method is saved.", "method-deleted": "The shipping method is deleted.",
}

// settingsForms are the forms a render shows with the admin's input (a
// failed or conflicting save) instead of the stored values.
type settingsForms struct {
	shop, tax, newZone *formState
	zone               map[int64]*formState
	method             map[int64]*formState
	newMethod          map[int64]*formState
}

func (w *Web) adminSettings(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	w.renderSettings(rw, r, http.StatusOK, settingsForms{}, settingsDone[r.URL.Query().Get("done")])
}

func (w *Web) renderSettings(rw http.ResponseWriter, r *http.Request, status int, kept settingsForms, done string) {
	ctx := r.Context()
	if w.refusedPost(r, status) && w.redirectRefused(rw, r, "admin_settings", "/admin/settings", kept.flat(), nil) {
		return
	}
	if fl := w.takeFlash(rw, r, "admin_settings"); fl != nil {
		kept, done = settingsFormsOf(fl.Forms), ""
	}
	st, err := w.checkout.Settings(ctx)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	taxes, err := w.checkout.TaxRates(ctx)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	zoneTaxes, err := w.checkout.ZoneTaxRates(ctx)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	applied, err := w.checkout.AppliedTaxRates(ctx)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	zones, err := w.checkout.Zones(ctx)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	log, err := w.checkout.SettingsAudit(ctx, 20)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := adminSettingsData{Done: done, Currency: st.Currency, Taxes: append(zoneTaxes, taxes...)}
	for _, a := range applied {
		d.Applied = append(d.Applied, appliedTax{TaxRate: a, CountryName: countryName(a.Country)})
	}
	for _, z := range zones {
		d.Targets = append(d.Targets, taxChoice{"zone:" + strconv.FormatInt(z.ID, 10), "Zone: " + z.Name + " (" + strings.Join(z.Countries, ", ") + ")"})
	}
	for _, c := range st.Countries {
		d.Targets = append(d.Targets, taxChoice{c, countryName(c) + " (" + c + ")"})
	}
	d.Shop = keptOr(kept.shop, newForm("shop_name", st.ShopName, "contact_email", st.ContactEmail, "currency", st.Currency,
		"countries", strings.Join(st.Countries, ", "), "prices_include_tax", checked(st.PricesIncludeTax), "version", strconv.FormatInt(st.Version, 10)))
	d.Tax = keptOr(kept.tax, newForm())
	d.NewZone = keptOr(kept.newZone, newForm())
	for _, z := range zones {
		zf := zoneForm{ID: z.ID, Name: z.Name,
			Form: keptOr(kept.zone[z.ID], newForm("name", z.Name, "countries", strings.Join(z.Countries, ", "), "position", strconv.Itoa(z.Position), "version", strconv.FormatInt(z.Version, 10))),
			New:  keptOr(kept.newMethod[z.ID], newForm())}
		for _, m := range z.Methods {
			mf := methodForm{ID: m.ID, Kind: m.Kind(), Cost: rateWords(m)}
			mf.Form = keptOr(kept.method[m.ID], methodValues(m))
			zf.Methods = append(zf.Methods, mf)
		}
		d.Zones = append(d.Zones, zf)
	}
	for _, e := range log {
		d.Changes = append(d.Changes, settingsChange{AuditEntry: e, What: changedFields(e)})
	}
	d.layout = w.pageLayout(rw, r, "Settings")
	w.renderPrivate(rw, r, status, "admin_settings", d)
}

// flat names the kept forms for the flash: shop, tax, new-zone, zone:ID,
// method:ID and new-method:ID.
func (k settingsForms) flat() map[string]formState {
	out := map[string]formState{}
	for name, f := range map[string]*formState{"shop": k.shop, "tax": k.tax, "new-zone": k.newZone} {
		if f != nil {
			out[name] = *f
		}
	}
	for prefix, m := range map[string]map[int64]*formState{"zone:": k.zone, "method:": k.method, "new-method:": k.newMethod} {
		for id, f := range m {
			if f != nil {
				out[prefix+strconv.FormatInt(id, 10)] = *f
			}
		}
	}
	return out
}

// settingsFormsOf is flat's inverse.
func settingsFormsOf(forms map[string]formState) settingsForms {
	k := settingsForms{zone: map[int64]*formState{}, method: map[int64]*formState{}, newMethod: map[int64]*formState{}}
	for name, f := range forms {
		f := f
		switch name {
		case "shop":
			k.shop = &f
		case "tax":
			k.tax = &f
		case "new-zone":
			k.newZone = &f
		default:
			prefix, id, _ := strings.Cut(name, ":")
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				continue
			}
			switch prefix {
			case "zone":
				k.zone[n] = &f
			case "method":
				k.method[n] = &f
			case "new-method":
				k.newMethod[n] = &f
			}
		}
	}
	return k
}

func keptOr(kept *formState, fresh formState) formState {
	if kept != nil {
		return *kept
	}
	return fresh
}

func checked(b bool) string {
	if b {
		return "on"
	}
	return ""
}

// methodValues is a method as its edit form shows it.
func methodValues(m pricing.ShippingMethod) formState {
	f := newForm("code", m.Code, "name", m.Name, "rate", ocean.Money{Amount: m.Price.Amount, Currency: m.Price.Currency}.Plain(),
		"position", strconv.Itoa(m.Position), "version", strconv.FormatInt(m.Version, 10), "weight_rates", bracketsText(m))
	if m.FreeAbove != nil {
		f.Values["free_over"] = ocean.Money{Amount: *m.FreeAbove, Currency: m.Price.Currency}.Plain()
	}
	f.Values["rate"] = strings.ReplaceAll(f.Values["rate"], ",", "")
	f.Values["free_over"] = strings.ReplaceAll(f.Values["free_over"], ",", "")
	return f
}

// bracketsText writes weight brackets as the form takes them:
// "1000=120.00, 5000=250.00" (grams = price).
func bracketsText(m pricing.ShippingMethod) string {
	parts := make([]string, len(m.WeightRates))
	for i, b := range m.WeightRates {
		parts[i] = strconv.FormatInt(b.UpTo, 10) + "=" + strings.ReplaceAll(ocean.Money{Amount: b.Price, Currency: m.Price.Currency}.Plain(), ",", "")
	}
	return strings.Join(parts, ", ")
}

// rateWords describes what a method costs.
func rateWords(m pricing.ShippingMethod) string {
	var s string
	if len(m.WeightRates) == 0 {
		s = m.Price.String()
	} else {
		parts := make([]string, len(m.WeightRates))
		for i, b := range m.WeightRates {
			parts[i] = "up to " + pricing.Grams(b.UpTo) + " " + ocean.Money{Amount: b.Price, Currency: m.Price.Currency}.String()
		}
		s = "by weight: " + strings.Join(parts, ", ")
	}
	if m.FreeAbove != nil {
		s += "; free from " + ocean.Money{Amount: *m.FreeAbove, Currency: m.Price.Currency}.String()
	}
	return s
}

// changedFields says what an audit entry changed: the top-level fields
// whose values differ between before and after, or the whole thing.
func changedFields(e pricing.AuditEntry) string {
	if e.Before == "" || e.After == "" {
		return ""
	}
	var b, a map[string]any
	if json.Unmarshal([]byte(e.Before), &b) != nil || json.Unmarshal([]byte(e.After), &a) != nil {
		return ""
	}
	var out []string
	for k, av := range a {
		if k == "version" || k == "Version" {
			continue
		}
		bj, _ := json.Marshal(b[k])
		aj, _ := json.Marshal(av)
		if string(bj) != string(aj) {
			out = append(out, strings.ReplaceAll(strings.ToLower(k), "_", " "))
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// conflictMessage is what the page says when a save lost a race: who
// saved last and what they changed, and that the admin's input is kept.
func (w *Web) conflictMessage(r *http.Request, entity, id string) string {
	msg := "Someone else saved this since you opened the page"
	if log, err := w.checkout.SettingsAudit(r.Context(), 50); err == nil {
		for _, e := range log {
			if e.Entity == entity && e.EntityID == id {
				msg = e.Actor + " saved this at " + e.At.UTC().Format("15:04 UTC")
				if what := changedFields(e); what != "" {
					msg += ", changing " + what
				}
				break
			}
		}
	}
	return msg + ". Your changes are below and were not saved: check them against the current values and save again to keep them."
}

func (w *Web) adminSettingsSave(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return
	}
	f := newForm()
	for _, k := range []string{"shop_name", "contact_email", "currency", "countries", "prices_include_tax", "version"} {
		f.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	version, _ := strconv.ParseInt(f.Values["version"], 10, 64)
	st := pricing.Settings{ShopName: f.Values["shop_name"], ContactEmail: f.Values["contact_email"], Currency: f.Values["currency"],
		Countries: splitList(f.Values["countries"]), PricesIncludeTax: f.Values["prices_include_tax"] != "", Version: version}
	_, err := w.checkout.UpdateSettings(r.Context(), st, adminActor(s))
	if err == nil {
		http.Redirect(rw, r, "/admin/settings?done=settings", http.StatusSeeOther)
		return
	}
	status, ok := w.settingsError(rw, r, err, &f, "settings", "1")
	if !ok {
		return
	}
	if ocean.ErrorCode(err) == ocean.ESTALE {
		// The admin's input stays; the version becomes the current one, so
		// saving again is a deliberate overwrite of what they have seen.
		if cur, err := w.checkout.Settings(r.Context()); err == nil {
			f.Values["version"] = strconv.FormatInt(cur.Version, 10)
		}
	}
	w.renderSettings(rw, r, status, settingsForms{shop: &f}, "")
}

// settingsError turns a failed save into the form's message and field
// errors (a stale version: who changed what); ok is false when the page
// was answered with the error page instead.
func (w *Web) settingsError(rw http.ResponseWriter, r *http.Request, err error, f *formState, entity, id string) (int, bool) {
	switch ocean.ErrorCode(err) {
	case ocean.ESTALE:
		f.Message = w.conflictMessage(r, entity, id)
		return http.StatusConflict, true
	case ocean.ENOTFOUND:
		f.Message = ocean.ErrorMessage(err)
		return http.StatusNotFound, true
	}
	return w.formError(rw, r, err, f, map[string]string{"rate.amount": "rate", "rate.currency": "rate", "free_over.amount": "free_over"})
}

func adminActor(s *signedIn) pricing.Actor {
	return pricing.Actor{ID: s.user.ID, Name: s.user.Email}
}

// splitList splits "ZA, na ,BW" into its entries.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// taxTarget reads the tax form's "country" choice: a country code, or
// "zone:ID" for a shipping zone's rate.
func taxTarget(v string) pricing.TaxRate {
	if id, ok := strings.CutPrefix(v, "zone:"); ok {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n < 1 {
			n = -1 // refused by the service as not a zone
		}
		return pricing.TaxRate{ZoneID: n}
	}
	return pricing.TaxRate{Country: v}
}

// auditID is how the audit log names the rate (see sqldb.taxKey).
func taxAuditID(r pricing.TaxRate) string {
	if r.ZoneID != 0 {
		return "zone:" + strconv.FormatInt(r.ZoneID, 10)
	}
	return strings.ToUpper(r.Country)
}

// adminTaxSave sets a country's or a zone's rate, or (action=delete, with
// the version the row showed) removes one.
func (w *Web) adminTaxSave(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return
	}
	f := newForm()
	for _, k := range []string{"country", "name", "rate"} {
		f.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	target := taxTarget(f.Values["country"])
	if r.PostForm.Get("action") == "delete" {
		target.Version, _ = strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
		err := w.checkout.DeleteTaxRate(r.Context(), target, adminActor(s))
		if err == nil {
			http.Redirect(rw, r, "/admin/settings?done=tax-deleted", http.StatusSeeOther)
			return
		}
		f = newForm()
		if status, ok := w.settingsError(rw, r, err, &f, "tax_rate", taxAuditID(target)); ok {
			if ocean.ErrorCode(err) == ocean.ESTALE {
				f.Message = strings.Replace(f.Message, "Your changes are below and were not saved: check them against the current values and save again to keep them.", "Nothing was removed: check the rate below and remove it again if you still want to.", 1)
			}
			w.renderSettings(rw, r, status, settingsForms{tax: &f}, "")
		}
		return
	}
	// The rate is typed as a percentage with up to two decimals: 15 or 7.5.
	bp, perr := ocean.ParseMajor(strings.TrimSuffix(f.Values["rate"], "%"), "USD")
	if perr != nil || bp > pricing.MaxTaxBP {
		f.Errors["rate"] = "Enter a percentage from 0 to 100, such as 15 or 7.5."
		f.Message = "The tax rate was not saved: please correct the fields marked below."
		w.renderSettings(rw, r, http.StatusBadRequest, settingsForms{tax: &f}, "")
		return
	}
	target.Name, target.RateBP = f.Values["name"], int(bp)
	_, err := w.checkout.SetTaxRate(r.Context(), target, adminActor(s))
	if err == nil {
		http.Redirect(rw, r, "/admin/settings?done=tax", http.StatusSeeOther)
		return
	}
	status, ok := w.settingsError(rw, r, err, &f, "tax_rate", taxAuditID(target))
	if ok {
		w.renderSettings(rw, r, status, settingsForms{tax: &f}, "")
	}
}

func (w *Web) adminZoneSave(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return
	}
	ctx := r.Context()
	f := newForm()
	for _, k := range []string{"name", "countries", "position", "version"} {
		f.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	z := pricing.Zone{Name: f.Values["name"], Countries: splitList(f.Values["countries"])}
	z.Position, _ = strconv.Atoi(f.Values["position"])
	z.Version, _ = strconv.ParseInt(f.Values["version"], 10, 64)
	var err error
	done := "zone"
	kept := settingsForms{zone: map[int64]*formState{}}
	if idText := r.PathValue("id"); idText == "" {
		err = w.checkout.CreateZone(ctx, &z, adminActor(s))
		kept.newZone = &f
	} else {
		z.ID, _ = strconv.ParseInt(idText, 10, 64)
		kept.zone[z.ID] = &f
		if r.PostForm.Get("action") == "delete" {
			err, done = w.checkout.DeleteZone(ctx, z.ID, z.Version, adminActor(s)), "zone-deleted"
		} else {
			_, err = w.checkout.UpdateZone(ctx, z, adminActor(s))
		}
	}
	if err == nil {
		http.Redirect(rw, r, "/admin/settings?done="+done+"#zones", http.StatusSeeOther)
		return
	}
	status, ok := w.settingsError(rw, r, err, &f, "zone", strconv.FormatInt(z.ID, 10))
	if !ok {
		return
	}
	if ocean.ErrorCode(err) == ocean.ESTALE {
		if cur, err := w.checkout.Zone(ctx, z.ID); err == nil {
			f.Values["version"] = strconv.FormatInt(cur.Version, 10)
		}
	}
	w.renderSettings(rw, r, status, kept, "")
}

func (w *Web) adminMethodSave(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return
	}
	ctx := r.Context()
	f := newForm()
	for _, k := range []string{"code", "name", "rate", "free_over", "weight_rates", "position", "version", "zone_id"} {
		f.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	if strings.HasPrefix(r.URL.Path, "/admin/settings/methods/") && r.PostForm.Get("action") == "delete" {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		version, _ := strconv.ParseInt(f.Values["version"], 10, 64)
		err := w.checkout.DeleteMethod(ctx, id, version, adminActor(s))
		if err == nil {
			http.Redirect(rw, r, "/admin/settings?done=method-deleted#zones", http.StatusSeeOther)
			return
		}
		if status, ok := w.settingsError(rw, r, err, &f, "method", strconv.FormatInt(id, 10)); ok {
			w.renderSettings(rw, r, status, settingsForms{method: map[int64]*formState{id: &f}}, "")
		}
		return
	}
	cur := w.shopCurrency(r)
	m := pricing.ShippingMethod{Code: f.Values["code"], Name: f.Values["name"], Price: ocean.Money{Currency: cur}}
	m.Position, _ = strconv.Atoi(f.Values["position"])
	m.Version, _ = strconv.ParseInt(f.Values["version"], 10, 64)
	if a, err := ocean.ParseMajor(strings.ReplaceAll(f.Values["rate"], ",", ""), cur); err == nil {
		m.Price.Amount = a
	} else if f.Values["rate"] != "" || f.Values["weight_rates"] == "" {
		f.Errors["rate"] = "Enter the price in " + cur + ", such as 60.00."
	}
	if t := f.Values["free_over"]; t != "" {
		a, err := ocean.ParseMajor(strings.ReplaceAll(t, ",", ""), cur)
		if err != nil {
			f.Errors["free_over"] = "Enter an amount in " + cur + ", such as 750.00, or leave it empty."
		}
		m.FreeAbove = &a
	}
	for _, part := range splitList(strings.ReplaceAll(f.Values["weight_rates"], ";", ",")) {
		g, price, ok := strings.Cut(part, "=")
		grams, gerr := strconv.ParseInt(strings.TrimSpace(g), 10, 64)
		amount, aerr := ocean.ParseMajor(strings.TrimSpace(price), cur)
		if !ok || gerr != nil || aerr != nil {
			f.Errors["weight_rates"] = "Write each bracket as grams=price, such as 1000=120.00, 5000=250.00."
			break
		}
		m.WeightRates = append(m.WeightRates, pricing.WeightRate{UpTo: grams, Price: amount})
	}
	kept := settingsForms{method: map[int64]*formState{}, newMethod: map[int64]*formState{}}
	var id int64
	isNew := r.PathValue("id") == "" || strings.HasSuffix(r.URL.Path, "/methods")
	if isNew {
		m.ZoneID, _ = strconv.ParseInt(r.PathValue("id"), 10, 64)
		kept.newMethod[m.ZoneID] = &f
	} else {
		id, _ = strconv.ParseInt(r.PathValue("id"), 10, 64)
		kept.method[id] = &f
	}
	if len(f.Errors) > 0 {
		f.Message = "The shipping method was not saved: please correct the fields marked below."
		w.renderSettings(rw, r, http.StatusBadRequest, kept, "")
		return
	}
	var err error
	switch {
	case isNew:
		err = w.checkout.CreateMethod(ctx, &m, adminActor(s))
	default:
		var old *pricing.ShippingMethod
		if old, err = w.checkout.ShippingMethod(ctx, id); err == nil {
			m.ID, m.ZoneID = id, old.ZoneID
			_, err = w.checkout.UpdateMethod(ctx, m, adminActor(s))
		}
	}
	if err == nil {
		http.Redirect(rw, r, "/admin/settings?done=method#zones", http.StatusSeeOther)
		return
	}
	status, ok := w.settingsError(rw, r, err, &f, "method", strconv.FormatInt(id, 10))
	if !ok {
		return
	}
	if ocean.ErrorCode(err) == ocean.ESTALE {
		if cur, err := w.checkout.ShippingMethod(ctx, id); err == nil {
			f.Values["version"] = strconv.FormatInt(cur.Version, 10)
		}
	}
	w.renderSettings(rw, r, status, kept, "")
}
