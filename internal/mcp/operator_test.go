package mcp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/oceanshop/ocean/internal/mcp"
)

// paidOrder places a paid order of one unit through the API and returns
// its id and variant.
func (s *shop) paidOrder(t *testing.T, key string) (orderID, variantID string) {
	t.Helper()
	var page struct {
		Items []struct {
			Slug string `json:"slug"`
		} `json:"items"`
	}
	s.api(t, 200, "GET", "/api/v1/products?in_stock=true&limit=1", "", nil, nil, &page)
	var p struct {
		Variants []struct {
			ID        string `json:"id"`
			Available int    `json:"available"`
		} `json:"variants"`
	}
	s.api(t, 200, "GET", "/api/v1/products/"+page.Items[0].Slug, "", nil, nil, &p)
	for _, v := range p.Variants {
		if v.Available > 0 {
			variantID = v.ID
			break
		}
	}
	var c struct {
		ID string `json:"id"`
	}
	s.api(t, 201, "POST", "/api/v1/carts", "", nil, nil, &c)
	s.api(t, 200, "POST", "/api/v1/carts/"+c.ID+"/items", "", nil, map[string]any{"variant_id": variantID, "quantity": 1}, nil)
	var o struct {
		ID string `json:"id"`
	}
	s.api(t, 201, "POST", "/api/v1/carts/"+c.ID+"/checkout", "", map[string]string{"Idempotency-Key": key}, map[string]any{
		"email":            "buyer@example.com",
		"shipping_address": map[string]string{"name": "Sipho Dlamini", "line1": "2 Loop Street", "city": "Cape Town", "postal_code": "8001", "country": "ZA"},
		"shipping_method":  "standard", "payment": map[string]string{"gateway": "sandbox", "token": "tok_visa"},
	}, &o)
	return o.ID, variantID
}

func (s *shop) shopperToken(t *testing.T) string {
	t.Helper()
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	s.api(t, 202, "POST", "/api/v1/auth/register", "", nil, map[string]string{"email": "shopper@example.com", "password": "a long shopper password 9", "name": "Shopper"}, nil)
	s.api(t, 200, "POST", "/api/v1/auth/login", "", nil, map[string]string{"email": "shopper@example.com", "password": "a long shopper password 9"}, &tk)
	return tk.AccessToken
}

// TestOperatorToolsRefuseOthers: without a token an operator tool asks for
// one; with a shopper's it is forbidden; a bad token is never a guest.
func TestOperatorToolsRefuseOthers(t *testing.T) {
	s := newShop(t, nil)
	guest := s.client(t, "")
	shopper := s.client(t, s.shopperToken(t))
	forged := s.client(t, "not-a-token")
	for _, d := range s.mcp.Tools() {
		if d.Scope == "" {
			continue
		}
		var args map[string]any
		_ = json.Unmarshal(d.Example, &args)
		refused(t, guest, d.Name, args, "Authentication required")
		refused(t, shopper, d.Name, args, "Forbidden")
		refused(t, forged, d.Name, args, "Authentication required")
	}
	// A shopper's token still shops, as that shopper.
	call(t, shopper, "create_cart", nil, nil)
	refused(t, forged, "create_cart", nil, "Authentication required")
}

