package account_test

import (
	"testing"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/ocean"
)

func TestAddressCountry(t *testing.T) {
	for code, ok := range map[string]bool{"ZA": true, " gb ": true, "us": true, "UK": false, "XK": false, "ZZ": false, "Z": false, "ZAF": false, "": false} {
		a := account.Address{Address: ocean.Address{Name: "Ada", Line1: "1 Road", City: "Cape Town", Country: code}}
		err := a.Validate()
		if ok != (err == nil) {
			t.Errorf("country %q: %v", code, err)
			continue
		}
		if !ok {
			if fe := ocean.ErrorFields(err); len(fe) != 1 || fe[0].Field != "country" {
				t.Errorf("country %q: fields %v, want country", code, fe)
			}
		}
	}
}

// TestInvalidUTF8Refused: text that is not UTF-8 (a form field carries raw
// bytes) is refused by name, never stored or bent into U+FFFD.
func TestInvalidUTF8Refused(t *testing.T) {
	a := account.Address{Address: ocean.Address{Name: "Ad\xffa", Line1: "1 Road", City: "Cape Town", Country: "ZA"}}
	fe := ocean.ErrorFields(a.Validate())
	if len(fe) != 1 || fe[0].Field != "name" || fe[0].Message != "is not valid UTF-8 text" {
		t.Fatalf("fields %+v", fe)
	}
}
