// Package pricing computes what a shopper pays: line totals, discount codes,
// shipping and tax, in one place, so the cart page, the checkout, the API
// and the order all show the same numbers.
//
// The rounding rule: every amount is integer minor units. Rounding happens
// once per component at the order level, never per line, half away from
// zero: the percentage discount of the subtotal, then the tax of
// (subtotal − discount + shipping). With tax-inclusive prices the tax is the
// part of that amount the rate makes up: round(amount × r / (1 + r)); with
// tax-exclusive prices it is added: round(amount × r).
package pricing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Line is one priced line of a cart or order.
type Line struct {
	VariantID int64
	UnitPrice ocean.Money
	Quantity  int
}

// Discount kinds.
const (
	Percent      = "percent"
	Fixed        = "fixed"
	FreeShipping = "free_shipping"
)

// Discount is a code a shopper can enter.
type Discount struct {
	ID               int64      `json:"-"`
	Code             string     `json:"code"`
	Kind             string     `json:"kind"`
	Value            int64      `json:"value"` // percent 1-100, or minor units for fixed
	Currency         string     `json:"currency,omitempty"`
	MinSubtotal      int64      `json:"min_subtotal"`
	StartsAt         *time.Time `json:"starts_at,omitempty"`
	EndsAt           *time.Time `json:"ends_at,omitempty"`
	UsageLimit       *int       `json:"usage_limit,omitempty"`
	PerCustomerLimit *int       `json:"per_customer_limit,omitempty"`
	Used             int        `json:"used"`
}

// NormalizeCode is how codes compare: trimmed and upper case.
func NormalizeCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// Validate checks a discount definition.
func (d *Discount) Validate() error {
	var fe []ocean.FieldError
	d.Code = NormalizeCode(d.Code)
	if l := len(d.Code); l < 3 || l > 32 || strings.Trim(d.Code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
		fe = append(fe, ocean.FieldError{Field: "code", Message: "must be 3-32 letters, digits, dashes or underscores"})
	}
	switch d.Kind {
	case Percent:
		if d.Value < 1 || d.Value > 100 {
			fe = append(fe, ocean.FieldError{Field: "value", Message: "a percentage must be between 1 and 100"})
		}
	case Fixed:
		if d.Value < 1 {
			fe = append(fe, ocean.FieldError{Field: "value", Message: "a fixed amount must be positive"})
		}
		if len(d.Currency) != 3 {
			fe = append(fe, ocean.FieldError{Field: "currency", Message: "a fixed amount needs a currency"})
		}
	case FreeShipping:
	default:
		fe = append(fe, ocean.FieldError{Field: "kind", Message: "must be percent, fixed or free_shipping"})
	}
	if d.MinSubtotal < 0 {
		fe = append(fe, ocean.FieldError{Field: "min_subtotal", Message: "cannot be negative"})
	}
	if d.StartsAt != nil && d.EndsAt != nil && !d.EndsAt.After(*d.StartsAt) {
		fe = append(fe, ocean.FieldError{Field: "ends_at", Message: "must be after starts_at"})
	}
	if d.UsageLimit != nil && *d.UsageLimit < 1 {
		fe = append(fe, ocean.FieldError{Field: "usage_limit", Message: "must be at least 1"})
	}
	if d.PerCustomerLimit != nil && *d.PerCustomerLimit < 1 {
		fe = append(fe, ocean.FieldError{Field: "per_customer_limit", Message: "must be at least 1"})
	}
	if fe != nil {
		return ocean.Invalid("The discount is not valid.", fe...)
	}
	return nil
}

// Check says whether the code can be used on a subtotal at a time. It does
// not check usage limits: those are counted in the checkout's transaction.
func (d *Discount) Check(subtotal ocean.Money, now time.Time) error {
	if d.StartsAt != nil && now.Before(*d.StartsAt) {
		return ocean.Errorf(ocean.EUNPROCESSABLE, "The code %s is not valid yet.", d.Code)
	}
	if d.EndsAt != nil && !now.Before(*d.EndsAt) {
		return ocean.Errorf(ocean.EUNPROCESSABLE, "The code %s has expired.", d.Code)
	}
	if d.UsageLimit != nil && d.Used >= *d.UsageLimit {
		return ocean.Errorf(ocean.EUNPROCESSABLE, "The code %s has been used up.", d.Code)
	}
	if d.Kind == Fixed && d.Currency != subtotal.Currency && subtotal.Currency != "" {
		return ocean.Errorf(ocean.EUNPROCESSABLE, "The code %s is for %s prices.", d.Code, d.Currency)
	}
	if subtotal.Amount < d.MinSubtotal {
		return ocean.Errorf(ocean.EUNPROCESSABLE, "The code %s needs a subtotal of at least %s.", d.Code, ocean.Money{Amount: d.MinSubtotal, Currency: subtotal.Currency})
	}
	return nil
}

