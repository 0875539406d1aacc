package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/oceanshop/ocean/internal/sqldb"
)

// Resources: the project's documentation (README, docs/, runbooks,
// decision records), the shop's help pages, the API's OpenAPI document and
// the database schema as it is now. None of them holds a secret: they are
// what the open-source project and the storefront publish anyway.
func (s *Server) addResources() {
	if s.c.Docs != nil {
		files, _ := fs.Glob(s.c.Docs, "README.md")
		for _, pat := range []string{"docs/*.md", "docs/*/*.md"} {
			more, _ := fs.Glob(s.c.Docs, pat)
			files = append(files, more...)
		}
		for _, f := range files {
			b, err := fs.ReadFile(s.c.Docs, f)
			if err != nil {
				continue
			}
			desc := "Project documentation"
			switch {
			case strings.HasPrefix(f, "docs/runbooks/"):
				desc = "Runbook"
			case strings.HasPrefix(f, "docs/decisions/"):
				desc = "Decision record"
			}
			s.text("ocean://docs/"+f, path.Base(f), firstHeading(b, f), desc, "text/markdown", func(context.Context) (string, error) { return string(b), nil })
		}
	}
	help, _ := fs.Glob(helpFS, "help/*.md")
	for _, f := range help {
		b, _ := helpFS.ReadFile(f)
		page := strings.TrimSuffix(path.Base(f), ".md")
		s.text("ocean://help/"+page, page, firstHeading(b, page), "The shop's help for shoppers (search_help searches it)", "text/markdown", func(context.Context) (string, error) { return string(b), nil })
	}
	if len(s.c.OpenAPI) > 0 {
		s.text("ocean://openapi.json", "openapi.json", "JSON API (OpenAPI 3.1)", "The shop's JSON API under /api/v1: every route, its parameters and its problem responses", "application/json",
			func(context.Context) (string, error) { return string(s.c.OpenAPI), nil })
	}
	if s.c.DB != nil {
		s.text("ocean://schema", "schema", "Database schema", "Tables, columns and indexes of the shop's database as they are now, and which columns query_database may read", "application/json",
			s.schema)
	}
}

// text registers one static text resource.
func (s *Server) text(uri, name, title, desc, mime string, read func(context.Context) (string, error)) {
	s.srv.AddResource(&sdk.Resource{URI: uri, Name: name, Title: title, Description: desc, MIMEType: mime},
		func(ctx context.Context, _ *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
			t, err := read(ctx)
			if err != nil {
				return nil, err
			}
			return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: uri, MIMEType: mime, Text: t}}}, nil
		})
}

func firstHeading(b []byte, fallback string) string {
	for _, line := range strings.SplitN(string(b), "\n", 20) {
		if strings.HasPrefix(line, "# ") {
			return strings.TrimSpace(line[2:])
		}
	}
	return fallback
}

type schemaTable struct {
	sqldb.Table
	Readable      bool     `json:"readable" jsonschema:"whether query_database may read it"`
	SecretColumns []string `json:"secret_columns,omitempty"`
}

func (s *Server) schema(ctx context.Context) (string, error) {
	ts, err := s.c.DB.Reports().Schema(ctx)
	if err != nil {
		return "", err
	}
	out := struct {
		Dialect string        `json:"dialect"`
		Tables  []schemaTable `json:"tables"`
	}{Dialect: "sqlite", Tables: []schemaTable{}}
	if s.c.DB.Dialect == sqldb.Postgres {
		out.Dialect = "postgres"
	}
	for _, t := range ts {
		secret, ok := Readable[t.Name]
		out.Tables = append(out.Tables, schemaTable{Table: t, Readable: ok, SecretColumns: secret})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	return string(b), err
}

// ------------------------------------------------------------------ prompts

func (s *Server) addPrompts() {
	s.srv.AddPrompt(&sdk.Prompt{Name: "why_order_failed", Title: "Why did this order fail?",
		Description: "Investigate an order that did not complete: its payment, decline, status history and stock, and say what to do.",
		Arguments:   []*sdk.PromptArgument{{Name: "order_id", Title: "Order id", Description: "the order's id (from list_orders or the customer's link)", Required: true}}},
		func(_ context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
			id := strings.TrimSpace(req.Params.Arguments["order_id"])
			if id == "" {
				return nil, fmt.Errorf("order_id is required")
			}
			return prompt("Investigate order "+id, fmt.Sprintf(`Order %s did not go through as expected. Find out why and what to do, as the shop's operator:
1. get_order {"order_id": %q}: read status, payment_status, decline_code and decline_message, and the history.
2. If the payment was declined, say which decline it was (card declined, insufficient funds, processing error) and that the customer's cart was kept and nothing was charged.
3. If it is pending_payment, compare its age with the reservation time (docs: ocean://docs/docs/checkout.md); the reconciler releases or settles it.
4. If stock was the problem, check the variants with query_database (SELECT id, sku, stock FROM variants WHERE id IN (…)) and low_stock_report.
5. Look for similar failures: query_database {"sql": "SELECT status, decline_code, COUNT(*) FROM orders WHERE created_at > … GROUP BY 1, 2"}.
Answer with the cause in one sentence, the evidence, and the next step (contact the customer, restock, nothing). Do not refund or cancel without the operator's explicit go-ahead.`, id, id)), nil
		})
	s.srv.AddPrompt(&sdk.Prompt{Name: "restock_plan", Title: "Restock plan from low stock",
		Description: "Turn the low-stock report and recent sales into a restock plan.",
		Arguments:   []*sdk.PromptArgument{{Name: "threshold", Title: "Stock threshold", Description: "variants at or below this many units (default 5)"}}},
		func(_ context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
			th := strings.TrimSpace(req.Params.Arguments["threshold"])
			if th == "" {
				th = "5"
			}
			return prompt("Restock plan", fmt.Sprintf(`Make a restock plan for the shop:
1. low_stock_report {"threshold": %s} (follow next_cursor to the end): each variant's stock and units sold in the last 30 days.
2. sales_summary for the overall pace.
3. For each variant, suggest an order quantity covering 30 days of sales plus a safety margin of a week, and say which are urgent (sold recently, none left).
Present a table: SKU, product, in stock, sold in 30 days, suggested order, urgency. Do not change stock: adjust_inventory is for when the goods arrive.`, th)), nil
		})
}

func prompt(desc, text string) *sdk.GetPromptResult {
	return &sdk.GetPromptResult{Description: desc, Messages: []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: text}}}}
}
