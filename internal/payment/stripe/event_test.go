package stripe_test

import (
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/payment/stripe"
)

func TestParseEvent(t *testing.T) {
	const secret = "whsec_test"
	event := func(typ, object string) []byte {
		return []byte(`{"id": "evt_1", "object": "event", "type": "` + typ + `", "data": {"object": ` + object + `}}`)
	}
	intent := `{"id": "pi_1", "object": "payment_intent", "metadata": {"ocean_reference": "ord_1"}}`
	for _, c := range []struct {
		payload []byte
		want    payment.Event
	}{
		{event("payment_intent.amount_capturable_updated", intent), payment.Event{ID: "evt_1", Type: "payment.authorized", AuthID: "pi_1", Reference: "ord_1"}},
		{event("payment_intent.succeeded", intent), payment.Event{ID: "evt_1", Type: "payment.captured", AuthID: "pi_1", Reference: "ord_1"}},
		{event("payment_intent.payment_failed", intent), payment.Event{ID: "evt_1", Type: "payment.failed", AuthID: "pi_1", Reference: "ord_1"}},
		{event("charge.refunded", `{"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "metadata": {}}`), payment.Event{ID: "evt_1", Type: "charge.refunded", AuthID: "pi_1"}},
		{event("charge.dispute.created", `{"id": "dp_1", "object": "dispute", "payment_intent": {"id": "pi_1"}}`), payment.Event{ID: "evt_1", Type: "charge.dispute.created", AuthID: "pi_1"}},
	} {
		got, err := stripe.ParseEvent(c.payload, payment.Sign(c.payload, secret, time.Now()), secret)
		if err != nil || got != c.want {
			t.Errorf("ParseEvent = %+v, %v; want %+v", got, err, c.want)
		}
	}
	payload := event("payment_intent.succeeded", intent)
	for name, header := range map[string]string{
		"unsigned":     "",
		"wrong secret": payment.Sign(payload, "whsec_other", time.Now()),
		"replayed":     payment.Sign(payload, secret, time.Now().Add(-time.Hour)),
	} {
		if _, err := stripe.ParseEvent(payload, header, secret); ocean.ErrorCode(err) != ocean.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
	for _, bad := range []string{`not json`, `{"id": "evt_1"}`, `[]`} {
		if _, err := stripe.ParseEvent([]byte(bad), payment.Sign([]byte(bad), secret, time.Now()), secret); ocean.ErrorCode(err) != ocean.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", bad, err)
		}
	}
	g, err := stripe.New(stripe.Config{Key: "sk_test_1", WebhookSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := g.ParseEvent(payload, payment.Sign(payload, secret, time.Now())); err != nil || ev.Type != "payment.captured" {
		t.Errorf("Gateway.ParseEvent = %+v, %v", ev, err)
	}
}