// ShippingMethod is one way to send an order to the countries of a zone:
// a flat price, or a price per weight bracket (WeightRates), free from a
// subtotal (FreeAbove) either way.
type ShippingMethod struct {
	ID     int64  `json:"-"`
	ZoneID int64  `json:"-"`
	Code   string `json:"code"`
	Name   string `json:"name"`
	// Country is, when read for a country, that country or RestOfWorld
	// when the method is the rest of the world's; when read for the admin,
	// the zone's first country. A method created with no ZoneID goes to
	// the zone listing exactly this country (made when missing).
	Country     string       `json:"country"`
	Price       ocean.Money  `json:"price"`
	FreeAbove   *int64       `json:"free_above,omitempty"` // free from this subtotal (after discount)
	WeightRates []WeightRate `json:"weight_rates,omitempty"`
	Position    int          `json:"-"`
	Version     int64        `json:"-"`
}

// Cost is what the method costs for a discounted subtotal, ignoring
// weight brackets (a weight-priced method's base price).
func (m ShippingMethod) Cost(discounted int64) int64 {
	if m.FreeAbove != nil && discounted >= *m.FreeAbove {
		return 0
	}
	return m.Price.Amount
}

// Totals are what an order costs, every part in the same currency.
type Totals struct {
	Subtotal    ocean.Money `json:"subtotal"`
	Discount    ocean.Money `json:"discount"`
	Shipping    ocean.Money `json:"shipping"`
	Tax         ocean.Money `json:"tax"`
	Total       ocean.Money `json:"total"`
	TaxIncluded bool        `json:"tax_included"`
	TaxName     string      `json:"tax_name,omitempty"`
}

// Input is everything a total depends on.
type Input struct {
	Currency    string
	Lines       []Line
	Discount    *Discount       // already checked with Check
	Shipping    *ShippingMethod // nil before the shopper picked one
	Weight      int64           // grams, for weight-priced shipping
	Tax         *TaxRate        // nil: no tax known for the destination yet
	TaxIncluded bool            // prices already include tax
}

// Compute returns the totals. It fails only on a currency mismatch or an
// overflow, which a shop cannot reach with sane prices and quantities.
func Compute(in Input) (Totals, error) {
	cur := in.Currency
	money := func(a int64) ocean.Money { return ocean.Money{Amount: a, Currency: cur} }
	var sub int64
	for _, l := range in.Lines {
		if l.UnitPrice.Currency != cur {
			return Totals{}, ocean.Errorf(ocean.EUNPROCESSABLE, "The cart mixes %s and %s prices.", cur, l.UnitPrice.Currency)
		}
		if l.Quantity < 0 || l.UnitPrice.Amount < 0 || l.UnitPrice.Amount > (1<<44)/int64(max(l.Quantity, 1)) {
			return Totals{}, ocean.Errorf(ocean.EUNPROCESSABLE, "A line of the cart is too large to price; lower its quantity.")
		}
		sub += l.UnitPrice.Amount * int64(l.Quantity)
		if sub > 1<<44 {
			return Totals{}, ocean.Errorf(ocean.EUNPROCESSABLE, "The cart is too large to price; remove some items.")
		}
	}
	var disc int64
	freeShip := false
	if d := in.Discount; d != nil {
		switch d.Kind {
		case Percent:
			disc = roundDiv(sub*d.Value, 100)
		case Fixed:
			disc = min(d.Value, sub)
		case FreeShipping:
			freeShip = true
		}
	}
	after := sub - disc
	var ship int64
	if in.Shipping != nil && !freeShip {
		if in.Shipping.Price.Currency != cur {
			return Totals{}, ocean.Errorf(ocean.EUNPROCESSABLE, "The shipping method is priced in %s, the cart in %s.", in.Shipping.Price.Currency, cur)
		}
		c, ok := in.Shipping.Quote(after, in.Weight)
		if !ok {
			return Totals{}, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("%s does not carry parcels of %s; choose another shipping method.", in.Shipping.Name, Grams(in.Weight)),
				Fields: []ocean.FieldError{{Field: "shipping_method", Message: "does not carry a cart of this weight"}}}
		}
		ship = c
	}
	base := after + ship
	t := Totals{Subtotal: money(sub), Discount: money(disc), Shipping: money(ship), TaxIncluded: in.TaxIncluded}
	var tax int64
	if in.Tax != nil && in.Tax.RateBP > 0 {
		t.TaxName = in.Tax.Name
		bp := int64(in.Tax.RateBP)
		if in.TaxIncluded {
			tax = roundDiv(base*bp, 10000+bp)
		} else {
			tax = roundDiv(base*bp, 10000)
		}
	}
	t.Tax = money(tax)
	t.Total = money(base)
	if !in.TaxIncluded {
		t.Total = money(base + tax)
	}
	return t, nil
}

