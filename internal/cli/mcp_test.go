package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
)

// inspector returns the official MCP inspector CLI that
// scripts/e2e-setup.sh installs (npm @modelcontextprotocol/inspector).
func inspector(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs("../../e2e/inspector/node_modules/.bin/mcp-inspector")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatalf("the MCP inspector is not installed: run scripts/e2e-setup.sh (%v)", err)
		}
		t.Skip("the MCP inspector is not installed (scripts/e2e-setup.sh installs it)")
	}
	return bin
}

// inspect runs the inspector in CLI mode and decodes its JSON answer. Its
// exit status does not say whether a tool failed (it exits 1 on an isError
// result, and may exit 0 on others): the answer decides.
func inspect(t *testing.T, bin string, args ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--cli"}, args...)...)
	cmd.Env = append(os.Environ(), "MCP_CATALOG_PATH="+filepath.Join(t.TempDir(), "catalog.json"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("inspector %v: %v, output not JSON: %v\nstdout: %s\nstderr: %s", args, runErr, err, out.String(), errb.String())
	}
	return v
}

func toolNames(t *testing.T, v map[string]any) map[string]bool {
	t.Helper()
	tools, _ := v["tools"].([]any)
	names := map[string]bool{}
	for _, x := range tools {
		if m, ok := x.(map[string]any); ok {
			names[m["name"].(string)] = true
		}
	}
	if len(names) == 0 {
		t.Fatalf("no tools listed: %v", v)
	}
	return names
}

func resultText(v map[string]any) string {
	var b strings.Builder
	cs, _ := v["content"].([]any)
	for _, c := range cs {
		if m, ok := c.(map[string]any); ok {
			s, _ := m["text"].(string)
			b.WriteString(s)
		}
	}
	return b.String()
}

var shopperTools = []string{"search_catalog", "get_product", "list_categories", "create_cart", "get_cart", "add_to_cart", "update_cart_item",
	"remove_cart_item", "apply_discount", "list_shipping_methods", "start_checkout", "get_order_status", "search_help"}

// TestInspectorStdio: the official inspector starts `ocean mcp`, lists its
// tools and calls a shopper tool and, as OCEAN_MCP_USER, an operator tool.
func TestInspectorStdio(t *testing.T) {
	insp := inspector(t)
	bin := oceanBinary(t)
	dir := t.TempDir()
	// A seeded shop: seeding at the first start took longer than the
	// inspector's 15-second connection timeout on a busy machine.
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	seedInto(t, filepath.Join(dir, "data"))
	env := []string{"-e", "OCEAN_DATA_DIR=" + filepath.Join(dir, "data"), "-e", "OCEAN_ADMIN_EMAIL=owner@example.com",
		"-e", "OCEAN_ADMIN_PASSWORD=correct horse battery staple 42", "-e", "OCEAN_LOG_LEVEL=warn"}
	names := toolNames(t, inspect(t, insp, append(append([]string{bin, "mcp"}, env...), "--method", "tools/list")...))
	for _, n := range append(shopperTools, "refund_order", "query_database", "search_nodes") {
		if !names[n] {
			t.Errorf("tools/list over stdio lacks %s", n)
		}
	}
	res := inspect(t, insp, append(append([]string{bin, "mcp"}, env...), "--method", "tools/call", "--tool-name", "search_catalog",
		"--tool-arg", "query=linen", "--tool-arg", "limit=2")...)
	if res["isError"] == true || res["structuredContent"] == nil {
		t.Fatalf("search_catalog over stdio: %v", res)
	}
	// Without an operator: refused as a tool error the assistant can read.
	res = inspect(t, insp, append(append([]string{bin, "mcp"}, env...), "--method", "tools/call", "--tool-name", "sales_summary")...)
	if res["isError"] != true || !strings.HasPrefix(resultText(res), "Authentication required: ") {
		t.Fatalf("sales_summary without an operator: %v", res)
	}
	res = inspect(t, insp, append(append([]string{bin, "mcp"}, append(env, "-e", "OCEAN_MCP_USER=owner@example.com")...),
		"--method", "tools/call", "--tool-name", "query_database", "--tool-arg", "sql=SELECT COUNT(*) AS n FROM products")...)
	if res["isError"] == true || !strings.Contains(resultText(res), "| n |") {
		t.Fatalf("query_database as OCEAN_MCP_USER: %v", res)
	}
}

// TestInspectorHTTP: the inspector lists and calls tools over streamable
// HTTP at /mcp of the real handler, as a guest and with an admin's token.
func TestInspectorHTTP(t *testing.T) {
	insp := inspector(t)
	cfg, _, err := config.Load(nil, func(k string) string {
		return map[string]string{"OCEAN_DATA_DIR": seededDataDir(t), "OCEAN_ADMIN_EMAIL": "owner@example.com",
			"OCEAN_ADMIN_PASSWORD": "correct horse battery staple 42", "OCEAN_RATE_LIMITS": "off"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	app := newAppFrom(t, cfg)
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()
	url := srv.URL + "/mcp"
	names := toolNames(t, inspect(t, insp, url, "--transport", "http", "--method", "tools/list"))
	for _, n := range shopperTools {
		if !names[n] {
			t.Errorf("tools/list over HTTP lacks %s", n)
		}
	}
	res := inspect(t, insp, url, "--transport", "http", "--method", "tools/call", "--tool-name", "search_help", "--tool-arg", "query=returns")
	if res["isError"] == true || !strings.Contains(resultText(res), "returns") {
		t.Fatalf("search_help over HTTP: %v", res)
	}
	tok := login(t, srv.URL, "owner@example.com", "correct horse battery staple 42")
	res = inspect(t, insp, url, "--transport", "http", "--header", "Authorization: Bearer "+tok, "--method", "tools/call", "--tool-name", "sales_summary")
	if res["isError"] == true || res["structuredContent"] == nil {
		t.Fatalf("sales_summary with an admin token: %v", res)
	}
	res = inspect(t, insp, url, "--transport", "http", "--method", "tools/call", "--tool-name", "sales_summary")
	if res["isError"] != true {
		t.Fatalf("sales_summary without a token: %v", res)
	}
}

func newAppFrom(t *testing.T, cfg config.Config) *cli.App {
	t.Helper()
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

// login signs in through the API and returns the access token.
func login(t *testing.T, base, email, password string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tk); err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %d %v", res.StatusCode, err)
	}
	return tk.AccessToken
}

// TestMCPRateLimited: /mcp spends the client's API budget: MCP requests
// and API requests share one quota, and the one over it is a 429 with
// Retry-After.
func TestMCPRateLimited(t *testing.T) {
	cfg, _, err := config.Load(nil, func(k string) string {
		return map[string]string{"OCEAN_DATA_DIR": seededDataDir(t), "OCEAN_RATE_LIMIT_API": "3/min"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newAppFrom(t, cfg).Handler)
	defer srv.Close()
	initialize := func() *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for i := 0; i < 2; i++ {
		if res := initialize(); res.StatusCode != 200 {
			t.Fatalf("MCP request %d: %d", i+1, res.StatusCode)
		}
	}
	res, err := http.Get(srv.URL + "/api/v1/categories")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("third request (API): %d", res.StatusCode)
	}
	if res := initialize(); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth request (MCP): %d, Retry-After %q; want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
}
