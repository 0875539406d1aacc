package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/pricing"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// Scopes of the operator tools. An access token carries its account's
// role, and a role grants scopes: an admin holds them all; the staff role
// (when the shop has one) runs orders and stock but neither refunds money
// nor reads the database.
const (
	ScopeOrdersRead  = "orders:read"
	ScopeOrdersWrite = "orders:write"
	ScopeRefunds     = "refunds"
	ScopeInventory   = "inventory"
	ScopeReports     = "reports"
	ScopeDatabase    = "database"
	ScopeKnowledge   = "knowledge"
)

// RoleScopes says which scopes each role holds.
var RoleScopes = map[string][]string{
	account.RoleAdmin: {ScopeOrdersRead, ScopeOrdersWrite, ScopeRefunds, ScopeInventory, ScopeReports, ScopeDatabase, ScopeKnowledge},
	"staff":           {ScopeOrdersRead, ScopeOrdersWrite, ScopeInventory, ScopeReports, ScopeKnowledge},
}

// allowed says whether the caller holds scope: EUNAUTHORIZED without a
// token, EFORBIDDEN with one whose account lacks it (a shopper's).
func allowed(c *caller, scope string) error {
	if c.User == nil {
		return &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: "This tool is for the shop's operators: send an admin's access token (Authorization: Bearer <token>; for ocean mcp, OCEAN_MCP_USER or OCEAN_MCP_TOKEN)."}
	}
	if c.User.ErasedAt == nil {
		for _, s := range RoleScopes[c.User.Role] {
			if s == scope {
				return nil
			}
		}
	}
	return &ocean.Error{Code: ocean.EFORBIDDEN, Message: "This needs an admin account (scope " + scope + ")."}
}

// audit writes every operator call to the audit log: the tool, its
// arguments, and how it ended.
func (s *Server) audit(ctx context.Context, c *caller, tool string, args json.RawMessage, err error) {
	if s.c.Accounts == nil || c.User == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = ocean.ErrorCode(err)
	}
	a := string(args)
	if a == "" {
		a = "{}"
	}
	s.c.Accounts.RecordAdminActionDetail(ctx, "mcp."+tool, outcome+" "+a, account.Meta{IP: c.IP, ActorID: c.User.ID})
}

func actor(c *caller) string { return "admin:" + strconv.FormatInt(c.User.ID, 10) + ":mcp" }

// ------------------------------------------------------------------ orders

type listOrdersIn struct {
	Status string `json:"status,omitempty" jsonschema:"only orders in this status: pending_payment, paid, fulfilled, delivered, cancelled, refunded or partially_refunded"`
	Limit  int    `json:"limit,omitempty" jsonschema:"orders per page, 1 to 100 (default 20)"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

type orderOut struct {
	ID             string         `json:"id" jsonschema:"the order's id, for the other order tools"`
	Number         string         `json:"number"`
	Status         order.Status   `json:"status"`
	Email          string         `json:"email"`
	Items          []orderItemOut `json:"items"`
	Totals         pricing.Totals `json:"totals"`
	Refunded       ocean.Money    `json:"refunded"`
	DiscountCode   string         `json:"discount_code,omitempty"`
	ShippingMethod string         `json:"shipping_method"`
	Country        string         `json:"country"`
	TrackingNumber string         `json:"tracking_number,omitempty"`
	Gateway        string         `json:"gateway"`
	PaymentStatus  string         `json:"payment_status"`
	DeclineCode    string         `json:"decline_code,omitempty"`
	DeclineMessage string         `json:"decline_message,omitempty"`
	CreatedAt      string         `json:"created_at"`
	PaidAt         string         `json:"paid_at,omitempty"`
}

type orderItemOut struct {
	VariantID   string      `json:"variant_id,omitempty"`
	ProductName string      `json:"product_name"`
	SKU         string      `json:"sku"`
	Quantity    int         `json:"quantity"`
	UnitPrice   ocean.Money `json:"unit_price"`
	LineTotal   ocean.Money `json:"line_total"`
}

func (o orderOut) Summary() string {
	return fmt.Sprintf("Order %s (%s) is %s: %s.", o.Number, o.ID, o.Status, money(o.Totals.Total))
}

// toOrder is an order as staff see it. The delivery address stays out: an
// assistant's transcript is no place for it (the admin shows it).
func toOrder(o *order.Order) orderOut {
	out := orderOut{ID: o.PublicID, Number: o.Number(), Status: o.Status, Email: o.Email, Items: []orderItemOut{}, Totals: o.Totals,
		Refunded: ocean.Money{Amount: o.Refunded, Currency: o.Totals.Total.Currency}, DiscountCode: o.DiscountCode,
		ShippingMethod: o.ShippingMethod, Country: o.Country, TrackingNumber: o.Tracking, Gateway: o.Gateway,
		PaymentStatus: o.PaymentStatus, DeclineCode: o.DeclineCode, DeclineMessage: o.DeclineMessage,
		CreatedAt: o.CreatedAt.UTC().Format(time.RFC3339)}
	if o.PaidAt != nil {
		out.PaidAt = o.PaidAt.UTC().Format(time.RFC3339)
	}
	for _, it := range o.Items {
		j := orderItemOut{ProductName: it.ProductName, SKU: it.SKU, Quantity: it.Quantity, UnitPrice: it.UnitPrice, LineTotal: it.LineTotal}
		if it.VariantID != 0 {
			j.VariantID = strconv.FormatInt(it.VariantID, 10)
		}
		out.Items = append(out.Items, j)
	}
	return out
}

type ordersOut struct {
	Items      []orderOut `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty" jsonschema:"pass as cursor for the next page; absent on the last page"`
}

