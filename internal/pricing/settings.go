package pricing

import (
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Settings are the shop's own rules that every part of it reads: its name
// and contact address, its one currency (amounts stay integer minor
// units), the countries it ships to, and whether catalog prices include
// tax. There is one row; Version counts its changes, so two admins editing
// it at once never silently lose a change (a stale write is ESTALE, a 412 over
// the API).
type Settings struct {
	ShopName         string   `json:"shop_name"`
	ContactEmail     string   `json:"contact_email"`
	Currency         string   `json:"currency"`
	Countries        []string `json:"countries"`
	PricesIncludeTax bool     `json:"prices_include_tax"`
	Version          int64    `json:"version"`
}

// Ships reports whether the shop ships to country.
func (s *Settings) Ships(country string) bool {
	return s != nil && slices.Contains(s.Countries, country)
}

// Normalize trims the text fields, upper-cases the codes, and sorts the
// countries (first one kept first: the shop's home country) without
// duplicates.
func (s *Settings) Normalize() {
	s.ShopName = strings.TrimSpace(s.ShopName)
	s.ContactEmail = strings.TrimSpace(s.ContactEmail)
	s.Currency = strings.ToUpper(strings.TrimSpace(s.Currency))
	seen := map[string]bool{}
	out := make([]string, 0, len(s.Countries))
	for _, c := range s.Countries {
		c = strings.ToUpper(strings.TrimSpace(c))
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	if len(out) > 1 {
		slices.Sort(out[1:])
	}
	s.Countries = out
}

// Validate checks the settings as an admin submitted them (after
// Normalize): every problem is a field error, EINVALID.
func (s *Settings) Validate() error {
	var fe []ocean.FieldError
	add := func(f, m string) { fe = append(fe, ocean.FieldError{Field: f, Message: m}) }
	if n := utf8.RuneCountInString(s.ShopName); n < 1 || n > 100 || strings.ContainsAny(s.ShopName, "\x00\r\n") {
		add("shop_name", "is required (up to 100 characters)")
	}
	if a, err := mail.ParseAddress(s.ContactEmail); err != nil || a.Address != s.ContactEmail || len(s.ContactEmail) > 254 {
		add("contact_email", "must be an email address like shop@example.com")
	}
	if !ocean.IsCurrency(s.Currency) {
		add("currency", "must be an ISO 4217 currency code such as ZAR")
	}
	if len(s.Countries) == 0 {
		add("countries", "must list at least one country the shop ships to")
	}
	for _, c := range s.Countries {
		if !ocean.IsCountry(c) {
			add("countries", c+" is not an ISO 3166-1 two-letter country code")
			break
		}
	}
	if fe != nil {
		return &ocean.Error{Code: ocean.EINVALID, Message: "Some settings are missing or wrong.", Fields: fe}
	}
	return nil
}
