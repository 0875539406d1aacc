// Package payment is how Ocean takes money: a Gateway interface that the
// checkout calls, the built-in sandbox gateway and the Stripe gateway. Card
// data never reaches the shop: a gateway turns a card into a token on its own
// route or page, and the shop only ever sees the token.
package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Status is where an authorization stands at the gateway.
type Status string

const (
	Authorized Status = "authorized" // money held, not yet taken
	Captured   Status = "captured"   // money taken (possibly partly refunded since)
	Voided     Status = "voided"     // the hold was released; nothing was taken
)

// AuthorizeRequest asks a gateway to hold an amount on a card.
type AuthorizeRequest struct {
	// Reference is Ocean's unique id for this payment attempt. Gateways
	// deduplicate on it: authorizing the same reference twice returns the
	// first authorization, and Lookup finds it after a crash.
	Reference   string
	Amount      ocean.Money
	Token       string // from the gateway's tokenization (never a card number)
	Email       string
	Description string
}

// Authorization is a gateway's record of one payment.
type Authorization struct {
	ID        string      // the gateway's id (sandbox "sbx_…", Stripe PaymentIntent id)
	Reference string      // AuthorizeRequest.Reference
	Amount    ocean.Money // authorized amount
	Status    Status
	Refunded  int64  // minor units refunded so far
	Card      string // for people: "Visa ending 4242"; never more of the number
}

// Decline is the error a gateway returns when it refuses a card. Code is
// stable (card_declined, insufficient_funds, processing_error,
// invalid_token, expired_card, incorrect_cvc); Message is plain words a
// shopper can act on.
type Decline struct {
	Code    string
	Message string
}

func (d *Decline) Error() string { return fmt.Sprintf("payment declined: %s: %s", d.Code, d.Message) }

// Gateway is a payment processor. Every method is idempotent: a retry after a
// timeout never charges, captures or refunds twice.
//
// Errors: *Decline when the card is refused; *ocean.Error ENOTFOUND when an
// id or reference is unknown, EUNPROCESSABLE for a refund above what is left,
// ECONFLICT for a transition the payment's status does not allow (capturing
// a voided payment, voiding a captured one, refunding one not captured, or
// reusing a reference for a different amount), EINVALID for a malformed
// request; anything else is a transport or gateway failure the caller may
// retry.
//
// A declined Authorize leaves no authorization behind: Lookup of its
// reference is ENOTFOUND. Use a new reference for each attempt with a new
// card (the Stripe gateway replays a declined reference's decline).
type Gateway interface {
	// Name is the value of payment.gateway in a checkout ("sandbox", "stripe").
	Name() string
	// Authorize holds req.Amount on the card behind req.Token.
	Authorize(ctx context.Context, req AuthorizeRequest) (Authorization, error)
	// Capture takes the whole authorized amount.
	Capture(ctx context.Context, id string) (Authorization, error)
	// Void releases an authorization that was not captured.
	Void(ctx context.Context, id string) (Authorization, error)
	// Refund returns amount (minor units) of a captured payment; reference
	// makes the refund idempotent.
	Refund(ctx context.Context, id string, amount int64, reference string) (Authorization, error)
	// Lookup finds the authorization made with a reference, or ENOTFOUND if
	// none was made: how reconciliation learns what happened before a crash.
	Lookup(ctx context.Context, reference string) (Authorization, error)
}

// TokenChecker is implemented by gateways that can tell whether a token
// exists without charging it, so a checkout with an unknown token is refused
// before anything is written.
type TokenChecker interface {
	CheckToken(ctx context.Context, token string) error // *Decline{Code: "invalid_token"} if unknown
}

// Event is a verified webhook from a gateway about one payment.
type Event struct {
	ID        string // the gateway's event id: processing is idempotent on it
	Type      string // e.g. "payment.authorized", "payment.captured", "payment.failed"
	AuthID    string // Authorization.ID
	Reference string // AuthorizeRequest.Reference, when the gateway echoes it
}

// Validate checks the parts of a request every gateway needs: a reference,
// a positive amount and a three-letter currency. It returns an *ocean.Error
// EINVALID naming the fields.
func (r AuthorizeRequest) Validate() error {
	var fields []ocean.FieldError
	if r.Reference == "" || len(r.Reference) > 200 {
		fields = append(fields, ocean.FieldError{Field: "reference", Message: "must be 1 to 200 characters"})
	}
	if r.Amount.Amount <= 0 {
		fields = append(fields, ocean.FieldError{Field: "amount", Message: "must be more than zero"})
	}
	if !isCurrency(r.Amount.Currency) {
		fields = append(fields, ocean.FieldError{Field: "currency", Message: "must be a three-letter ISO 4217 code such as ZAR"})
	}
	if len(fields) > 0 {
		return ocean.Invalid("The payment request is not valid.", fields...)
	}
	return nil
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// The state errors gateways share, so every gateway answers an illegal
// transition the same way. An illegal transition (capturing a voided
// payment, voiding a captured one, refunding one that was not captured) is
// an *ocean.Error ECONFLICT; a refund above what is left is EUNPROCESSABLE.

// ErrState returns the ECONFLICT error for an operation that the
// authorization's status does not allow.
func ErrState(op string, a Authorization) error {
	return ocean.Errorf(ocean.ECONFLICT, "This payment is %s, so it cannot be %s.", a.Status, op)
}

// ErrRefundTooLarge returns the EUNPROCESSABLE error for a refund of more
// than is left of a payment.
func ErrRefundTooLarge(a Authorization, amount int64) error {
	left := ocean.Money{Amount: a.Amount.Amount - a.Refunded, Currency: a.Amount.Currency}
	asked := ocean.Money{Amount: amount, Currency: a.Amount.Currency}
	return ocean.Errorf(ocean.EUNPROCESSABLE, "A refund of %s is more than the %s left to refund.", asked, left)
}

// ErrNotFound returns the ENOTFOUND error for an unknown authorization id
// or reference.
func ErrNotFound() error { return ocean.Errorf(ocean.ENOTFOUND, "No such payment.") }

// NothingDone reports whether err guarantees that the gateway did nothing
// (an error that says so through a NothingDone() bool method). A plain
// network error does not: the call may have reached the gateway.
func NothingDone(err error) bool {
	var nd interface{ NothingDone() bool }
	return errors.As(err, &nd) && nd.NothingDone()
}