func (o ordersOut) Summary() string { return fmt.Sprintf("%d orders on this page.", len(o.Items)) }

func (s *Server) listOrders(ctx context.Context, _ *caller, in listOrdersIn) (ordersOut, error) {
	limit := in.Limit
	if limit == 0 {
		limit = 20
	}
	if limit < 1 || limit > 100 {
		return ordersOut{}, ocean.Invalid("The limit is out of range.", ocean.FieldError{Field: "limit", Message: "must be from 1 to 100"})
	}
	var before int64
	if in.Cursor != "" {
		n, err := strconv.ParseInt(in.Cursor, 10, 64)
		if err != nil || n < 1 {
			return ordersOut{}, ocean.Invalid("The cursor is not valid.", ocean.FieldError{Field: "cursor", Message: "is not a cursor this tool returned; start again without it"})
		}
		before = n
	}
	os, err := s.c.Checkout.Orders(ctx, order.Filter{Status: order.Status(in.Status), Limit: limit + 1, Before: before})
	if err != nil {
		return ordersOut{}, err
	}
	out := ordersOut{Items: []orderOut{}}
	if len(os) > limit {
		os = os[:limit]
		out.NextCursor = strconv.FormatInt(os[len(os)-1].ID, 10)
	}
	for i := range os {
		out.Items = append(out.Items, toOrder(&os[i]))
	}
	return out, nil
}

type orderIn struct {
	OrderID string `json:"order_id" jsonschema:"the order's id (from list_orders), or its number as people quote it (OC100042)"`
}

type eventOut struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Actor string `json:"actor"`
	Note  string `json:"note,omitempty"`
	At    string `json:"at"`
}

type refundOut struct {
	Amount    ocean.Money `json:"amount"`
	Reference string      `json:"reference"`
	Actor     string      `json:"actor"`
	At        string      `json:"at"`
}

type orderDetailOut struct {
	orderOut
	History []eventOut  `json:"history" jsonschema:"status changes, oldest first"`
	Refunds []refundOut `json:"refunds"`
}

func (s *Server) getOrder(ctx context.Context, _ *caller, in orderIn) (orderDetailOut, error) {
	o, err := s.c.Checkout.OrderByID(ctx, strings.TrimSpace(in.OrderID))
	if err != nil {
		return orderDetailOut{}, err
	}
	evs, rfs, err := s.c.Checkout.History(ctx, o.ID)
	if err != nil {
		return orderDetailOut{}, err
	}
	out := orderDetailOut{orderOut: toOrder(o), History: []eventOut{}, Refunds: []refundOut{}}
	for _, e := range evs {
		out.History = append(out.History, eventOut{From: string(e.From), To: string(e.To), Actor: e.Actor, Note: e.Note, At: e.CreatedAt.UTC().Format(time.RFC3339)})
	}
	for _, r := range rfs {
		out.Refunds = append(out.Refunds, refundOut{Amount: r.Amount, Reference: r.Reference, Actor: r.Actor, At: r.CreatedAt.UTC().Format(time.RFC3339)})
	}
	return out, nil
}

type fulfilIn struct {
	OrderID        string `json:"order_id" jsonschema:"the paid order to ship"`
	TrackingNumber string `json:"tracking_number,omitempty" jsonschema:"the carrier's tracking number"`
}

func orderResult(o *order.Order, err error) (orderOut, error) {
	if err != nil {
		return orderOut{}, err
	}
	return toOrder(o), nil
}