// TestOperatorOrders runs an order's life through the operator tools, and
// the refund's two guards; every call lands in the audit log.
func TestOperatorOrders(t *testing.T) {
	s := newShop(t, nil)
	id, variant := s.paidOrder(t, "operator-0001")
	op := s.client(t, s.admin)

	var list struct {
		Items []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	call(t, op, "list_orders", map[string]any{"status": "paid"}, &list)
	if len(list.Items) != 1 || list.Items[0].ID != id {
		t.Fatalf("list_orders: %+v", list)
	}
	refused(t, op, "list_orders", map[string]any{"status": "lost"}, "Invalid request")
	refused(t, op, "list_orders", map[string]any{"statu": "paid"}, "Invalid request") // unknown argument

	var o struct {
		Status  string                `json:"status"`
		Totals  struct{ Total money } `json:"totals"`
		History []struct {
			To string `json:"to"`
		} `json:"history"`
	}
	call(t, op, "get_order", map[string]any{"order_id": id}, &o)
	if o.Status != "paid" || len(o.History) == 0 {
		t.Fatalf("get_order: %+v", o)
	}

	// Refunds: confirm and a key are required, and a retry is one refund.
	txt := refused(t, op, "refund_order", map[string]any{"order_id": id, "amount": 1000, "idempotency_key": "refund-0001"}, "Invalid request")
	if !strings.Contains(txt, "confirm") {
		t.Errorf("the refusal does not say what is missing: %s", txt)
	}
	refused(t, op, "refund_order", map[string]any{"order_id": id, "amount": 1000, "idempotency_key": "refund-0001", "confirm": false}, "Invalid request")
	refused(t, op, "refund_order", map[string]any{"order_id": id, "amount": 1000, "confirm": true}, "Invalid request")
	refused(t, op, "refund_order", map[string]any{"order_id": id, "amount": 1000, "idempotency_key": "short", "confirm": true}, "Invalid request")
	var r struct {
		Status   string `json:"status"`
		Refunded money  `json:"refunded"`
	}
	args := map[string]any{"order_id": id, "amount": 1000, "idempotency_key": "refund-0001", "confirm": true}
	call(t, op, "refund_order", args, &r)
	call(t, op, "refund_order", args, &r) // a retry
	if r.Status != "partially_refunded" || r.Refunded.Amount != 1000 {
		t.Fatalf("after a refund and its retry: %+v, want 1000 refunded once", r)
	}

	call(t, op, "fulfil_order", map[string]any{"order_id": id, "tracking_number": "ZA123"}, &r)
	if r.Status != "fulfilled" {
		t.Fatalf("fulfil: %+v", r)
	}
	refused(t, op, "cancel_order", map[string]any{"order_id": id}, "Conflict")

	refused(t, op, "adjust_inventory", map[string]any{"variant_id": variant, "delta": -100000, "reason": "count"}, "Conflict")
}

// TestOperatorAudit: each operator call, refused or not, is in the audit
// log with its arguments.
func TestOperatorAudit(t *testing.T) {
	s := newShop(t, nil)
	op := s.client(t, s.admin)
	call(t, op, "sales_summary", nil, nil)
	refused(t, op, "query_database", map[string]any{"sql": "DELETE FROM orders"}, "Forbidden")
	var events []struct {
		Event  string `json:"event"`
		Detail string `json:"detail"`
	}
	evs, err := s.app.Accounts.AuditEvents(context.Background(), 0, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		events = append(events, struct {
			Event  string `json:"event"`
			Detail string `json:"detail"`
		}{e.Event, e.Detail})
	}
	want := map[string]string{"admin.mcp.sales_summary": "ok {}", "admin.mcp.query_database": `forbidden {"sql":"DELETE FROM orders"}`}
	for ev, detail := range want {
		ok := false
		for _, e := range events {
			if e.Event == ev && e.Detail == detail {
				ok = true
			}
		}
		if !ok {
			t.Errorf("audit log lacks %s %q: %+v", ev, detail, events)
		}
	}
}

// TestReports: sales and low stock come from the database's own sums.
func TestReports(t *testing.T) {
	s := newShop(t, nil)
	_, variant := s.paidOrder(t, "report-0001")
	s.paidOrder(t, "report-0002")
	op := s.client(t, s.admin)
	var sum struct {
		Periods []struct {
			Period            string `json:"period"`
			Orders            int    `json:"orders"`
			Revenue           money  `json:"revenue"`
			AverageOrderValue money  `json:"average_order_value"`
		} `json:"periods"`
	}
	call(t, op, "sales_summary", nil, &sum)
	if len(sum.Periods) != 3 {
		t.Fatalf("sales_summary: %+v", sum)
	}
	for _, p := range sum.Periods {
		if p.Orders != 2 || p.Revenue.Amount <= 0 || p.AverageOrderValue.Amount != (p.Revenue.Amount+1)/2 {
			t.Errorf("%s: %+v, want 2 orders and the average of their revenue", p.Period, p)
		}
	}
	var lvl struct {
		Stock int `json:"stock"`
	}
	call(t, op, "adjust_inventory", map[string]any{"variant_id": variant, "delta": 1, "reason": "found one"}, &lvl)
	call(t, op, "adjust_inventory", map[string]any{"variant_id": variant, "delta": -lvl.Stock, "reason": "all sold elsewhere"}, &lvl)
	if lvl.Stock != 0 {
		t.Fatalf("stock after removing it all: %d", lvl.Stock)
	}
	refused(t, op, "adjust_inventory", map[string]any{"variant_id": variant, "delta": -1, "reason": "below zero"}, "Conflict")
	var low struct {
		Items []struct {
			VariantID int64 `json:"variant_id"`
			Stock     int   `json:"stock"`
			Sold30d   int   `json:"sold_30d"`
		} `json:"items"`
	}
	call(t, op, "low_stock_report", map[string]any{"threshold": 0, "limit": 200}, &low)
	hit := false
	for _, l := range low.Items {
		if l.Stock != 0 {
			t.Errorf("a variant with %d in stock is listed at threshold 0", l.Stock)
		}
		if v, _ := json.Marshal(l.VariantID); string(v) == variant {
			hit = l.Sold30d == 2
		}
	}
	if !hit {
		t.Errorf("the emptied variant %s (2 sold) is not in the low-stock report: %+v", variant, low.Items)
	}
	call(t, op, "lock_status", nil, nil)
}

// TestContract: every tool's documented example validates against its
// input schema, and the annotations are set on every tool.
func TestContract(t *testing.T) {
	s := newShop(t, nil)
	cs := memClient(t, s.mcp)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]*sdk.Tool{}
	for _, tl := range res.Tools {
		listed[tl.Name] = tl
	}
	docs := s.mcp.Tools()
	if len(docs) != len(res.Tools) {
		t.Errorf("%d tools documented, %d listed", len(docs), len(res.Tools))
	}
	for _, d := range docs {
		if err := d.ValidateExample(); err != nil {
			t.Errorf("%s: example %s does not match the input schema: %v", d.Name, d.Example, err)
		}
		tl := listed[d.Name]
		if tl == nil {
			t.Errorf("%s is not listed", d.Name)
			continue
		}
		a := tl.Annotations
		if a == nil || a.Title == "" || a.OpenWorldHint == nil || (!a.ReadOnlyHint && a.DestructiveHint == nil) {
			t.Errorf("%s: annotations incomplete: %+v", d.Name, a)
		}
		if tl.OutputSchema == nil || tl.Description == "" {
			t.Errorf("%s: no output schema or description", d.Name)
		}
	}
	for _, name := range []string{"search_catalog", "get_product", "list_categories", "create_cart", "get_cart", "add_to_cart", "update_cart_item",
		"remove_cart_item", "apply_discount", "list_shipping_methods", "start_checkout", "get_order_status", "search_help",
		"list_orders", "get_order", "fulfil_order", "cancel_order", "refund_order", "adjust_inventory", "low_stock_report", "sales_summary",
		"lock_status", "query_database", "explain_query", "create_entities", "create_relations", "add_observations", "delete_entities",
		"delete_observations", "delete_relations", "search_nodes", "open_nodes", "read_graph"} {
		if listed[name] == nil {
			t.Errorf("the contract's tool %s is missing", name)
		}
	}
}

