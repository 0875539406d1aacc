package mcp_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestShopperEdges: the tools' other paths, and bad input an assistant
// might send.
func TestShopperEdges(t *testing.T) {
	s := newShop(t, nil)
	cs := s.client(t, "")
	var cats struct {
		Items []struct {
			Slug   string `json:"slug"`
			Parent string `json:"parent"`
			Depth  int    `json:"depth"`
		} `json:"items"`
	}
	call(t, cs, "list_categories", nil, &cats)
	sub := ""
	for _, c := range cats.Items {
		if c.Depth > 0 && c.Parent != "" {
			sub = c.Slug
		}
	}
	if len(cats.Items) == 0 || sub == "" {
		t.Fatalf("categories: %+v", cats)
	}
	var page struct {
		Items []struct {
			Slug     string `json:"slug"`
			Category string `json:"category"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	call(t, cs, "search_catalog", map[string]any{"category": sub, "limit": 1}, &page)
	if len(page.Items) != 1 || page.Items[0].Category != sub {
		t.Fatalf("search in %s: %+v", sub, page)
	}
	first := page.Items[0].Slug
	if page.NextCursor != "" {
		call(t, cs, "search_catalog", map[string]any{"category": sub, "limit": 1, "cursor": page.NextCursor}, &page)
		if len(page.Items) == 1 && page.Items[0].Slug == first {
			t.Fatal("the next page repeats the first")
		}
	}
	refused(t, cs, "search_catalog", map[string]any{"min_price": 500, "max_price": 100}, "Invalid request")
	refused(t, cs, "search_catalog", map[string]any{"sort": "cheapest"}, "Invalid request")
	refused(t, cs, "search_catalog", map[string]any{"cursor": "garbage"}, "Invalid request")
	refused(t, cs, "search_catalog", map[string]any{"limit": "ten"}, "Invalid request")
	refused(t, cs, "get_product", map[string]any{"slug": "no-such-thing"}, "Not found")
	refused(t, cs, "get_product", map[string]any{}, "Invalid request")

	var c cartOut
	call(t, cs, "create_cart", map[string]any{}, &c)
	refused(t, cs, "get_cart", map[string]any{"cart_id": "not-a-cart"}, "Not found")
	refused(t, cs, "add_to_cart", map[string]any{"cart_id": c.CartID, "variant_id": "x", "quantity": 1}, "Unprocessable request")
	refused(t, cs, "add_to_cart", map[string]any{"cart_id": c.CartID, "variant_id": "999999", "quantity": 1}, "Unprocessable request")
	refused(t, cs, "start_checkout", map[string]any{"cart_id": c.CartID}, "Unprocessable request") // empty
	var p struct {
		Variants []struct {
			ID string `json:"id"`
		} `json:"variants"`
	}
	call(t, cs, "get_product", map[string]any{"slug": first}, &p)
	call(t, cs, "add_to_cart", map[string]any{"cart_id": c.CartID, "variant_id": p.Variants[0].ID, "quantity": 1}, &c)
	refused(t, cs, "add_to_cart", map[string]any{"cart_id": c.CartID, "variant_id": p.Variants[0].ID, "quantity": 0}, "Unprocessable request")
	refused(t, cs, "update_cart_item", map[string]any{"cart_id": c.CartID, "item_id": "abc", "quantity": 1}, "Invalid request")
	call(t, cs, "apply_discount", map[string]any{"cart_id": c.CartID, "code": "WELCOME10"}, &c)
	var bare cartOut
	call(t, cs, "apply_discount", map[string]any{"cart_id": c.CartID, "code": ""}, &bare)
	if bare.Discount != "" || bare.Totals.Discount.Amount != 0 {
		t.Fatalf("an empty code left %q on the cart", bare.Discount)
	}
	call(t, cs, "remove_cart_item", map[string]any{"cart_id": c.CartID, "item_id": c.Items[0].ID}, &c)
	id := c.CartID
	c = cartOut{}
	call(t, cs, "get_cart", map[string]any{"cart_id": id}, &c)
	if c.Count != 0 {
		t.Fatalf("after removing the only line: %+v", c)
	}
	// A shopper's cart is theirs: another caller does not find it.
	own := s.client(t, s.shopperToken(t))
	var mine cartOut
	call(t, own, "create_cart", nil, &mine)
	refused(t, cs, "get_cart", map[string]any{"cart_id": mine.CartID}, "Not found")

	var help struct {
		Items []struct {
			Page  string `json:"page"`
			Title string `json:"title"`
		} `json:"items"`
	}
	call(t, cs, "search_help", map[string]any{"query": "How do I return a damaged item?"}, &help)
	if len(help.Items) == 0 || help.Items[0].Page != "returns" {
		t.Fatalf("help on returns: %+v", help)
	}
	call(t, cs, "search_help", map[string]any{"query": "is my card stored", "limit": 1}, &help)
	if len(help.Items) != 1 || help.Items[0].Page != "privacy" {
		t.Fatalf("help on cards: %+v", help)
	}
	call(t, cs, "search_help", map[string]any{"query": "zyxxy"}, &help)
	if len(help.Items) != 0 {
		t.Fatalf("nonsense matched: %+v", help)
	}
	refused(t, cs, "search_help", map[string]any{"query": "?!"}, "Invalid request")
	refused(t, cs, "search_help", map[string]any{"query": "returns", "limit": 50}, "Invalid request")
}

// TestOrigin: a page of another origin may not call /mcp (DNS rebinding);
// the shop's own origin and assistants (no Origin) may.
func TestOrigin(t *testing.T) {
	s := newShop(t, nil)
	post := func(origin, host string) int {
		req, _ := http.NewRequest("POST", s.srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if host != "" {
			req.Host = host
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, c := range []struct {
		origin, host string
		want         int
	}{
		{"", "", 200},
		{"https://localhost:8443", "", 200},                // the shop's public origin (the default)
		{"http://localhost:6274", "", 200},                 // a local tool's page, to a local shop
		{"https://evil.example", "", 403},                  // another site
		{"http://localhost:6274", "shop.example.com", 403}, // a local page, to a shop that is not local
		{"", "evil.example", 403},                          // rebinding: a loopback connection naming another host
		{"null", "", 403},
	} {
		if got := post(c.origin, c.host); got != c.want {
			t.Errorf("Origin %q, Host %q: %d, want %d", c.origin, c.host, got, c.want)
		}
	}
}

// TestOriginBehindProxy: a public shop's reverse proxy connects over
// loopback with the public Host; that is served, and other origins are
// still refused.
func TestOriginBehindProxy(t *testing.T) {
	s := newShop(t, map[string]string{"OCEAN_PUBLIC_URL": "https://shop.example.com"})
	post := func(origin string) int {
		req, _ := http.NewRequest("POST", s.srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Host = "shop.example.com"
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for origin, want := range map[string]int{"": 200, "https://shop.example.com": 200, "https://evil.example": 403, "http://localhost:6274": 403} {
		if got := post(origin); got != want {
			t.Errorf("Origin %q through the proxy: %d, want %d", origin, got, want)
		}
	}
}
