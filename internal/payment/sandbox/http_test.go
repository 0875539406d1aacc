package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/payment/paymenttest"
	"github.com/oceanshop/ocean/internal/payment/sandbox"
)

// server runs the sandbox routes behind the shop's security headers, as
// the shop mounts them, and a client that does not follow redirects.
func server(t *testing.T) (*httptest.Server, *sandbox.Gateway, *http.Client) {
	t.Helper()
	g := newGateway(t, sandbox.NewMemoryStore(), sandbox.Options{})
	srv := httptest.NewServer(httpx.SecurityHeaders(sandbox.Handler(g)))
	t.Cleanup(srv.Close)
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return srv, g, c
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func postJSON(t *testing.T, c *http.Client, u, s string) *http.Response {
	t.Helper()
	res, err := c.Post(u, "application/json", strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestTokenAPI(t *testing.T) {
	srv, g, c := server(t)
	res := postJSON(t, c, srv.URL+"/sandbox-gateway/tokens", `{"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}`)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", res.StatusCode, body(t, res))
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	var out struct{ Token, Card string }
	if err := json.Unmarshal([]byte(body(t, res)), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.Token, "tok_") || out.Card != "Visa ending 4242" {
		t.Fatalf("response = %+v", out)
	}
	// The token pays.
	a, err := g.Authorize(ctx, payment.AuthorizeRequest{Reference: paymenttest.Ref("ord"), Amount: ocean.Money{Amount: 100, Currency: "ZAR"}, Token: out.Token})
	if err != nil || a.Status != payment.Authorized {
		t.Fatalf("Authorize with the new token = %+v, %v", a, err)
	}
}

func TestTokenAPIRejectsBadInput(t *testing.T) {
	srv, _, c := server(t)
	for _, tc := range []struct {
		name, body, field string
		status            int
	}{
		{"bad number", `{"number": "4242424242424241", "exp_month": 12, "exp_year": 2031, "cvc": "123"}`, "number", 400},
		{"expired", `{"number": "4242424242424242", "exp_month": 1, "exp_year": 2029, "cvc": "123"}`, "exp_year", 400},
		{"no cvc", `{"number": "4242424242424242", "exp_month": 1, "exp_year": 2031}`, "cvc", 400},
		{"unknown field", `{"number": "4242424242424242", "exp_month": 1, "exp_year": 2031, "cvc": "123", "name": "A"}`, "name", 400},
		{"month as text", `{"number": "4242424242424242", "exp_month": "jan", "exp_year": 2031, "cvc": "123"}`, "exp_month", 400},
		{"number as number", `{"number": 4242424242424242, "exp_month": 1, "exp_year": 2031, "cvc": "123"}`, "number", 400},
		{"two objects", `{"cvc": "123"} {}`, "", 400},
		{"not json", `number=4242`, "", 400},
		{"empty", ``, "", 400},
		{"huge", `{"number": "` + strings.Repeat("4", 20000) + `"}`, "", 413},
	} {
		res := postJSON(t, c, srv.URL+"/sandbox-gateway/tokens", tc.body)
		b := body(t, res)
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, res.StatusCode, tc.status, b)
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
		var p httpx.Problem
		if err := json.Unmarshal([]byte(b), &p); err != nil {
			t.Fatalf("%s: %v: %s", tc.name, err, b)
		}
		if p.Detail == "" {
			t.Errorf("%s: no detail", tc.name)
		}
		if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
			t.Errorf("%s: errors = %+v, want field %s", tc.name, p.Errors, tc.field)
		}
		if strings.Contains(b, "424242424242") {
			t.Errorf("%s: the answer repeats the card number", tc.name)
		}
	}
	// A form post is not JSON.
	res, err := c.Post(srv.URL+"/sandbox-gateway/tokens", "text/plain", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 400 {
		t.Errorf("text/plain body: status %d", res.StatusCode)
	}
	res.Body.Close()
	// Browsers on a storefront's own origin may call it.
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/sandbox-gateway/tokens", nil)
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return res, body(t, res)
}

func TestPayPageWorksUnderTheShopsCSP(t *testing.T) {
	srv, _, c := server(t)
	res, page := get(t, c, srv.URL+"/sandbox-gateway/pay?return=/checkout/pay%3Fstep%3D2&amount=129900&currency=ZAR")
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, page)
	}
	for _, want := range []string{
		`<html lang="en">`, "Pay R1,299.00", `<label for="number">Card number</label>`, `id="number"`, `autocomplete="cc-number"`,
		`<label for="exp_month">Month</label>`, `<label for="exp_year">Year</label>`, `<label for="cvc">`,
		"4242 4242 4242 4242", "4000 0000 0000 0002", "4000 0000 0000 9995", "4000 0000 0000 0119",
		`name="return" value="/checkout/pay?step=2"`, `action="/sandbox-gateway/pay"`, `href="/sandbox-gateway/style.css"`,
		// An empty icon of its own: no request for /favicon.ico, which
		// answered 404 in the console on every visit.
		`<link rel="icon" href="data:,">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Nothing the CSP (script-src nonce, style-src 'self') would block.
	if regexp.MustCompile(`(?i)<script|<style|\sstyle=|\son[a-z]+=|javascript:`).MatchString(page) {
		t.Error("page has inline script or style")
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self'") {
		t.Errorf("the shop's CSP was replaced: %q", csp)
	}
	res, css := get(t, c, srv.URL+"/sandbox-gateway/style.css")
	// The test-card numbers do not wrap in the middle.
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") || !strings.Contains(css, "td code { white-space: nowrap; }") {
		t.Errorf("stylesheet: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// Mounted without the shop's middleware it still brings a strict CSP.
	bare := httptest.NewServer(sandbox.Handler(newGateway(t, sandbox.NewMemoryStore(), sandbox.Options{})))
	defer bare.Close()
	res, _ = get(t, bare.Client(), bare.URL+"/sandbox-gateway/pay?return=/checkout")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "img-src data:") {
		t.Errorf("bare CSP = %q", csp)
	}
}

func postForm(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string) {
	t.Helper()
	res, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	return res, body(t, res)
}

func TestPayPageRedirectsWithAToken(t *testing.T) {
	srv, g, c := server(t)
	res, _ := postForm(t, c, srv.URL+"/sandbox-gateway/pay", url.Values{
		"return": {"/checkout/pay?step=2"}, "amount": {"129900"}, "currency": {"ZAR"},
		"number": {"4000 0000 0000 9995"}, "exp_month": {"04"}, "exp_year": {"31"}, "cvc": {"123"},
	})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Host != "" || loc.Path != "/checkout/pay" || loc.Query().Get("step") != "2" || loc.Query().Get("card") != "Visa ending 9995" {
		t.Fatalf("Location = %s", loc)
	}
	tok := loc.Query().Get("payment_token")
	_, err = g.Authorize(ctx, payment.AuthorizeRequest{Reference: paymenttest.Ref("ord"), Amount: ocean.Money{Amount: 129900, Currency: "ZAR"}, Token: tok})
	paymenttest.WantDecline(t, err, "insufficient_funds")
}

func TestPayPageShowsErrors(t *testing.T) {
	srv, _, c := server(t)
	res, page := postForm(t, c, srv.URL+"/sandbox-gateway/pay", url.Values{
		"return": {"/checkout"}, "amount": {"500"}, "currency": {"ZAR"},
		"number": {"4242 4242 4242 4241"}, "exp_month": {"13"}, "exp_year": {"2031"}, "cvc": {"12"},
	})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, want := range []string{
		"<title>Error: ", "There is a problem", `href="#number"`, `href="#exp_month"`, `href="#cvc"`,
		"The card number is not valid", `aria-invalid="true"`, `id="number-error"`, `aria-describedby="number-hint number-error"`,
		`name="return" value="/checkout"`, `value="2031"`, "Pay R5.00",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("error page lacks %q", want)
		}
	}
	if strings.Contains(page, "4242 4242 4242 4241") || strings.Contains(page, "424242424241") {
		t.Error("the page repeats the card number")
	}
	if strings.Contains(page, `href="#exp_year"`) {
		t.Error("a good year is reported as an error")
	}
}

func TestPayPageRefusesOpenRedirects(t *testing.T) {
	srv, _, c := server(t)
	for _, ret := range []string{
		"", "checkout", "//evil.example/x", "https://evil.example/", "http:/evil.example", "/\\evil.example",
		"\\\\evil.example", " //evil.example", "/\r\nSet-Cookie: x=1", "javascript:alert(1)", "/\t/evil.example",
		"//", "///evil.example",
	} {
		res, _ := get(t, c, srv.URL+"/sandbox-gateway/pay?return="+url.QueryEscape(ret))
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("GET return=%q: status %d, want 400", ret, res.StatusCode)
		}
		res, _ = postForm(t, c, srv.URL+"/sandbox-gateway/pay", url.Values{
			"return": {ret}, "number": {"4242424242424242"}, "exp_month": {"12"}, "exp_year": {"2031"}, "cvc": {"123"},
		})
		if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
			t.Errorf("POST return=%q: status %d, Location %q", ret, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// Escapes stay escapes: a path on this site, never a header or a host.
	for _, ret := range []string{"/", "/checkout", "/checkout?x=1#pay", "/a/b%2F%2Fc", "/%0d%0aSet-Cookie:x"} {
		if _, ok := sandbox.SafeReturn(ret); !ok {
			t.Errorf("SafeReturn(%q) refused a local path", ret)
		}
	}
}