// TestKnowledgeGraph: the decisions are in the graph at start, and an
// operator's assistant records an incident and finds it again.
func TestKnowledgeGraph(t *testing.T) {
	s := newShop(t, nil)
	op := s.client(t, s.admin)
	var g struct {
		Entities []struct {
			Name         string   `json:"name"`
			Observations []string `json:"observations"`
		} `json:"entities"`
		Relations []struct {
			From, To     string
			RelationType string `json:"relation_type"`
		} `json:"relations"`
		NextCursor string `json:"next_cursor"`
	}
	call(t, op, "open_nodes", map[string]any{"names": []string{"decision/0014-locks", "internal/lock"}}, &g)
	if len(g.Entities) != 2 || len(g.Relations) != 1 || g.Relations[0].RelationType != "concerns" {
		t.Fatalf("the locks decision in the graph: %+v", g)
	}
	call(t, op, "create_entities", map[string]any{"entities": []map[string]any{{"name": "incident/1", "entity_type": "incident", "observations": []string{"Checkout stalled while Redis failed over"}}}}, nil)
	call(t, op, "create_relations", map[string]any{"relations": []map[string]any{{"from": "incident/1", "to": "internal/lock", "relation_type": "concerns"}}}, nil)
	call(t, op, "add_observations", map[string]any{"observations": []map[string]any{{"entity_name": "incident/1", "contents": []string{"Fixed by shorter Redis timeouts"}}}}, nil)
	call(t, op, "search_nodes", map[string]any{"query": "redis timeouts"}, &g)
	if len(g.Entities) != 1 || g.Entities[0].Name != "incident/1" || len(g.Entities[0].Observations) != 2 {
		t.Fatalf("search_nodes: %+v", g)
	}
	refused(t, op, "create_relations", map[string]any{"relations": []map[string]any{{"from": "incident/1", "to": "nowhere", "relation_type": "x"}}}, "Not found")
	call(t, op, "read_graph", map[string]any{"limit": 5}, &g)
	if len(g.Entities) != 5 || g.NextCursor == "" {
		t.Fatalf("read_graph page: %d entities, cursor %q", len(g.Entities), g.NextCursor)
	}
	call(t, op, "delete_entities", map[string]any{"entity_names": []string{"incident/1"}}, nil)
	call(t, op, "search_nodes", map[string]any{"query": "redis timeouts"}, &g)
	if len(g.Entities) != 0 {
		t.Fatalf("deleted entity still found: %+v", g)
	}
}

// TestStdioUser: over stdio the configured account acts, and its role is
// read at every call.
func TestStdioUser(t *testing.T) {
	s := newShop(t, nil)
	ctx := context.Background()
	admin, err := s.app.DB.Accounts().UserByEmail(ctx, "owner@example.com")
	if err != nil {
		t.Fatal(err)
	}
	m, err := mcp.New(mcp.Config{Catalog: s.app.Catalog, Carts: s.app.Carts, Checkout: s.app.Checkout, Accounts: s.app.Accounts,
		Inventory: s.app.Inventory, DB: s.app.DB, UserID: admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cs := memClient(t, m)
	call(t, cs, "sales_summary", nil, nil)
	guest := memClient(t, s.mcp) // no token, no user
	refused(t, guest, "sales_summary", nil, "Authentication required")
}
