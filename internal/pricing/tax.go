package pricing

import (
	"fmt"
	"strings"

	"github.com/oceanshop/ocean/internal/ocean"
)

// MaxTaxBP is the highest tax rate, in basis points: 100%.
const MaxTaxBP = 10000

// TaxRate is a rate of sales tax or VAT: a country's own (Country set) or
// a shipping zone's (ZoneID set), which every country of the zone pays
// unless it has a rate of its own. The rate a destination pays (TaxFor,
// Store.TaxRate) has Country set to the destination and, when it comes
// from the zone, ZoneID and Zone too. Version counts the rate's changes.
type TaxRate struct {
	Country string `json:"country,omitempty"`
	ZoneID  int64  `json:"zone_id,string,omitempty"`
	Zone    string `json:"zone,omitempty"` // the zone's name, read only
	Name    string `json:"name"`
	RateBP  int    `json:"rate_bp"` // basis points: 1500 is 15%
	Version int64  `json:"version,omitempty"`
}

// Percent formats the rate for people: "15%", "7.5%", "0.25%".
func (r TaxRate) Percent() string {
	s := fmt.Sprintf("%d.%02d", r.RateBP/100, r.RateBP%100)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".") + "%"
}

// Label is the rate's name without a trailing percentage ("VAT 15%" is
// "VAT"), for notices that speak of the tax rather than the rate; "" when
// the rate has no name.
func (r TaxRate) Label() string {
	f := strings.Fields(r.Name)
	if n := len(f); n > 1 && strings.HasSuffix(f[n-1], "%") && strings.Trim(f[n-1], "0123456789.,%") == "" {
		f = f[:n-1]
	}
	return strings.Join(f, " ")
}

// Normalize trims the name and upper-cases the country; a rate without a
// name is named after its percentage ("Tax 15%").
func (r *TaxRate) Normalize() {
	r.Country = strings.ToUpper(strings.TrimSpace(r.Country))
	r.Name = strings.Join(strings.Fields(r.Name), " ")
	if r.Name == "" && r.RateBP >= 0 && r.RateBP <= MaxTaxBP {
		r.Name = "Tax " + r.Percent()
	}
}

// Validate checks a rate an admin submitted (after Normalize): for exactly
// one country or one zone, 0 to 100%, a name of up to 60 characters.
// Whether the shop ships to the country or the zone exists is the
// service's check (it needs the store).
func (r *TaxRate) Validate() error {
	var fe []ocean.FieldError
	add := func(f, m string) { fe = append(fe, ocean.FieldError{Field: f, Message: m}) }
	switch {
	case r.Country != "" && r.ZoneID != 0:
		add("zone_id", "give a country or a zone, not both")
	case r.ZoneID < 0:
		add("zone_id", "must be a shipping zone's id")
	case r.ZoneID == 0 && !ocean.IsCountry(r.Country):
		add("country", "must be an ISO 3166-1 two-letter country code such as ZA")
	}
	outOfRange := r.RateBP < 0 || r.RateBP > MaxTaxBP
	// Normalize names a rate in range; one out of range has no name to
	// complain about.
	if !plainText(r.Name, 1, 60) && (r.Name != "" || !outOfRange) {
		add("name", "must be up to 60 characters on one line")
	}
	if r.Version < 0 {
		add("version", "must be a version the rate had")
	}
	if outOfRange {
		add("rate_bp", fmt.Sprintf("must be 0 to %d basis points, 0%% to 100%% (1500 is 15%%)", MaxTaxBP))
	}
	switch {
	case len(fe) == 1 && outOfRange:
		// A well-formed number no rate can be: unprocessable (422), as a
		// country the shop does not ship to or a zone it does not have.
		return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "A tax rate is 0% to 100%.", Fields: fe}
	case fe != nil:
		return ocean.Invalid("The tax rate is not valid.", fe...)
	}
	return nil
}

// TaxFor is the rate a country pays: its own rate if it has one, else the
// rate of its shipping zone (the zone listing it or, when none does, the
// RestOfWorld zone: the same zone whose methods it is offered), else nil
// (no tax). The result has Country set to country.
func TaxFor(country string, zones []Zone, countryRates, zoneRates []TaxRate) *TaxRate {
	for _, r := range countryRates {
		if r.Country == country {
			r.ZoneID, r.Zone = 0, ""
			return &r
		}
	}
	var own, rest int64
	for _, z := range zones {
		if z.Covers(country) {
			own = z.ID
			break
		}
		if z.Covers(RestOfWorld) {
			rest = z.ID
		}
	}
	zone := own
	if zone == 0 {
		zone = rest
	}
	if zone == 0 {
		return nil
	}
	for _, r := range zoneRates {
		if r.ZoneID == zone {
			r.Country = country
			return &r
		}
	}
	return nil
}
