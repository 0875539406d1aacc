package payment_test

import (
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
)

func TestNewDecline(t *testing.T) {
	for _, code := range []string{"card_declined", "insufficient_funds", "processing_error", "invalid_token", "expired_card", "incorrect_cvc"} {
		d := payment.NewDecline(code)
		if d.Code != code || len(d.Message) < 20 {
			t.Errorf("%s: %+v", code, d)
		}
	}
	if d := payment.NewDecline("something_new"); d.Code != "something_new" || d.Message != payment.NewDecline("card_declined").Message {
		t.Errorf("unknown code: %+v", d)
	}
}

func TestValidate(t *testing.T) {
	ok := payment.AuthorizeRequest{Reference: "ord_1", Amount: ocean.Money{Amount: 1, Currency: "ZAR"}, Token: "tok_visa"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := payment.AuthorizeRequest{Amount: ocean.Money{Amount: 0, Currency: "R"}}
	err := bad.Validate()
	if ocean.ErrorCode(err) != ocean.EINVALID || len(ocean.ErrorFields(err)) != 3 {
		t.Fatalf("Validate = %v %+v", err, ocean.ErrorFields(err))
	}
}
