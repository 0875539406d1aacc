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

// minorDigits is the number of minor-unit digits of the currencies we format;
// ISO 4217 currencies not listed use two.
var minorDigits = map[string]int{"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}

var symbols = map[string]string{"ZAR": "R", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

// Digits returns the number of minor-unit digits of the currency.
func Digits(currency string) int {
	if d, ok := minorDigits[currency]; ok {
		return d
	}
	return 2
}

// String formats the amount for people, e.g. "R1,299.00" for ZAR.
func (m Money) String() string {
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
	sym, ok := symbols[m.Currency]
	if !ok {
		sym = m.Currency + " "
	}
	if neg {
		return "-" + sym + s
	}
	return sym + s
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