func (s *Server) fulfilOrder(ctx context.Context, c *caller, in fulfilIn) (orderOut, error) {
	return orderResult(s.c.Checkout.Fulfil(ctx, strings.TrimSpace(in.OrderID), in.TrackingNumber, actor(c)))
}

func (s *Server) cancelOrder(ctx context.Context, c *caller, in orderIn) (orderOut, error) {
	return orderResult(s.c.Checkout.Cancel(ctx, strings.TrimSpace(in.OrderID), actor(c)))
}

type refundIn struct {
	OrderID        string `json:"order_id" jsonschema:"the order to refund"`
	Amount         int64  `json:"amount" jsonschema:"minor units to refund, at most what is left of the order's total"`
	IdempotencyKey string `json:"idempotency_key" jsonschema:"8 to 255 printable characters, new for each refund and the same on a retry: a retry never refunds twice (the API's Idempotency-Key)"`
	Confirm        bool   `json:"confirm" jsonschema:"must be true: money leaves the shop; ask the operator first"`
}

func (s *Server) refundOrder(ctx context.Context, c *caller, in refundIn) (orderOut, error) {
	if !in.Confirm {
		return orderOut{}, ocean.Invalid("A refund sends money back to the customer's card: confirm it with the operator, then call again with confirm: true.",
			ocean.FieldError{Field: "confirm", Message: "must be true"})
	}
	if !checkout.ValidKey(in.IdempotencyKey) {
		return orderOut{}, ocean.Invalid("Send an idempotency_key (8-255 printable characters), the same on a retry, so a refund is never made twice.",
			ocean.FieldError{Field: "idempotency_key", Message: "is missing or malformed"})
	}
	id := strings.TrimSpace(in.OrderID)
	// The API's reference: a refund retried through either door with the
	// same key is the same refund.
	return orderResult(s.c.Checkout.Refund(ctx, id, in.Amount, "api_"+id+"_"+in.IdempotencyKey, actor(c)))
}

// --------------------------------------------------------------- inventory

type adjustIn struct {
	VariantID string `json:"variant_id" jsonschema:"the variant whose stock changes"`
	Delta     int    `json:"delta" jsonschema:"units to add (positive) or remove (negative); stock never goes below zero"`
	Reason    string `json:"reason" jsonschema:"why, for the stock ledger: restock, damaged, count correction"`
}

type levelOut struct {
	inventory.Level
}

func (o levelOut) Summary() string { return fmt.Sprintf("%s now has %d in stock.", o.SKU, o.Stock) }

func (s *Server) adjustInventory(ctx context.Context, c *caller, in adjustIn) (levelOut, error) {
	vid, err := id("variant_id", in.VariantID)
	if err != nil {
		return levelOut{}, err
	}
	l, err := s.c.Inventory.Adjust(ctx, vid, in.Delta, in.Reason, actor(c))
	return levelOut{l}, err
}

