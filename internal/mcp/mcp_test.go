package mcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	ocean "github.com/oceanshop/ocean"
	"github.com/oceanshop/ocean/internal/api"
	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/knowledge"
	"github.com/oceanshop/ocean/internal/mcp"
)

const adminPassword = "correct horse battery staple 42"

// shop is a real shop (SQLite, demo catalog, sandbox gateway) with its MCP
// endpoint mounted at /mcp beside the shop's own handler.
type shop struct {
	app   *cli.App
	mcp   *mcp.Server
	srv   *httptest.Server
	admin string // an admin's access token
}

func newShop(t *testing.T, env map[string]string, opts ...func(*mcp.Config)) *shop {
	t.Helper()
	base := map[string]string{"OCEAN_DATA_DIR": t.TempDir(), "OCEAN_ADMIN_EMAIL": "owner@example.com", "OCEAN_ADMIN_PASSWORD": adminPassword, "OCEAN_RATE_LIMITS": "off"}
	for k, v := range env {
		base[k] = v
	}
	cfg, _, err := config.Load(nil, func(k string) string { return base[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := cli.NewApp(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	mc := mcp.Config{Catalog: app.Catalog, Carts: app.Carts, Checkout: app.Checkout, Accounts: app.Accounts,
		Inventory: app.Inventory, Locker: app.Locker, DB: app.DB, Log: log, Knowledge: knowledge.NewService(app.DB.Knowledge()),
		Docs: ocean.Docs, OpenAPI: api.OpenAPI()}
	if _, err := mc.Knowledge.Seed(context.Background(), ocean.Docs); err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(&mc)
	}
	m, err := mcp.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	mux := http.NewServeMux()
	mux.Handle("/mcp", m.Handler(mcp.HTTPOptions{PublicURL: cfg.PublicURL}))
	mux.Handle("/", app.Handler)
	s := &shop{app: app, mcp: m, srv: httptest.NewServer(mux)}
	t.Cleanup(s.srv.Close)
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	s.api(t, 200, "POST", "/api/v1/auth/login", "", nil, map[string]string{"email": "owner@example.com", "password": adminPassword}, &tk)
	s.admin = tk.AccessToken
	return s
}

// api calls the shop's JSON API and checks the status.
func (s *shop) api(t *testing.T, want int, method, path, token string, hdr map[string]string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// bearer adds a token to every request of an MCP client.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// client connects an SDK client over streamable HTTP, with token if set.
func (s *shop) client(t *testing.T, token string) *sdk.ClientSession {
	t.Helper()
	hc := &http.Client{Transport: http.DefaultTransport}
	if token != "" {
		hc.Transport = bearer{token, http.DefaultTransport}
	}
	c := sdk.NewClient(&sdk.Implementation{Name: "test-assistant", Version: "1"}, nil)
	cs, err := c.Connect(context.Background(), &sdk.StreamableClientTransport{Endpoint: s.srv.URL + "/mcp", HTTPClient: hc, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// memClient connects over the in-memory transport (as stdio does: no
// HTTP headers, the server's configured token).
func memClient(t *testing.T, m *mcp.Server) *sdk.ClientSession {
	t.Helper()
	ct, st := sdk.NewInMemoryTransports()
	ss, err := m.MCP().Connect(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil).Connect(context.Background(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// call calls a tool that must succeed and decodes its structured content.
func call(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any, out any) *sdk.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("%s %v: error result: %s", name, args, text(res))
	}
	if out != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: structured content %s: %v", name, b, err)
		}
	}
	first, _, _ := strings.Cut(text(res), "\n")
	if len(first) > 160 {
		first = first[:160] + "…"
	}
	t.Logf("→ %s %s\n  ← %s", name, compact(args), first)
	return res
}

// refused calls a tool that must fail with the given problem title, and
// returns the text the assistant reads.
func refused(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any, title string) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: a protocol error, want a tool error result: %v", name, err)
	}
	txt := text(res)
	if !res.IsError {
		t.Fatalf("%s %v succeeded, want %q: %s", name, args, title, txt)
	}
	if !strings.HasPrefix(txt, title+": ") {
		t.Fatalf("%s %v: error %q, want title %q", name, args, txt, title)
	}
	first, _, _ := strings.Cut(txt, "\n")
	t.Logf("→ %s %s\n  ← refused: %s", name, compact(args), first)
	return txt
}

func text(res *sdk.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type cartOut struct {
	CartID string `json:"cart_id"`
	Count  int    `json:"count"`
	Items  []struct {
		ID       string `json:"id"`
		Quantity int    `json:"quantity"`
	} `json:"items"`
	Discount string `json:"discount"`
	Totals   struct {
		Subtotal money `json:"subtotal"`
		Discount money `json:"discount"`
		Total    money `json:"total"`
	} `json:"totals"`
}

// TestShopperJourney is an assistant's whole errand: it finds a product,
// fills a cart, applies the shopper's code and hands over a checkout link;
// the shopper opens it and pays in their browser's flow; the assistant then
// sees the order paid.
func TestShopperJourney(t *testing.T) {
	s := newShop(t, nil)
	cs := s.client(t, "")

	var found struct {
		Items []struct {
			Slug    string `json:"slug"`
			InStock bool   `json:"in_stock"`
		} `json:"items"`
		Total int `json:"total"`
	}
	call(t, cs, "search_catalog", map[string]any{"query": "cotton", "in_stock": true, "sort": "price_asc", "limit": 5}, &found)
	if len(found.Items) == 0 || !found.Items[0].InStock {
		t.Fatalf("search found nothing in stock: %+v", found)
	}
	var p struct {
		Name     string `json:"name"`
		Variants []struct {
			ID        string `json:"id"`
			Available int    `json:"available"`
			Price     money  `json:"price"`
		} `json:"variants"`
	}
	call(t, cs, "get_product", map[string]any{"slug": found.Items[0].Slug}, &p)
	variant := ""
	for _, v := range p.Variants {
		if v.Available >= 2 {
			variant = v.ID
			break
		}
	}
	if variant == "" {
		t.Fatalf("%s has no variant with 2 in stock", p.Name)
	}
	var c cartOut
	call(t, cs, "create_cart", nil, &c)
	if len(c.CartID) < 32 || c.Count != 0 {
		t.Fatalf("new cart: %+v", c)
	}
	call(t, cs, "add_to_cart", map[string]any{"cart_id": c.CartID, "variant_id": variant, "quantity": 2}, &c)
	if c.Count != 2 {
		t.Fatalf("after adding 2: %+v", c)
	}
	call(t, cs, "update_cart_item", map[string]any{"cart_id": c.CartID, "item_id": c.Items[0].ID, "quantity": 1}, &c)
	if c.Count != 1 {
		t.Fatalf("after setting 1: %+v", c)
	}
	refused(t, cs, "apply_discount", map[string]any{"cart_id": c.CartID, "code": "NOSUCHCODE"}, "Unprocessable request")
	call(t, cs, "apply_discount", map[string]any{"cart_id": c.CartID, "code": "welcome10"}, &c)
	if c.Discount != "WELCOME10" || c.Totals.Discount.Amount <= 0 || c.Totals.Total.Amount >= c.Totals.Subtotal.Amount {
		t.Fatalf("discount not applied: %+v", c)
	}
	var ships struct {
		Items []struct {
			Code string `json:"code"`
		} `json:"items"`
	}
	call(t, cs, "list_shipping_methods", map[string]any{"country": "ZA"}, &ships)
	if len(ships.Items) == 0 {
		t.Fatal("no shipping methods for ZA")
	}
	var co struct {
		CheckoutURL string `json:"checkout_url"`
		ExpiresAt   string `json:"expires_at"`
	}
	call(t, cs, "start_checkout", map[string]any{"cart_id": c.CartID}, &co)
	if strings.Contains(co.CheckoutURL, c.CartID) {
		t.Fatalf("the checkout link shows the cart id (a secret): %s", co.CheckoutURL)
	}

	// The shopper opens the link: the browser adopts the cart and lands on
	// the checkout.
	u, err := url.Parse(co.CheckoutURL)
	if err != nil || u.Path != "/cart/resume" {
		t.Fatalf("checkout link %q", co.CheckoutURL)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Get(s.srv.URL + u.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/checkout" {
		t.Fatalf("opening the checkout link: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	adopted := ""
	for _, ck := range res.Cookies() {
		if ck.Name == "__Host-ocean_cart" {
			adopted = ck.Value
		}
	}
	if adopted != c.CartID {
		t.Fatalf("the browser holds cart %q, want the assistant's", adopted)
	}
	// A forged or altered link opens nothing.
	res, err = noRedirect.Get(s.srv.URL + "/cart/resume?t=" + url.QueryEscape(u.Query().Get("t")+"x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("an altered checkout link: %d, want 404", res.StatusCode)
	}

	// The shopper pays (the browser's checkout posts the same request the
	// API takes; the card went to the gateway, which gave tok_visa).
	var order struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	s.api(t, 201, "POST", "/api/v1/carts/"+adopted+"/checkout", "", map[string]string{"Idempotency-Key": "journey-0001"}, map[string]any{
		"email":            "shopper@example.com",
		"shipping_address": map[string]string{"name": "Thandi Mokoena", "line1": "1 Long Street", "city": "Cape Town", "postal_code": "8001", "country": "ZA"},
		"shipping_method":  ships.Items[0].Code, "payment": map[string]string{"gateway": "sandbox", "token": "tok_visa"},
	}, &order)

	var st struct {
		Number string `json:"number"`
		Status string `json:"status"`
		Totals struct {
			Discount money `json:"discount"`
		} `json:"totals"`
	}
	call(t, cs, "get_order_status", map[string]any{"order_id": order.ID}, &st)
	if st.Status != "paid" || st.Totals.Discount.Amount != c.Totals.Discount.Amount {
		t.Fatalf("order status %+v, want paid with the discount", st)
	}
	// The cart is spent: no second checkout link.
	refused(t, cs, "start_checkout", map[string]any{"cart_id": c.CartID}, "Unprocessable request")
	refused(t, cs, "get_order_status", map[string]any{"order_id": strings.Repeat("0", 32)}, "Not found")
}
