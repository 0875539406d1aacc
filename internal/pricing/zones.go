package pricing

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// RestOfWorld is the country entry of the zone that serves every country no
// other zone lists.
const RestOfWorld = "*"

// MaxRate is the largest shipping price or free-over amount, in minor units.
const MaxRate = 100_000_000

// Zone is a named set of countries with its own shipping methods. A country
// is in at most one zone; a country in none gets the methods of the zone
// listing RestOfWorld (if any). Version counts its changes.
type Zone struct {
	ID        int64            `json:"id"`
	Name      string           `json:"name"`
	Countries []string         `json:"countries"`
	Position  int              `json:"position"`
	Version   int64            `json:"version"`
	Methods   []ShippingMethod `json:"methods"`
}

// Covers reports whether the zone lists country (RestOfWorld counts only
// for itself).
func (z *Zone) Covers(country string) bool { return slices.Contains(z.Countries, country) }

// Normalize trims the name and upper-cases the countries, dropping blanks
// and repeats (the order given is kept).
func (z *Zone) Normalize() {
	z.Name = strings.Join(strings.Fields(z.Name), " ")
	seen := map[string]bool{}
	out := make([]string, 0, len(z.Countries))
	for _, c := range z.Countries {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	z.Countries = out
}

// Validate checks a zone after Normalize: a name, at least one country,
// each an ISO 3166-1 code or RestOfWorld. Whether the shop ships to them
// is the service's check (it needs the settings).
func (z *Zone) Validate() error {
	var fe []ocean.FieldError
	if !plainText(z.Name, 1, 60) {
		fe = append(fe, ocean.FieldError{Field: "name", Message: "is required (up to 60 characters)"})
	}
	if len(z.Countries) == 0 {
		fe = append(fe, ocean.FieldError{Field: "countries", Message: "must list at least one country (or * for the rest of the world)"})
	}
	for _, c := range z.Countries {
		if c != RestOfWorld && !ocean.IsCountry(c) {
			fe = append(fe, ocean.FieldError{Field: "countries", Message: c + " is not an ISO 3166-1 two-letter country code"})
			break
		}
	}
	if z.Position < 0 || z.Position > 10000 {
		fe = append(fe, ocean.FieldError{Field: "position", Message: "must be 0 to 10000"})
	}
	if fe != nil {
		return ocean.Invalid("The shipping zone is not valid.", fe...)
	}
	return nil
}

// WeightRate is one bracket of a weight-priced method: carts up to UpTo
// grams (inclusive) cost Price minor units.
type WeightRate struct {
	UpTo  int64 `json:"up_to_grams"`
	Price int64 `json:"price"`
}

// Rate kinds a method can have.
const (
	RateFlat   = "flat"   // one price
	RateWeight = "weight" // a price per weight bracket
)

// Kind is RateWeight when the method has brackets, else RateFlat.
func (m ShippingMethod) Kind() string {
	if len(m.WeightRates) > 0 {
		return RateWeight
	}
	return RateFlat
}

// Normalize trims the code (lower case) and name and sorts the brackets
// by weight.
func (m *ShippingMethod) Normalize() {
	m.Code = strings.ToLower(strings.TrimSpace(m.Code))
	m.Name = strings.Join(strings.Fields(m.Name), " ")
	m.Price.Currency = strings.ToUpper(strings.TrimSpace(m.Price.Currency))
	slices.SortStableFunc(m.WeightRates, func(a, b WeightRate) int { return int(a.UpTo - b.UpTo) })
}

// Validate checks a method after Normalize; currency is the shop's, which
// every price must be in.
func (m *ShippingMethod) Validate(currency string) error {
	var fe []ocean.FieldError
	add := func(f, msg string) { fe = append(fe, ocean.FieldError{Field: f, Message: msg}) }
	if l := len(m.Code); l < 2 || l > 32 || strings.Trim(m.Code, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		add("code", "must be 2-32 lowercase letters, digits, dashes or underscores")
	}
	if !plainText(m.Name, 1, 80) {
		add("name", "is required (up to 80 characters)")
	}
	if m.Price.Amount < 0 || m.Price.Amount > MaxRate {
		add("rate.amount", fmt.Sprintf("must be 0 to %d minor units", MaxRate))
	}
	if m.Price.Currency != currency {
		add("rate.currency", "must be "+currency+", the shop's currency")
	}
	if m.FreeAbove != nil && (*m.FreeAbove < 0 || *m.FreeAbove > MaxRate) {
		add("free_over.amount", fmt.Sprintf("must be 0 to %d minor units", MaxRate))
	}
	if len(m.WeightRates) > 20 {
		add("weight_rates", "may have at most 20 brackets")
	}
	for i, w := range m.WeightRates {
		f := fmt.Sprintf("weight_rates[%d]", i)
		if w.UpTo < 1 || w.UpTo > 1_000_000_000 {
			add(f+".up_to_grams", "must be 1 to 1000000000 grams")
		} else if i > 0 && w.UpTo == m.WeightRates[i-1].UpTo {
			add(f+".up_to_grams", "another bracket has the same weight")
		}
		if w.Price < 0 || w.Price > MaxRate {
			add(f+".price", fmt.Sprintf("must be 0 to %d minor units", MaxRate))
		}
	}
	if m.Position < 0 || m.Position > 10000 {
		add("position", "must be 0 to 10000")
	}
	if fe != nil {
		return ocean.Invalid("The shipping method is not valid.", fe...)
	}
	return nil
}

// Quote is what the method costs for a cart with a discounted subtotal and
// a weight in grams; ok is false when the cart is heavier than the method's
// last bracket (the method is not offered for it). Free over an amount
// applies to both kinds.
func (m ShippingMethod) Quote(discounted, grams int64) (cost int64, ok bool) {
	cost = m.Price.Amount
	if len(m.WeightRates) > 0 {
		ok = false
		for _, w := range m.WeightRates {
			if grams <= w.UpTo {
				cost, ok = w.Price, true
				break
			}
		}
		if !ok {
			return 0, false
		}
	}
	if m.FreeAbove != nil && discounted >= *m.FreeAbove {
		return 0, true
	}
	return cost, true
}

// Actor is who changed the settings, for the audit log.
type Actor struct {
	ID   int64
	Name string // email or name, as the audit log shows it
}

// AuditEntry is one change to the settings, a zone, a method or a tax rate.
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	ActorID  int64     `json:"actor_id"`
	Actor    string    `json:"actor"`
	Entity   string    `json:"entity"` // settings, zone, method, tax_rate
	EntityID string    `json:"entity_id"`
	Action   string    `json:"action"` // create, update, delete
	Version  int64     `json:"version"`
	Before   string    `json:"before"` // JSON, "" on create
	After    string    `json:"after"`  // JSON, "" on delete
}

func plainText(s string, lo, hi int) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && n >= lo && n <= hi && !strings.ContainsAny(s, "\x00\r\n")
}
