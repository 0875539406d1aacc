package pricing

import (
	"errors"
	"slices"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
)

func TestSettingsNormalizeAndValidate(t *testing.T) {
	s := Settings{ShopName: " Kelp ", ContactEmail: " shop@kelp.test ", Currency: "zar", Countries: []string{" za", "NA", "bw", "za"}}
	s.Normalize()
	if s.ShopName != "Kelp" || s.ContactEmail != "shop@kelp.test" || s.Currency != "ZAR" || !slices.Equal(s.Countries, []string{"ZA", "BW", "NA"}) {
		t.Fatalf("normalized = %+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if !s.Ships("NA") || s.Ships("DE") || (*Settings)(nil).Ships("ZA") {
		t.Fatal("Ships")
	}
	bad := Settings{ShopName: "", ContactEmail: "Kelp <shop@kelp.test>", Currency: "RANDS", Countries: []string{"XX"}}
	bad.Normalize()
	var oe *ocean.Error
	if err := bad.Validate(); !errors.As(err, &oe) || oe.Code != ocean.EINVALID || len(oe.Fields) != 4 {
		t.Fatalf("bad = %v", err)
	}
	none := s
	none.Countries = nil
	if err := none.Validate(); !errors.As(err, &oe) || len(oe.Fields) != 1 || oe.Fields[0].Field != "countries" {
		t.Fatalf("no countries = %v", err)
	}
}
