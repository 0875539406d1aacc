package account_test

import (
	"testing"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/ocean"
)

func TestAddressCountry(t *testing.T) {
	for code, ok := range map[string]bool{"ZA": true, " gb ": true, "us": true, "UK": false, "XK": false, "ZZ": false, "Z": false, "ZAF": false, "": false} {
		a := account.Address{Name: "Ada", Line1: "1 Road", City: "Cape Town", Country: code}
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
