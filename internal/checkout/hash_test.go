package checkout

import (
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
)

// TestRequestHashIsStable: the fingerprint stored with an order is the one
// earlier releases computed (before the shared ocean.Address, whose JSON
// always has a phone), so a retry that spans an upgrade still matches.
func TestRequestHashIsStable(t *testing.T) {
	for phone, want := range map[string]string{
		"":             "68d55e4d8b167bf2d0794494984403d262af2f0522d06332c6674d5c054b10f5",
		"021 555 0100": "35a61d8971013f355f841d40fbfa47c08ac667b5ce7923ea55d54f5dc3423888",
	} {
		r := Request{CartID: "cart-1", Email: "ada@example.com", ShippingMethod: "standard", Gateway: "sandbox", Token: "tok_visa", UserID: 7,
			Address: ocean.Address{Name: "Ada", Line1: "12 Long Street", City: "Cape Town", PostalCode: "8001", Country: "ZA", Phone: phone}}
		if got := r.hash(); got != want {
			t.Errorf("phone %q: hash %s, want %s", phone, got, want)
		}
	}
}