// roundDiv divides non-negative a by positive b, rounding half up.
func roundDiv(a, b int64) int64 { return (a*2 + b) / (b * 2) }

// Store reads and writes the pricing rules.
type Store interface {
	DiscountByCode(ctx context.Context, code string) (*Discount, error) // ENOTFOUND
	Discounts(ctx context.Context) ([]Discount, error)
	CreateDiscount(ctx context.Context, d *Discount) error // ECONFLICT on a taken code
	// ShippingMethods returns the methods for a country: those of the
	// zone listing it, or when no zone does, those of the RestOfWorld zone.
	ShippingMethods(ctx context.Context, country string) ([]ShippingMethod, error)
	AllShippingMethods(ctx context.Context) ([]ShippingMethod, error)
	// CreateShippingMethod adds m to zone m.ZoneID (ENOTFOUND when it is
	// gone), or with no ZoneID to the zone listing exactly m.Country, made
	// when missing. ECONFLICT when the zone has a method with the code.
	CreateShippingMethod(ctx context.Context, m *ShippingMethod) error
	// TaxRate is the rate country pays (see TaxFor): its own, else its
	// zone's, with Country set to country and, for a zone's rate, ZoneID
	// and Zone. ENOTFOUND when neither has one (never nil, nil).
	TaxRate(ctx context.Context, country string) (*TaxRate, error)
	// SetTaxRate writes a country's own rate without an audit entry (the
	// demo data).
	SetTaxRate(ctx context.Context, r TaxRate) error
	TaxRates(ctx context.Context) ([]TaxRate, error) // countries' own rates, by country
	// ZoneTaxRates lists the zones' rates by zone position and name.
	ZoneTaxRates(ctx context.Context) ([]TaxRate, error)
	// Settings reads the shop's settings row.
	Settings(ctx context.Context) (*Settings, error)
	// UpdateSettings writes s if the stored version is still s.Version
	// (ESTALE otherwise) and returns the row with its new version; the
	// audit entry is written in the same transaction.
	UpdateSettings(ctx context.Context, s Settings, a Actor) (*Settings, error)

	ZoneStore
}

// ZoneStore keeps the shipping zones and their methods. Every write is one
// transaction that also writes its audit entry (who, before, after); a
// write naming a stale version is ESTALE and changes nothing, one on a
// missing zone or method ENOTFOUND.
type ZoneStore interface {
	// Zones lists every zone with its methods, by position and name.
	Zones(ctx context.Context) ([]Zone, error)
	Zone(ctx context.Context, id int64) (*Zone, error)
	// CreateZone adds z (ID and Version set on return): ECONFLICT naming
	// the field when another zone has the name or lists one of the
	// countries.
	CreateZone(ctx context.Context, z *Zone, a Actor) error
	// UpdateZone writes z's name, countries and position if its version is
	// still z.Version, and returns it with the new version.
	UpdateZone(ctx context.Context, z Zone, a Actor) (*Zone, error)
	// DeleteZone removes a zone and its methods.
	DeleteZone(ctx context.Context, id, version int64, a Actor) error
	ShippingMethod(ctx context.Context, id int64) (*ShippingMethod, error)
	// AddShippingMethod is CreateShippingMethod with an audit entry.
	AddShippingMethod(ctx context.Context, m *ShippingMethod, a Actor) error
	// UpdateShippingMethod writes m (its zone may change) if its version
	// is still m.Version; ECONFLICT when the target zone has the code.
	UpdateShippingMethod(ctx context.Context, m ShippingMethod, a Actor) (*ShippingMethod, error)
	DeleteShippingMethod(ctx context.Context, id, version int64, a Actor) error
	// PutTaxRate creates or replaces a country's own rate (r.Country) or
	// a zone's (r.ZoneID; ENOTFOUND when the zone is gone) with an audit
	// entry, and returns it with its new version. r.Version 0 writes
	// whatever is stored; another version must be the stored one (ESTALE
	// otherwise, also when the rate was deleted meanwhile).
	PutTaxRate(ctx context.Context, r TaxRate, a Actor) (*TaxRate, error)
	// DeleteTaxRate removes a country's or a zone's rate (ENOTFOUND when
	// it has none), if its version is still r.Version (0: any).
	DeleteTaxRate(ctx context.Context, r TaxRate, a Actor) error
	// SettingsAudit lists the newest entries first, at most limit.
	SettingsAudit(ctx context.Context, limit int) ([]AuditEntry, error)
}

// Grams formats a weight for people: 850 g, 1.25 kg.
func Grams(g int64) string {
	if g < 1000 {
		return fmt.Sprintf("%d g", g)
	}
	s := strings.TrimRight(fmt.Sprintf("%d.%03d", g/1000, g%1000), "0")
	return strings.TrimSuffix(s, ".") + " kg"
}
