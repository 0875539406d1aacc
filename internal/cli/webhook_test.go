package cli_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/payment"
)

// TestStripeWebhooks runs a shop with the Stripe gateway (against
// stripe-mock) and checks that /webhooks/stripe refuses unsigned, forged and
// stale events and accepts a signed one, once per event id.
func TestStripeWebhooks(t *testing.T) {
	mock := os.Getenv("OCEAN_TEST_STRIPE_MOCK_URL")
	if mock == "" {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("OCEAN_TEST_STRIPE_MOCK_URL is not set: run the tests with `make test`, which starts stripe-mock")
		}
		t.Skip("stripe-mock not running (OCEAN_TEST_STRIPE_MOCK_URL unset); `make test` starts it")
	}
	const secret = "whsec_test_secret"
	env := map[string]string{"OCEAN_DATA_DIR": t.TempDir(), "OCEAN_SEED_DEMO": "false", "OCEAN_ADMIN_PASSWORD": adminPassword,
		"OCEAN_PAYMENT_GATEWAY": "stripe", "OCEAN_STRIPE_KEY": "sk_test_123", "OCEAN_STRIPE_URL": mock, "OCEAN_STRIPE_WEBHOOK_SECRET": secret}
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(func() { srv.Close(); app.Close() })
	if app.Sandbox != nil {
		t.Fatal("the sandbox gateway is on although Stripe is configured")
	}
	if res, err := http.Post(srv.URL+"/sandbox-gateway/tokens", "application/json", strings.NewReader(`{}`)); err != nil || res.StatusCode != 404 {
		t.Fatalf("the sandbox's routes are served with Stripe configured: %v %v", res.StatusCode, err)
	}
	event := func(id string) []byte {
		return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"payment_intent.amount_capturable_updated","data":{"object":{"id":"pi_unknown","object":"payment_intent","metadata":{"ocean_reference":"ocean_nobody"}}}}`, id))
	}
	post := func(body []byte, sig string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/webhooks/stripe", strings.NewReader(string(body)))
		if sig != "" {
			req.Header.Set("Stripe-Signature", sig)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 400 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("webhook error as %q", res.Header.Get("Content-Type"))
		}
		return res.StatusCode
	}
	now := time.Now()
	good := event("evt_1")
	for what, tc := range map[string]struct {
		body []byte
		sig  string
		want int
	}{
		"unsigned":         {good, "", 400},
		"wrong secret":     {good, payment.Sign(good, "whsec_other", now), 400},
		"tampered body":    {event("evt_2"), payment.Sign(good, secret, now), 400},
		"stale":            {good, payment.Sign(good, secret, now.Add(-time.Hour)), 400},
		"garbage header":   {good, "t=abc,v1=zz", 400},
		"signed":           {good, payment.Sign(good, secret, now), 204},
		"the same again":   {good, payment.Sign(good, secret, now), 204},
		"not JSON, signed": {[]byte("nope"), payment.Sign([]byte("nope"), secret, now), 400},
	} {
		if got := post(tc.body, tc.sig); got != tc.want {
			t.Errorf("%s: %d, want %d", what, got, tc.want)
		}
	}
	var n int
	if err := app.DB.Read.QueryRow(`SELECT COUNT(*) FROM webhook_events WHERE id = 'stripe:evt_1'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("event recorded %d times (%v)", n, err)
	}
}
