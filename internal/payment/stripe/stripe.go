// Package stripe is the Stripe payment gateway, through stripe-go: an
// authorization is a PaymentIntent confirmed with capture_method=manual,
// tagged with Ocean's reference in metadata[ocean_reference] and created
// under that reference as the idempotency key. Its tests run against
// stripe-mock.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	stripe "github.com/stripe/stripe-go/v85"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
)

// Name is the gateway's name in a checkout's payment.gateway.
const Name = "stripe"

// MetadataReference is the PaymentIntent metadata key holding Ocean's
// payment reference.
const MetadataReference = "ocean_reference"

// DefaultURL is Stripe's API.
const DefaultURL = stripe.APIURL

// Config is the gateway's settings.
type Config struct {
	Key           string       // secret API key (OCEAN_STRIPE_KEY), sk_test_… or sk_live_…
	URL           string       // API base URL (OCEAN_STRIPE_URL), default DefaultURL; stripe-mock's for tests
	WebhookSecret string       // endpoint signing secret (OCEAN_STRIPE_WEBHOOK_SECRET), whsec_…
	HTTPClient    *http.Client // nil: a client with a 30 s timeout
	// MaxNetworkRetries is how often stripe-go retries a request that
	// failed on the network, with the same idempotency key; nil means 2.
	MaxNetworkRetries *int64
}

// Gateway is the Stripe gateway. It implements payment.Gateway.
type Gateway struct {
	c             *stripe.Client
	webhookSecret string
}

var _ payment.Gateway = (*Gateway)(nil)

// New returns a Stripe gateway. A missing key or a bad URL is an error
// that names the setting.
func New(cfg Config) (*Gateway, error) {
	if cfg.Key == "" {
		return nil, errors.New("OCEAN_STRIPE_KEY is not set: the Stripe gateway needs a secret API key")
	}
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("OCEAN_STRIPE_URL %q is not an http(s) URL", cfg.URL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	retries := cfg.MaxNetworkRetries
	if retries == nil {
		retries = stripe.Int64(2)
	}
	backend := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:               stripe.String(strings.TrimRight(cfg.URL, "/")),
		HTTPClient:        cfg.HTTPClient,
		MaxNetworkRetries: retries,
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	backends := &stripe.Backends{API: backend, Connect: backend, Uploads: backend}
	return &Gateway{c: stripe.NewClient(cfg.Key, stripe.WithBackends(backends)), webhookSecret: cfg.WebhookSecret}, nil
}

// Name implements payment.Gateway.
func (g *Gateway) Name() string { return Name }

func expandPI(p interface{ AddExpand(string) }) {
	p.AddExpand("latest_charge")
	p.AddExpand("payment_method")
}

// Authorize implements payment.Gateway: create and confirm a PaymentIntent
// with manual capture. The reference is the idempotency key, so a retry
// (ours or stripe-go's) returns the first PaymentIntent.
func (g *Gateway) Authorize(ctx context.Context, req payment.AuthorizeRequest) (payment.Authorization, error) {
	if err := req.Validate(); err != nil {
		return payment.Authorization{}, err
	}
	if req.Token == "" {
		return payment.Authorization{}, payment.NewDecline("invalid_token")
	}
	p := &stripe.PaymentIntentCreateParams{
		Amount:             stripe.Int64(req.Amount.Amount),
		Currency:           stripe.String(strings.ToLower(req.Amount.Currency)),
		CaptureMethod:      stripe.String(string(stripe.PaymentIntentCaptureMethodManual)),
		Confirm:            stripe.Bool(true),
		PaymentMethod:      stripe.String(req.Token),
		PaymentMethodTypes: []*string{stripe.String("card")},
	}
	if req.Description != "" {
		p.Description = stripe.String(req.Description)
	}
	p.AddMetadata(MetadataReference, req.Reference)
	p.SetIdempotencyKey(req.Reference)
	expandPI(p)
	pi, err := g.c.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		return payment.Authorization{}, mapError("authorize", err, true)
	}
	switch pi.Status {
	case stripe.PaymentIntentStatusRequiresCapture, stripe.PaymentIntentStatusSucceeded, stripe.PaymentIntentStatusCanceled:
		a := toAuthorization(pi)
		if a.Reference == "" {
			a.Reference = req.Reference
		}
		return a, nil
	case stripe.PaymentIntentStatusRequiresAction:
		// 3-D Secure: the checkout cannot take the shopper to their bank
		// yet. Release the attempt and say so.
		cp := &stripe.PaymentIntentCancelParams{}
		cp.SetIdempotencyKey("void-" + pi.ID)
		_, _ = g.c.V1PaymentIntents.Cancel(ctx, pi.ID, cp)
		return payment.Authorization{}, payment.NewDecline("authentication_required")
	case stripe.PaymentIntentStatusRequiresPaymentMethod:
		if pi.LastPaymentError != nil {
			return payment.Authorization{}, declineFrom(pi.LastPaymentError)
		}
	}
	return payment.Authorization{}, fmt.Errorf("stripe: authorize: PaymentIntent %s is %s after confirmation", pi.ID, pi.Status)
}

