package ocean

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in integer minor units (cents) of a currency. Never a
// float: every sum and comparison is exact.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

var symbols = map[string]string{"ZAR": "R", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

// Digits returns the number of minor-unit digits of the currency (ISO 4217;
// two for a code it does not list).
func Digits(currency string) int {
	if d, ok := minorDigits[currency]; ok {
		return d
	}
	return 2
}

// Unit is how many minor units make one major unit: 100 for ZAR, 1 for
// JPY, 1000 for KWD.
func Unit(currency string) int64 {
	u := int64(1)
	for range Digits(currency) {
		u *= 10
	}
	return u
}

// Symbol is what String writes before an amount of the currency: its
// symbol where it has a well-known one ("R"), else its code and a space.
func Symbol(currency string) string {
	if sym, ok := symbols[currency]; ok {
		return sym
	}
	return currency + " "
}

// String formats the amount for people, e.g. "R1,299.00" for ZAR.
func (m Money) String() string {
	if m.Amount < 0 {
		return "-" + Symbol(m.Currency) + Money{Amount: -m.Amount, Currency: m.Currency}.Plain()
	}
	return Symbol(m.Currency) + m.Plain()
}

// Plain formats the amount without a symbol, with the currency's minor
// digits: "1,299.00" for ZAR, "1,299" for JPY.
func (m Money) Plain() string {
	d := Digits(m.Currency)
	neg := m.Amount < 0
	a := m.Amount
	if neg {
		a = -a
	}
	unit := int64(1)
	for i := 0; i < d; i++ {
		unit *= 10
	}
	whole := strconv.FormatInt(a/unit, 10)
	// group thousands with a thin space-like regular space
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	s := b.String()
	if d > 0 {
		s += "." + fmt.Sprintf("%0*d", d, a%unit)
	}
	if neg {
		return "-" + s
	}
	return s
}

// ParseMajor parses a decimal amount in major units ("129.90", "130") into
// minor units of the currency. It rejects signs, exponents and more decimals
// than the currency has.
func ParseMajor(s, currency string) (int64, error) {
	d := Digits(currency)
	if s == "" || len(s) > 18 {
		return 0, fmt.Errorf("not an amount")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && (frac == "" || len(frac) > d)) {
		return 0, fmt.Errorf("not an amount with at most %d decimals", d)
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("not a non-negative decimal number")
			}
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount too large")
	}
	for len(frac) < d {
		frac += "0"
	}
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
	}
	unit := int64(1)
	for i := 0; i < d; i++ {
		unit *= 10
	}
	if w > (1<<62)/unit {
		return 0, fmt.Errorf("amount too large")
	}
	return w*unit + f, nil
}
