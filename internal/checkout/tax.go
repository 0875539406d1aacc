package checkout

import (
	"context"
	"strconv"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// Tax rates: a zone's rate applies to every country of the zone, a
// country's own rate overrides it (pricing.TaxFor). The admin page and the
// API call these, so both refuse the same things: a rate outside 0–100%
// (EINVALID), a country the shop does not ship to or a zone that does not
// exist (EUNPROCESSABLE), a stale version (ESTALE).

// TaxRates lists the countries' own rates, by country.
func (s *Service) TaxRates(ctx context.Context) ([]pricing.TaxRate, error) {
	return s.c.Pricing.TaxRates(ctx)
}

// ZoneTaxRates lists the zones' rates in the zones' order.
func (s *Service) ZoneTaxRates(ctx context.Context) ([]pricing.TaxRate, error) {
	return s.c.Pricing.ZoneTaxRates(ctx)
}

// TaxRate is the rate a destination pays (nil: no tax), as checkout
// charges it.
func (s *Service) TaxRate(ctx context.Context, country string) (*pricing.TaxRate, error) {
	r, err := s.c.Pricing.TaxRate(ctx, country)
	if ocean.ErrorCode(err) == ocean.ENOTFOUND {
		return nil, nil
	}
	return r, err
}

// AppliedTaxRates lists, for every country the shop ships to in the
// settings' order, the rate it pays (pricing.TaxFor): an entry with Name ""
// and RateBP 0 pays none.
func (s *Service) AppliedTaxRates(ctx context.Context) ([]pricing.TaxRate, error) {
	st, err := s.c.Pricing.Settings(ctx)
	if err != nil {
		return nil, err
	}
	zones, err := s.c.Pricing.Zones(ctx)
	if err != nil {
		return nil, err
	}
	own, err := s.c.Pricing.TaxRates(ctx)
	if err != nil {
		return nil, err
	}
	zoned, err := s.c.Pricing.ZoneTaxRates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]pricing.TaxRate, len(st.Countries))
	for i, c := range st.Countries {
		out[i] = pricing.TaxRate{Country: c}
		if r := pricing.TaxFor(c, zones, own, zoned); r != nil {
			out[i] = *r
		}
	}
	return out, nil
}

// SetTaxRate validates and writes a country's own rate (r.Country) or a
// zone's (r.ZoneID); r.Version is the version it was edited from (0:
// overwrite). It returns the stored rate with its new version.
func (s *Service) SetTaxRate(ctx context.Context, r pricing.TaxRate, a pricing.Actor) (*pricing.TaxRate, error) {
	s.rulesChanged()
	defer s.rulesChanged()
	r.Normalize()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := s.taxTarget(ctx, r); err != nil {
		return nil, err
	}
	out, err := s.c.Pricing.PutTaxRate(ctx, r, a)
	if ocean.ErrorCode(err) == ocean.ENOTFOUND && r.ZoneID != 0 {
		return nil, noZone(r.ZoneID) // deleted since taxTarget looked
	}
	return out, err
}

// DeleteTaxRate removes a country's own rate (it then pays its zone's) or
// a zone's; ENOTFOUND when there is none, ESTALE when r.Version is set and
// no longer current.
func (s *Service) DeleteTaxRate(ctx context.Context, r pricing.TaxRate, a pricing.Actor) error {
	s.rulesChanged()
	defer s.rulesChanged()
	r.Normalize()
	if r.ZoneID == 0 && !ocean.IsCountry(r.Country) {
		return ocean.Invalid("The tax rate is not valid.", ocean.FieldError{Field: "country", Message: "must be an ISO 3166-1 two-letter country code such as ZA"})
	}
	return s.c.Pricing.DeleteTaxRate(ctx, r, a)
}

// taxTarget refuses a rate for a country the shop does not ship to or a
// zone that does not exist.
func (s *Service) taxTarget(ctx context.Context, r pricing.TaxRate) error {
	if r.ZoneID == 0 {
		return s.shipsTo(ctx, r.Country, "country")
	}
	_, err := s.c.Pricing.Zone(ctx, r.ZoneID)
	if ocean.ErrorCode(err) == ocean.ENOTFOUND {
		return noZone(r.ZoneID)
	}
	return err
}

func noZone(id int64) error {
	return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "There is no shipping zone " + strconv.FormatInt(id, 10) + "; a zone's tax rate needs the zone.",
		Fields: []ocean.FieldError{{Field: "zone_id", Message: "must be one of the shop's shipping zones"}}}
}
