package checkout

import (
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
)

func TestValidKey(t *testing.T) {
	for k, ok := range map[string]bool{
		"8charkey": true, strings.Repeat("k", 255): true, "550e8400-e29b-41d4-a716-446655440000": true,
		"short": false, "": false, strings.Repeat("k", 256): false, "has space!": false, "tab\tinside": false, "ünïcode-key": false,
	} {
		if ValidKey(k) != ok {
			t.Errorf("ValidKey(%q) = %v", k, !ok)
		}
	}
}

func TestRequestValidate(t *testing.T) {
	gws := map[string]payment.Gateway{"sandbox": nil}
	good := func() Request {
		return Request{Email: "a@example.com", ShippingMethod: "standard", Gateway: "sandbox", Token: "tok_visa",
			Address: ocean.Address{Name: "A", Line1: "1 Road", City: "Town", Country: "za"}}
	}
	r := good()
	r.normalize()
	if err := r.Validate(gws); err != nil || r.Address.Country != "ZA" {
		t.Fatalf("good request: %v (country %q)", err, r.Address.Country)
	}
	for field, spoil := range map[string]func(*Request){
		"email":                    func(r *Request) { r.Email = "Ann <a@example.com>" },
		"shipping_address.name":    func(r *Request) { r.Address.Name = "" },
		"shipping_address.line1":   func(r *Request) { r.Address.Line1 = strings.Repeat("x", 201) },
		"shipping_address.city":    func(r *Request) { r.Address.City = "a\nb" },
		"shipping_address.country": func(r *Request) { r.Address.Country = "ZAF" },
		"shipping_method":          func(r *Request) { r.ShippingMethod = "" },
		"payment.gateway":          func(r *Request) { r.Gateway = "paypal" },
		"payment.token":            func(r *Request) { r.Token = "" },
		"shipping_address.line2":   func(r *Request) { r.Address.Line2 = "\xff" },
	} {
		r := good()
		spoil(&r)
		r.normalize()
		err := r.Validate(gws)
		found := false
		for _, f := range ocean.ErrorFields(err) {
			found = found || f.Field == field
		}
		if ocean.ErrorCode(err) != ocean.EUNPROCESSABLE || !found {
			t.Errorf("%s: %v %v", field, err, ocean.ErrorFields(err))
		}
	}
	// Over-long text is "too long", not "missing"; an empty field is missing.
	for _, c := range []struct {
		spoil      func(*Request)
		field, msg string
	}{
		{func(r *Request) { r.Address.Name = strings.Repeat("n", 5000) }, "shipping_address.name", "is too long (max 100 characters)"},
		{func(r *Request) { r.Address.City = strings.Repeat("c", 101) }, "shipping_address.city", "is too long (max 100 characters)"},
		{func(r *Request) { r.Address.Line1 = "" }, "shipping_address.line1", "is required"},
		{func(r *Request) { r.Address.City = "a\nb" }, "shipping_address.city", "must be one line of text"},
	} {
		r := good()
		c.spoil(&r)
		r.normalize()
		if fe := ocean.ErrorFields(r.Validate(gws)); len(fe) != 1 || fe[0].Field != c.field || fe[0].Message != c.msg {
			t.Errorf("%s: %v, want %q", c.field, fe, c.msg)
		}
	}
	// Two capital letters are not enough: the code must be assigned.
	for _, code := range []string{"UK", "XK", "ZZ", "QQ"} {
		r := good()
		r.Address.Country = code
		r.normalize()
		if fe := ocean.ErrorFields(r.Validate(gws)); len(fe) != 1 || fe[0].Field != "shipping_address.country" {
			t.Errorf("country %s: %v", code, fe)
		}
	}
	a, b, c := good(), good(), good()
	b.Token = "tok_other"
	if a.hash() == b.hash() || a.hash() != c.hash() {
		t.Error("the request hash does not tell bodies apart")
	}
}

func TestStockErrorNamesVariants(t *testing.T) {
	err := (&StockError{Short: []Shortage{{VariantID: 7, SKU: "TEE-M", Wanted: 3, Available: 1}, {VariantID: 9, SKU: "CAP", Wanted: 1}}}).AsError()
	if err.Code != ocean.ECONFLICT || !strings.Contains(err.Message, "TEE-M, CAP") || len(err.Fields) != 2 ||
		err.Fields[0].Message != "TEE-M only 1 left" || err.Fields[1].Message != "CAP is sold out" {
		t.Fatalf("%+v", err)
	}
}
