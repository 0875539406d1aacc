package sandbox

import (
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Outcomes a card or token is bound to: the decline code its charges get,
// "" for success.
const (
	OutcomeSucceeds          = ""
	OutcomeDeclined          = "card_declined"
	OutcomeInsufficientFunds = "insufficient_funds"
	OutcomeProcessingError   = "processing_error"
)

// The fixed test tokens that always exist.
var fixedTokens = map[string]Token{
	"tok_visa":                            {ID: "tok_visa", Brand: "Visa", Last4: "4242", Outcome: OutcomeSucceeds},
	"tok_chargeDeclined":                  {ID: "tok_chargeDeclined", Brand: "Visa", Last4: "0002", Outcome: OutcomeDeclined},
	"tok_chargeDeclinedInsufficientFunds": {ID: "tok_chargeDeclinedInsufficientFunds", Brand: "Visa", Last4: "9995", Outcome: OutcomeInsufficientFunds},
	"tok_processingError":                 {ID: "tok_processingError", Brand: "Visa", Last4: "0119", Outcome: OutcomeProcessingError},
}

// TestCard is a card number the sandbox gives a fixed outcome, shown as a
// hint on the hosted page.
type TestCard struct {
	Number  string // grouped for reading: "4242 4242 4242 4242"
	Outcome string
	Says    string // what happens, in words
}

// TestCards lists the numbers with a special outcome. Any other number that
// passes the checks succeeds.
var TestCards = []TestCard{
	{"4242 4242 4242 4242", OutcomeSucceeds, "The payment succeeds."},
	{"4000 0000 0000 0002", OutcomeDeclined, "The card is declined."},
	{"4000 0000 0000 9995", OutcomeInsufficientFunds, "The card is declined: insufficient funds."},
	{"4000 0000 0000 0119", OutcomeProcessingError, "A processing error."},
}

var cardOutcomes = map[string]string{
	"4242424242424242": OutcomeSucceeds,
	"4000000000000002": OutcomeDeclined,
	"4000000000009995": OutcomeInsufficientFunds,
	"4000000000000119": OutcomeProcessingError,
}

// CardInput is a card as a person typed it.
type CardInput struct {
	Number   string
	ExpMonth int
	ExpYear  int // four digits, or two (taken as 20YY)
	CVC      string
}

// checkCard validates a card as of now and returns its digits and brand,
// or an *ocean.Error EINVALID naming every field that is wrong.
func checkCard(c CardInput, now time.Time) (digits, brand string, err error) {
	var fields []ocean.FieldError
	add := func(field, msg string) { fields = append(fields, ocean.FieldError{Field: field, Message: msg}) }

	digits = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, c.Number)
	switch {
	case digits == "":
		add("number", "Enter the card number.")
	case !allDigits(digits):
		add("number", "The card number may only contain digits.")
	case len(digits) < 12 || len(digits) > 19:
		add("number", "The card number must be 12 to 19 digits long.")
	case !luhn(digits):
		add("number", "The card number is not valid. Check it for typing mistakes.")
	}

	year := c.ExpYear
	if year >= 0 && year < 100 {
		year += 2000
	}
	monthOK := c.ExpMonth >= 1 && c.ExpMonth <= 12
	if !monthOK {
		add("exp_month", "Enter the expiry month as a number from 1 to 12.")
	}
	now = now.UTC()
	switch {
	case c.ExpYear == 0:
		add("exp_year", "Enter the expiry year.")
	case year < now.Year() || (monthOK && year == now.Year() && c.ExpMonth < int(now.Month())):
		add("exp_year", "The card has expired. Use another card.")
	case year > now.Year()+50:
		add("exp_year", "The expiry year is too far in the future. Check it for typing mistakes.")
	}

	if len(c.CVC) < 3 || len(c.CVC) > 4 || !allDigits(c.CVC) {
		add("cvc", "Enter the 3 or 4 digit security code (CVC) from the card.")
	}
	if len(fields) > 0 {
		return "", "", ocean.Invalid("Check the card details.", fields...)
	}
	return digits, cardBrand(digits), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// luhn reports whether the digits pass the Luhn check.
func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// cardBrand names the card network from the number's leading digits.
func cardBrand(d string) string {
	p := func(n int) int {
		v, _ := strconv.Atoi(d[:min(n, len(d))])
		return v
	}
	switch {
	case d[0] == '4':
		return "Visa"
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720:
		return "Mastercard"
	case p(2) == 34 || p(2) == 37:
		return "American Express"
	case p(4) == 6011 || p(2) == 65 || (p(3) >= 644 && p(3) <= 649):
		return "Discover"
	case p(2) == 35:
		return "JCB"
	case p(2) == 36 || p(2) == 38 || (p(3) >= 300 && p(3) <= 305):
		return "Diners Club"
	case p(2) == 62:
		return "UnionPay"
	}
	return "Card"
}