// Capture implements payment.Gateway.
func (g *Gateway) Capture(ctx context.Context, id string) (payment.Authorization, error) {
	p := &stripe.PaymentIntentCaptureParams{}
	p.SetIdempotencyKey("capture-" + id)
	expandPI(p)
	pi, err := g.c.V1PaymentIntents.Capture(ctx, id, p)
	if err != nil {
		return g.settled(ctx, "capture", id, err, stripe.PaymentIntentStatusSucceeded, "captured")
	}
	return toAuthorization(pi), nil
}

// Void implements payment.Gateway: cancel the PaymentIntent.
func (g *Gateway) Void(ctx context.Context, id string) (payment.Authorization, error) {
	p := &stripe.PaymentIntentCancelParams{}
	p.SetIdempotencyKey("void-" + id)
	expandPI(p)
	pi, err := g.c.V1PaymentIntents.Cancel(ctx, id, p)
	if err != nil {
		return g.settled(ctx, "void", id, err, stripe.PaymentIntentStatusCanceled, "voided")
	}
	return toAuthorization(pi), nil
}

// settled handles a capture or cancel that Stripe refused for the
// PaymentIntent's state: already in the wanted state is success (the
// methods are idempotent), anything else an illegal transition.
func (g *Gateway) settled(ctx context.Context, op, id string, err error, want stripe.PaymentIntentStatus, verb string) (payment.Authorization, error) {
	var se *stripe.Error
	if !errors.As(err, &se) || se.Code != stripe.ErrorCodePaymentIntentUnexpectedState {
		return payment.Authorization{}, mapError(op, err, false)
	}
	pi, rerr := g.retrieve(ctx, id)
	if rerr != nil {
		return payment.Authorization{}, rerr
	}
	a := toAuthorization(pi)
	if pi.Status == want {
		return a, nil
	}
	return payment.Authorization{}, payment.ErrState(verb, a)
}

func (g *Gateway) retrieve(ctx context.Context, id string) (*stripe.PaymentIntent, error) {
	p := &stripe.PaymentIntentRetrieveParams{}
	expandPI(p)
	pi, err := g.c.V1PaymentIntents.Retrieve(ctx, id, p)
	if err != nil {
		return nil, mapError("retrieve", err, false)
	}
	return pi, nil
}

// Refund implements payment.Gateway. The refund's idempotency key is
// derived from reference, so a retry is not a second refund.
func (g *Gateway) Refund(ctx context.Context, id string, amount int64, reference string) (payment.Authorization, error) {
	var fields []ocean.FieldError
	if amount <= 0 {
		fields = append(fields, ocean.FieldError{Field: "amount", Message: "must be more than zero"})
	}
	if reference == "" || len(reference) > 200 {
		fields = append(fields, ocean.FieldError{Field: "reference", Message: "must be 1 to 200 characters"})
	}
	if len(fields) > 0 {
		return payment.Authorization{}, ocean.Invalid("The refund request is not valid.", fields...)
	}
	pi, err := g.retrieve(ctx, id)
	if err != nil {
		return payment.Authorization{}, err
	}
	if pi.Status != stripe.PaymentIntentStatusSucceeded {
		return payment.Authorization{}, payment.ErrState("refunded", toAuthorization(pi))
	}
	p := &stripe.RefundCreateParams{PaymentIntent: stripe.String(id), Amount: stripe.Int64(amount)}
	p.AddMetadata("ocean_refund_reference", reference)
	p.SetIdempotencyKey("refund-" + reference)
	if _, err := g.c.V1Refunds.Create(ctx, p); err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && (se.Code == stripe.ErrorCodeChargeAlreadyRefunded || se.Code == stripe.ErrorCodeAmountTooLarge ||
			(se.Type == stripe.ErrorTypeInvalidRequest && se.Param == "amount")) {
			return payment.Authorization{}, payment.ErrRefundTooLarge(toAuthorization(pi), amount)
		}
		return payment.Authorization{}, mapError("refund", err, false)
	}
	if pi, err = g.retrieve(ctx, id); err != nil {
		return payment.Authorization{}, err
	}
	return toAuthorization(pi), nil
}