type lowStockIn struct {
	Threshold *int   `json:"threshold,omitempty" jsonschema:"list variants with at most this many in stock (default 5)"`
	Limit     int    `json:"limit,omitempty" jsonschema:"rows per page, 1 to 200 (default 50)"`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

type lowStockOut struct {
	Threshold  int              `json:"threshold"`
	Items      []sqldb.LowStock `json:"items"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

func (o lowStockOut) Summary() string {
	return fmt.Sprintf("%d variants at or below %d in stock on this page.", len(o.Items), o.Threshold)
}

func (s *Server) lowStockReport(ctx context.Context, _ *caller, in lowStockIn) (lowStockOut, error) {
	th := 5
	if in.Threshold != nil {
		th = *in.Threshold
	}
	if th < 0 || th > 1_000_000 {
		return lowStockOut{}, ocean.Invalid("The threshold is out of range.", ocean.FieldError{Field: "threshold", Message: "must be from 0 to 1000000"})
	}
	limit := in.Limit
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 200 {
		return lowStockOut{}, ocean.Invalid("The limit is out of range.", ocean.FieldError{Field: "limit", Message: "must be from 1 to 200"})
	}
	var after int64
	if in.Cursor != "" {
		n, err := strconv.ParseInt(in.Cursor, 10, 64)
		if err != nil || n < 1 {
			return lowStockOut{}, ocean.Invalid("The cursor is not valid.", ocean.FieldError{Field: "cursor", Message: "is not a cursor this tool returned"})
		}
		after = n
	}
	rows, err := s.c.DB.Reports().LowStock(ctx, th, after, limit+1, s.c.Now())
	if err != nil {
		return lowStockOut{}, err
	}
	out := lowStockOut{Threshold: th, Items: notNil(rows)}
	if len(rows) > limit {
		out.Items = rows[:limit]
		out.NextCursor = strconv.FormatInt(rows[limit-1].VariantID, 10)
	}
	return out, nil
}

// ----------------------------------------------------------------- reports

type periodOut struct {
	Period            string      `json:"period" jsonschema:"today (since 00:00 UTC), 7d or 30d"`
	Since             string      `json:"since"`
	Currency          string      `json:"currency"`
	Orders            int         `json:"orders" jsonschema:"orders paid in the period and not cancelled"`
	Revenue           ocean.Money `json:"revenue" jsonschema:"their totals less refunds"`
	Refunded          ocean.Money `json:"refunded"`
	AverageOrderValue ocean.Money `json:"average_order_value" jsonschema:"revenue / orders, rounded to the minor unit"`
}

type salesOut struct {
	Periods []periodOut `json:"periods" jsonschema:"one row per period and currency"`
}

func (o salesOut) Summary() string {
	var b strings.Builder
	for _, p := range o.Periods {
		fmt.Fprintf(&b, "%s: %d orders, revenue %s, average %s. ", p.Period, p.Orders, money(p.Revenue), money(p.AverageOrderValue))
	}
	if b.Len() == 0 {
		return "No paid orders in the last 30 days."
	}
	return strings.TrimSpace(b.String())
}

func (s *Server) salesSummary(ctx context.Context, _ *caller, _ noArgs) (salesOut, error) {
	now := s.c.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	out := salesOut{Periods: []periodOut{}}
	for _, p := range []struct {
		name  string
		since time.Time
	}{{"today", day}, {"7d", now.Add(-7 * 24 * time.Hour)}, {"30d", now.Add(-30 * 24 * time.Hour)}} {
		rows, err := s.c.DB.Reports().Sales(ctx, p.since)
		if err != nil {
			return salesOut{}, err
		}
		for _, r := range rows {
			aov := int64(0)
			if r.Orders > 0 {
				aov = (r.Revenue + int64(r.Orders)/2) / int64(r.Orders)
			}
			out.Periods = append(out.Periods, periodOut{Period: p.name, Since: p.since.Format(time.RFC3339), Currency: r.Currency, Orders: r.Orders,
				Revenue: ocean.Money{Amount: r.Revenue, Currency: r.Currency}, Refunded: ocean.Money{Amount: r.Refunded, Currency: r.Currency},
				AverageOrderValue: ocean.Money{Amount: aov, Currency: r.Currency}})
		}
	}
	return out, nil
}

type lockOut struct {
	Key        string  `json:"key"`
	Holder     string  `json:"holder"`
	Token      int64   `json:"token" jsonschema:"the grant's fencing token"`
	AgeSeconds float64 `json:"age_seconds"`
	TTLSeconds float64 `json:"ttl_seconds" jsonschema:"until the lock expires unless extended"`
}

type locksOut struct {
	Items []lockOut `json:"items" jsonschema:"locks held now across the fleet, oldest first"`
}

func (o locksOut) Summary() string { return fmt.Sprintf("%d locks held now.", len(o.Items)) }

func (s *Server) lockStatus(ctx context.Context, _ *caller, _ noArgs) (locksOut, error) {
	if s.c.Locker == nil {
		return locksOut{}, ocean.Errorf(ocean.EUNAVAILABLE, "This shop runs without the lock service.")
	}
	held, err := s.c.Locker.Held(ctx)
	if err != nil {
		return locksOut{}, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The lock service is not answering.", Err: err}
	}
	out := locksOut{Items: []lockOut{}}
	for _, h := range held {
		out.Items = append(out.Items, lockOut{Key: h.Key, Holder: h.Holder, Token: h.Token, AgeSeconds: h.Age.Seconds(), TTLSeconds: h.TTL.Seconds()})
	}
	return out, nil
}

// ---------------------------------------------------------------- register

func (s *Server) addOperatorTools() error {
	opw := func(title string, destructive, idempotent, openWorld bool) *sdk.ToolAnnotations {
		return &sdk.ToolAnnotations{Title: title, DestructiveHint: ptr(destructive), IdempotentHint: idempotent, OpenWorldHint: ptr(openWorld)}
	}
	errs := []error{
		addTool(s, &sdk.Tool{Name: "list_orders", Description: "The shop's orders, newest first, optionally in one status, paged.",
			Annotations: readOnly("List orders")}, ScopeOrdersRead, `{"status":"paid","limit":20}`, s.listOrders),
		addTool(s, &sdk.Tool{Name: "get_order", Description: "One order with its payment state, decline reason, status history and refunds.",
			Annotations: readOnly("Get an order")}, ScopeOrdersRead, `{"order_id":"9b2f0c1d2e3f4a5b6c7d8e9f0a1b2c3d"}`, s.getOrder),
		addTool(s, &sdk.Tool{Name: "fulfil_order", Description: "Mark a paid order as shipped, with its tracking number; the payment is captured if it was only authorized.",
			Annotations: opw("Fulfil an order", false, false, true)}, ScopeOrdersWrite, `{"order_id":"9b2f0c1d2e3f4a5b6c7d8e9f0a1b2c3d","tracking_number":"ZA123456789"}`, s.fulfilOrder),
		addTool(s, &sdk.Tool{Name: "cancel_order", Description: "Cancel an order that has not shipped: its stock goes back on sale and its payment is voided or refunded in full.",
			Annotations: opw("Cancel an order", true, false, true)}, ScopeOrdersWrite, `{"order_id":"9b2f0c1d2e3f4a5b6c7d8e9f0a1b2c3d"}`, s.cancelOrder),
		addTool(s, &sdk.Tool{Name: "refund_order", Description: "Refund part or all of a paid order to the customer's card. Needs confirm: true (ask the operator first) and an idempotency_key that is the same on a retry.",
			Annotations: opw("Refund an order", true, true, true)}, ScopeRefunds, `{"order_id":"9b2f0c1d2e3f4a5b6c7d8e9f0a1b2c3d","amount":5000,"idempotency_key":"refund-2026-12-06-001","confirm":true}`, s.refundOrder),
		addTool(s, &sdk.Tool{Name: "adjust_inventory", Description: "Add or remove units of a variant's stock, with a reason, written to the stock ledger.",
			Annotations: opw("Adjust stock", false, false, false)}, ScopeInventory, `{"variant_id":"12","delta":10,"reason":"restock from supplier"}`, s.adjustInventory),
		addTool(s, &sdk.Tool{Name: "low_stock_report", Description: "Variants at or below a stock threshold, with the units sold in the last 30 days to size a restock.",
			Annotations: readOnly("Low stock report")}, ScopeInventory, `{"threshold":5}`, s.lowStockReport),
		addTool(s, &sdk.Tool{Name: "sales_summary", Description: "Orders, revenue (less refunds) and average order value for today, the last 7 and the last 30 days, per currency, computed by the database.",
			Annotations: readOnly("Sales summary")}, ScopeReports, `{}`, s.salesSummary),
		addTool(s, &sdk.Tool{Name: "lock_status", Description: "The locks held now across the fleet (checkouts, stock, orders), with holders, fencing tokens and time left.",
			Annotations: readOnly("Lock status")}, ScopeReports, `{}`, s.lockStatus),
	}
	if s.sql != nil {
		errs = append(errs,
			addTool(s, &sdk.Tool{Name: "query_database", Description: "Run one read-only SQL SELECT on the shop's database and get the result as a table (at most 200 rows, 5 seconds). Secret tables and columns (password hashes, tokens, sessions, encrypted personal data) cannot be read. Resource ocean://schema lists the tables.",
				Annotations: readOnly("Query the database")}, ScopeDatabase, `{"sql":"SELECT status, COUNT(*) AS n FROM orders GROUP BY status"}`, s.queryDatabase),
			addTool(s, &sdk.Tool{Name: "explain_query", Description: "The database's query plan for one read-only SQL SELECT, without running it.",
				Annotations: readOnly("Explain a query")}, ScopeDatabase, `{"sql":"SELECT * FROM orders WHERE status = 'paid'"}`, s.explainQuery),
		)
	}
	return firstErr(errs...)
}

// OperatorID finds the account `ocean mcp` acts as for OCEAN_MCP_USER
// (email): an admin or staff account that is not erased.
func OperatorID(ctx context.Context, users account.Store, email string) (int64, error) {
	norm, err := account.NormalizeEmail(email)
	if err != nil {
		return 0, fmt.Errorf("OCEAN_MCP_USER: %w", err)
	}
	u, err := users.UserByEmail(ctx, norm)
	if err != nil {
		return 0, fmt.Errorf("OCEAN_MCP_USER: no account %s: %w", email, err)
	}
	if len(RoleScopes[u.Role]) == 0 || u.ErasedAt != nil {
		return 0, fmt.Errorf("OCEAN_MCP_USER: %s is not an admin or staff account", email)
	}
	return u.ID, nil
}
