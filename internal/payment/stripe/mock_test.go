package stripe_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/payment/stripe"
)

// mockURL is stripe-mock's address from OCEAN_TEST_STRIPE_MOCK_URL
// (scripts/services.sh starts it). Without it the test skips, unless CI or
// OCEAN_REQUIRE_SERVICES is set, when a missing stripe-mock is a failure.
func mockURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("OCEAN_TEST_STRIPE_MOCK_URL")
	if u == "" {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("OCEAN_TEST_STRIPE_MOCK_URL is not set: run the tests with `make test`, which starts stripe-mock")
		}
		t.Skip("Stripe tests skipped: OCEAN_TEST_STRIPE_MOCK_URL is not set (`make test` starts stripe-mock)")
	}
	return u
}

// call is one request the gateway sent.
type call struct {
	Method, Path   string
	Form           url.Values // body (POST) or query (GET)
	IdempotencyKey string
	Status         int
}

// mockAdapter sits between the gateway and stripe-mock. It records every
// request, and, because stripe-mock is stateless and answers with fixed
// fixtures (a PaymentIntent always "requires_payment_method", empty
// metadata), it patches PaymentIntent answers with the state a real
// account would have after the call: requires_capture after a confirmed
// manual-capture create, succeeded after capture, canceled after cancel,
// the amount, currency and metadata sent. stripe-mock still validates every
// request against Stripe's OpenAPI document and supplies the rest of the
// object, which stripe-go must parse.
type mockAdapter struct {
	mu    sync.Mutex
	calls []call
	state map[string]map[string]any // PaymentIntent id → fields to patch
}

func (m *mockAdapter) RoundTrip(req *http.Request) (*http.Response, error) {
	c := call{Method: req.Method, Path: req.URL.Path, IdempotencyKey: req.Header.Get("Idempotency-Key"), Form: req.URL.Query()}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		if f, err := url.ParseQuery(string(b)); err == nil && len(f) > 0 {
			c.Form = f
		}
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	c.Status = res.StatusCode
	m.mu.Lock()
	m.calls = append(m.calls, c)
	m.mu.Unlock()
	if res.StatusCode != 200 || !strings.HasPrefix(req.URL.Path, "/v1/payment_intents") || strings.HasSuffix(req.URL.Path, "/search") {
		return res, nil
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, err
	}
	id, _ := obj["id"].(string)
	m.mu.Lock()
	if m.state == nil {
		m.state = map[string]map[string]any{}
	}
	st := m.state[id]
	parts := strings.Split(strings.TrimPrefix(req.URL.Path, "/v1/payment_intents"), "/")
	switch {
	case req.Method == http.MethodPost && len(parts) == 1: // create
		amount, _ := strconv.ParseInt(c.Form.Get("amount"), 10, 64)
		st = map[string]any{"status": "requires_capture", "amount": amount, "currency": c.Form.Get("currency"),
			"metadata": map[string]any{stripe.MetadataReference: c.Form.Get("metadata[" + stripe.MetadataReference + "]")}}
	case req.Method == http.MethodPost && len(parts) == 3 && parts[2] == "capture":
		st = with(st, "status", "succeeded")
	case req.Method == http.MethodPost && len(parts) == 3 && parts[2] == "cancel":
		st = with(st, "status", "canceled")
	}
	m.state[id] = st
	m.mu.Unlock()
	for k, v := range st {
		obj[k] = v
	}
	b, _ = json.Marshal(obj)
	res.Body = io.NopCloser(bytes.NewReader(b))
	res.ContentLength = int64(len(b))
	res.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return res, nil
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	out[k] = v
	return out
}

func (m *mockAdapter) all() []call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]call(nil), m.calls...)
}

// last returns the last request to a path that ends with suffix.
func (m *mockAdapter) last(t *testing.T, method, suffix string) call {
	t.Helper()
	calls := m.all()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Method == method && strings.HasSuffix(calls[i].Path, suffix) {
			return calls[i]
		}
	}
	t.Fatalf("no %s …%s among %d requests", method, suffix, len(calls))
	return call{}
}
