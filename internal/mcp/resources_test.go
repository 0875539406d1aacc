package mcp_test

import (
	"context"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestResourcesAndPrompts: the docs, runbooks, decisions, help, OpenAPI
// document and live schema are readable; the prompts name the tools to use.
func TestResourcesAndPrompts(t *testing.T) {
	s := newShop(t, nil)
	cs := memClient(t, s.mcp)
	ctx := context.Background()
	res, err := cs.ListResources(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	uris := map[string]bool{}
	for _, r := range res.Resources {
		uris[r.URI] = true
	}
	for _, u := range []string{"ocean://docs/README.md", "ocean://docs/docs/architecture.md", "ocean://docs/docs/decisions/0014-locks.md",
		"ocean://docs/docs/runbooks/disaster-recovery.md", "ocean://help/returns", "ocean://openapi.json", "ocean://schema"} {
		if !uris[u] {
			t.Errorf("resource %s is not listed", u)
		}
	}
	read := func(uri string) string {
		r, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: uri})
		if err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		return r.Contents[0].Text
	}
	if !strings.Contains(read("ocean://docs/README.md"), "Ocean") {
		t.Error("the README resource does not read as the README")
	}
	if !strings.Contains(read("ocean://openapi.json"), `"openapi"`) {
		t.Error("the OpenAPI resource is not the document")
	}
	schema := read("ocean://schema")
	for _, want := range []string{`"name": "orders"`, `"password_hash"`, `"secret_columns"`, `"kg_entities"`} {
		if !strings.Contains(schema, want) {
			t.Errorf("the schema lacks %s", want)
		}
	}
	if _, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "ocean://docs/../../etc/passwd"}); err == nil {
		t.Error("an unknown resource was read")
	}
	ps, err := cs.ListPrompts(ctx, nil)
	if err != nil || len(ps.Prompts) != 2 {
		t.Fatalf("prompts: %+v, %v", ps, err)
	}
	p, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "why_order_failed", Arguments: map[string]string{"order_id": "abc"}})
	if err != nil || !strings.Contains(p.Messages[0].Content.(*sdk.TextContent).Text, `get_order {"order_id": "abc"}`) {
		t.Fatalf("why_order_failed: %+v, %v", p, err)
	}
	p, err = cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "restock_plan"})
	if err != nil || !strings.Contains(p.Messages[0].Content.(*sdk.TextContent).Text, `low_stock_report {"threshold": 5}`) {
		t.Fatalf("restock_plan: %+v, %v", p, err)
	}
}
