package ocean_test

import (
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
)

func TestIsCountry(t *testing.T) {
	if n := ocean.CountryCount(); n != 249 {
		t.Errorf("%d codes, want the 249 officially assigned", n)
	}
	for _, c := range []string{"ZA", "GB", "US", "DE", "AX", "SS", "BQ", "CW", "SX", "PS", "TW"} {
		if !ocean.IsCountry(c) {
			t.Errorf("%s refused", c)
		}
	}
	for _, c := range []string{"", "za", "UK", "XK", "ZZ", "EU", "AA", "QZ", "XX", "YU", "AN", "Z", "ZAF", "Z1"} {
		if ocean.IsCountry(c) {
			t.Errorf("%q accepted", c)
		}
	}
}
