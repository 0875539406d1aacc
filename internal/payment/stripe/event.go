package stripe

import (
	"encoding/json"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
)

// SignatureHeader is the HTTP header Stripe signs webhooks in.
const SignatureHeader = "Stripe-Signature"

// eventTypes maps Stripe's event types to Ocean's.
var eventTypes = map[string]string{
	"payment_intent.amount_capturable_updated": "payment.authorized",
	"payment_intent.succeeded":                 "payment.captured",
	"payment_intent.payment_failed":            "payment.failed",
}

// ParseEvent verifies a webhook's Stripe-Signature header against the
// endpoint secret (within payment.DefaultTolerance of now) and returns the
// event. Payment events get Ocean's types (payment.authorized,
// payment.captured, payment.failed); any other keeps Stripe's type, for the
// caller to ignore. Errors are *ocean.Error EINVALID.
func ParseEvent(payload []byte, header, secret string) (payment.Event, error) {
	return ParseEventAt(payload, header, secret, time.Now())
}

// ParseEventAt is ParseEvent with the clock given.
func ParseEventAt(payload []byte, header, secret string, now time.Time) (payment.Event, error) {
	if err := payment.VerifySignature(payload, header, secret, now, payment.DefaultTolerance); err != nil {
		return payment.Event{}, err
	}
	var e struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			Object struct {
				ID            string            `json:"id"`
				Object        string            `json:"object"`
				PaymentIntent json.RawMessage   `json:"payment_intent"`
				Metadata      map[string]string `json:"metadata"`
			} `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(payload, &e); err != nil || e.ID == "" || e.Type == "" {
		return payment.Event{}, &ocean.Error{Code: ocean.EINVALID, Message: "The webhook is not a Stripe event.", Err: err}
	}
	ev := payment.Event{ID: e.ID, Type: e.Type, Reference: e.Data.Object.Metadata[MetadataReference]}
	if t, ok := eventTypes[e.Type]; ok {
		ev.Type = t
	}
	o := e.Data.Object
	switch o.Object {
	case "payment_intent":
		ev.AuthID = o.ID
	default:
		// A charge or refund names its PaymentIntent by id (or, expanded,
		// as an object).
		var id string
		if json.Unmarshal(o.PaymentIntent, &id) != nil {
			var pi struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(o.PaymentIntent, &pi)
			id = pi.ID
		}
		ev.AuthID = id
	}
	return ev, nil
}

// ParseEvent is ParseEvent with the gateway's webhook secret.
func (g *Gateway) ParseEvent(payload []byte, header string) (payment.Event, error) {
	return ParseEvent(payload, header, g.webhookSecret)
}