// Lookup implements payment.Gateway with Stripe's PaymentIntent search on
// metadata. Stripe's search index lags writes by up to about a minute, so
// reconciliation should treat ENOTFOUND for a very recent attempt as
// "not yet", and ask again later.
func (g *Gateway) Lookup(ctx context.Context, reference string) (payment.Authorization, error) {
	p := &stripe.PaymentIntentSearchParams{}
	p.Query = SearchQuery(reference)
	p.Limit = stripe.Int64(10)
	p.AddExpand("data.latest_charge")
	p.AddExpand("data.payment_method")
	list := g.c.V1PaymentIntents.Search(ctx, p)
	for pi, err := range list.All(ctx) {
		if err != nil {
			return payment.Authorization{}, mapError("lookup", err, false)
		}
		if pi.Metadata[MetadataReference] != reference {
			continue
		}
		switch pi.Status {
		case stripe.PaymentIntentStatusRequiresCapture, stripe.PaymentIntentStatusSucceeded, stripe.PaymentIntentStatusCanceled:
			return toAuthorization(pi), nil
		}
	}
	return payment.Authorization{}, payment.ErrNotFound()
}

// SearchQuery is the Stripe search query that finds a reference.
func SearchQuery(reference string) string {
	esc := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(reference)
	return "metadata['" + MetadataReference + "']:'" + esc + "'"
}

func toAuthorization(pi *stripe.PaymentIntent) payment.Authorization {
	a := payment.Authorization{
		ID:        pi.ID,
		Reference: pi.Metadata[MetadataReference],
		Amount:    ocean.Money{Amount: pi.Amount, Currency: strings.ToUpper(string(pi.Currency))},
	}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		a.Status = payment.Captured
	case stripe.PaymentIntentStatusCanceled:
		a.Status = payment.Voided
	default:
		a.Status = payment.Authorized
	}
	if ch := pi.LatestCharge; ch != nil {
		a.Refunded = ch.AmountRefunded
		if d := ch.PaymentMethodDetails; d != nil && d.Card != nil && d.Card.Last4 != "" {
			a.Card = brandName(string(d.Card.Brand)) + " ending " + d.Card.Last4
		}
	}
	if pm := pi.PaymentMethod; pm != nil && pm.Card != nil && pm.Card.Last4 != "" {
		a.Card = brandName(string(pm.Card.Brand)) + " ending " + pm.Card.Last4
	}
	return a
}

func brandName(b string) string {
	switch b {
	case "visa":
		return "Visa"
	case "mastercard":
		return "Mastercard"
	case "amex":
		return "American Express"
	case "discover":
		return "Discover"
	case "diners":
		return "Diners Club"
	case "jcb":
		return "JCB"
	case "unionpay":
		return "UnionPay"
	case "", "unknown":
		return "Card"
	}
	return strings.ToUpper(b[:1]) + b[1:]
}

// declineFrom maps a Stripe card error to a Decline with a stable code.
func declineFrom(se *stripe.Error) *payment.Decline {
	switch {
	case se.DeclineCode == stripe.DeclineCodeInsufficientFunds:
		return payment.NewDecline("insufficient_funds")
	case se.Code == stripe.ErrorCodeExpiredCard:
		return payment.NewDecline("expired_card")
	case se.Code == stripe.ErrorCodeIncorrectCVC || se.Code == stripe.ErrorCodeInvalidCVC:
		return payment.NewDecline("incorrect_cvc")
	case se.Code == stripe.ErrorCodeIncorrectNumber || se.Code == stripe.ErrorCodeInvalidNumber:
		return payment.NewDecline("incorrect_number")
	case se.Code == stripe.ErrorCodeProcessingError:
		return payment.NewDecline("processing_error")
	case se.Code == stripe.ErrorCodeAuthenticationRequired || se.DeclineCode == stripe.DeclineCodeAuthenticationRequired:
		return payment.NewDecline("authentication_required")
	}
	return payment.NewDecline("card_declined")
}

// mapError turns a stripe-go error into Ocean's vocabulary. authorizing
// says a missing resource is the token (invalid_token) rather than the
// payment (ENOTFOUND).
func mapError(op string, err error, authorizing bool) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("stripe: %s: %w", op, err)
	}
	switch {
	case se.Type == stripe.ErrorTypeCard:
		return declineFrom(se)
	case se.Code == stripe.ErrorCodeResourceMissing && authorizing:
		return payment.NewDecline("invalid_token")
	case se.Code == stripe.ErrorCodeResourceMissing || se.HTTPStatusCode == http.StatusNotFound:
		return &ocean.Error{Code: ocean.ENOTFOUND, Message: "No such payment.", Err: se}
	case se.Type == stripe.ErrorTypeIdempotency:
		return &ocean.Error{Code: ocean.ECONFLICT, Message: "This payment reference was already used for a different payment.", Err: se}
	}
	return fmt.Errorf("stripe: %s: %w", op, err)
}
