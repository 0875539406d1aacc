package checkout

import (
	"context"
	"fmt"
	"strings"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// The merchant's shipping zones and methods. The same rules hold for the
// admin page and the API because both call these: a zone's countries must
// be ones the shop ships to, every price is in the shop's currency, and a
// stale version changes nothing (ESTALE).

// Zones lists every zone with its methods.
func (s *Service) Zones(ctx context.Context) ([]pricing.Zone, error) { return s.c.Pricing.Zones(ctx) }

// Zone returns one zone with its methods.
func (s *Service) Zone(ctx context.Context, id int64) (*pricing.Zone, error) {
	return s.c.Pricing.Zone(ctx, id)
}

// ShippingMethod returns one method.
func (s *Service) ShippingMethod(ctx context.Context, id int64) (*pricing.ShippingMethod, error) {
	return s.c.Pricing.ShippingMethod(ctx, id)
}

// SettingsAudit lists the latest changes to settings, zones, methods and
// tax rates.
func (s *Service) SettingsAudit(ctx context.Context, limit int) ([]pricing.AuditEntry, error) {
	return s.c.Pricing.SettingsAudit(ctx, limit)
}

// zoneShips refuses (EUNPROCESSABLE on countries) a zone listing a country
// the shop does not ship to.
func (s *Service) zoneShips(ctx context.Context, z *pricing.Zone) error {
	st, err := s.c.Pricing.Settings(ctx)
	if err != nil {
		return err
	}
	var not []string
	for _, c := range z.Countries {
		if c != pricing.RestOfWorld && !st.Ships(c) {
			not = append(not, c)
		}
	}
	if not != nil {
		return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "The shop does not ship to " + strings.Join(not, ", ") + "; add them to the settings' countries first.",
			Fields: []ocean.FieldError{{Field: "countries", Message: "must be countries the shop ships to (" + strings.Join(not, ", ") + " are not)"}}}
	}
	return nil
}

// CreateZone validates and adds a zone.
func (s *Service) CreateZone(ctx context.Context, z *pricing.Zone, a pricing.Actor) error {
	s.rulesChanged()
	defer s.rulesChanged()
	z.Normalize()
	if err := z.Validate(); err != nil {
		return err
	}
	if err := s.zoneShips(ctx, z); err != nil {
		return err
	}
	z.Methods = nil
	return s.c.Pricing.CreateZone(ctx, z, a)
}

// UpdateZone validates and writes a zone; z.Version is the version the
// change was made from.
func (s *Service) UpdateZone(ctx context.Context, z pricing.Zone, a pricing.Actor) (*pricing.Zone, error) {
	s.rulesChanged()
	defer s.rulesChanged()
	z.Normalize()
	if err := z.Validate(); err != nil {
		return nil, err
	}
	if err := s.zoneShips(ctx, &z); err != nil {
		return nil, err
	}
	return s.c.Pricing.UpdateZone(ctx, z, a)
}

// DeleteZone removes a zone and its methods.
func (s *Service) DeleteZone(ctx context.Context, id, version int64, a pricing.Actor) error {
	s.rulesChanged()
	defer s.rulesChanged()
	return s.c.Pricing.DeleteZone(ctx, id, version, a)
}

// checkMethod normalises and validates m against the shop's currency.
func (s *Service) checkMethod(ctx context.Context, m *pricing.ShippingMethod) error {
	st, err := s.c.Pricing.Settings(ctx)
	if err != nil {
		return err
	}
	if m.Price.Currency == "" {
		m.Price.Currency = st.Currency
	}
	m.Normalize()
	if err := m.Validate(st.Currency); err != nil {
		return err
	}
	if m.ZoneID < 1 {
		return ocean.Invalid("The shipping method needs a zone.", ocean.FieldError{Field: "zone_id", Message: "is required"})
	}
	return nil
}

// CreateMethod validates and adds a method to its zone.
func (s *Service) CreateMethod(ctx context.Context, m *pricing.ShippingMethod, a pricing.Actor) error {
	s.rulesChanged()
	defer s.rulesChanged()
	if err := s.checkMethod(ctx, m); err != nil {
		return err
	}
	return s.c.Pricing.AddShippingMethod(ctx, m, a)
}

// UpdateMethod validates and writes a method; m.Version is the version the
// change was made from.
func (s *Service) UpdateMethod(ctx context.Context, m pricing.ShippingMethod, a pricing.Actor) (*pricing.ShippingMethod, error) {
	s.rulesChanged()
	defer s.rulesChanged()
	if err := s.checkMethod(ctx, &m); err != nil {
		return nil, err
	}
	return s.c.Pricing.UpdateShippingMethod(ctx, m, a)
}

// DeleteMethod removes a method.
func (s *Service) DeleteMethod(ctx context.Context, id, version int64, a pricing.Actor) error {
	s.rulesChanged()
	defer s.rulesChanged()
	return s.c.Pricing.DeleteShippingMethod(ctx, id, version, a)
}

// MethodQuote is a method as offered for one cart: its cost for the cart's
// subtotal and weight, or why it is not offered.
type MethodQuote struct {
	pricing.ShippingMethod
	Cost      ocean.Money
	Available bool
	Reason    string // why not, for people
}

// QuoteMethods lists the methods for country priced for a discounted
// subtotal and a weight in grams; methods that cannot carry the weight are
// listed as unavailable.
func (s *Service) QuoteMethods(ctx context.Context, country string, discounted, grams int64) ([]MethodQuote, error) {
	ms, err := s.ShippingMethods(ctx, country)
	if err != nil {
		return nil, err
	}
	out := make([]MethodQuote, len(ms))
	for i, m := range ms {
		c, ok := m.Quote(discounted, grams)
		out[i] = MethodQuote{ShippingMethod: m, Cost: ocean.Money{Amount: c, Currency: m.Price.Currency}, Available: ok}
		if !ok {
			out[i].Reason = fmt.Sprintf("Not for parcels of %s", pricing.Grams(grams))
		}
	}
	return out, nil
}

// ShipsTo refuses (EUNPROCESSABLE, naming field) a country the shop's
// settings do not list: the one check the address books, the shipping
// methods and checkout share, so every door refuses the same countries.
func (s *Service) ShipsTo(ctx context.Context, country, field string) error {
	return s.shipsTo(ctx, strings.ToUpper(strings.TrimSpace(country)), field)
}
