// Package mcp is Ocean's Model Context Protocol server: the shop's third
// front door, beside the storefront and the JSON API, for AI assistants.
//
// Shoppers' assistants search the catalog, fill a cart and get a checkout
// link that the shopper opens in a browser (an assistant never sees card
// data). Operators' assistants, with an admin's API access token, run the
// store: orders, refunds, stock, reports, a read-only SQL console and the
// team's knowledge graph. Every tool calls the same business services as
// the API, so the API's rules hold here too: nothing an assistant sends can
// do what the same person could not do over the API.
//
// The server speaks stdio (`ocean mcp`) and streamable HTTP (/mcp on the
// shop's listener). Tool and argument names are a public contract
// (docs/mcp.md lists them).
package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/knowledge"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// Config is what the server needs: the shop's services and a few facts.
type Config struct {
	Catalog   *catalog.Service
	Carts     *cart.Service
	Checkout  *checkout.Service
	Accounts  *account.Service
	Inventory *inventory.Service
	// Locker lists the locks held now (lock_status); nil leaves the tool out.
	Locker lock.Locker
	// Knowledge is the team's knowledge graph; nil leaves its tools out.
	Knowledge *knowledge.Service
	// DB is the shop's database, for reports and the read-only console.
	DB *sqldb.DB
	// Docs holds README.md and docs/ (package ocean's Docs), served as
	// resources; nil serves none.
	Docs fs.FS
	// OpenAPI is the API's OpenAPI document, served as a resource.
	OpenAPI []byte
	// Version is the binary's version, told to clients.
	Version string
	Log     *slog.Logger
	// Token is the access token a stdio session acts with (an operator's
	// OCEAN_MCP_TOKEN); over HTTP each request's Authorization header
	// counts and Token is ignored.
	Token string
	// UserID, for stdio only, is the account `ocean mcp` acts as when no
	// token is set (OCEAN_MCP_USER): whoever runs it holds the shop's
	// database credentials and keys already. The account is read again at
	// every call, so a demoted or erased operator loses the tools at once.
	UserID int64
	// QueryTimeout bounds each query_database statement (default 5 s).
	QueryTimeout time.Duration
	// Now is the clock (tests).
	Now func() time.Time
}

// Server is the MCP server of one shop.
type Server struct {
	c     Config
	srv   *sdk.Server
	tools []toolInfo
	sql   *console
}

// toolInfo is what the package knows about a registered tool beyond the
// SDK: who may call it and an example of its arguments (docs and the
// contract test).
type toolInfo struct {
	Tool    *sdk.Tool
	Scope   string // "" for every caller; else a scope the caller must hold
	Example string // arguments, JSON
	schema  *jsonschema.Resolved
}

// New builds the server and registers every tool, resource and prompt.
func New(c Config) (*Server, error) {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	s := &Server{c: c}
	s.srv = sdk.NewServer(&sdk.Implementation{Name: "ocean", Title: "Ocean shop", Version: c.Version}, &sdk.ServerOptions{
		Instructions: instructions,
		// The SDK narrates every session at info; only its warnings matter.
		Logger: slog.New(atLeast{slog.LevelWarn, c.Log.Handler()}),
	})
	if c.DB != nil {
		s.sql = newConsole(c.DB)
		if c.QueryTimeout > 0 {
			s.sql.timeout = c.QueryTimeout
		}
	}
	if err := s.addShopperTools(); err != nil {
		return nil, err
	}
	if err := s.addOperatorTools(); err != nil {
		return nil, err
	}
	if err := s.addGraphTools(); err != nil {
		return nil, err
	}
	s.addResources()
	s.addPrompts()
	return s, nil
}

const instructions = `Ocean is an online shop. Shopping: search_catalog, get_product, then create_cart and add_to_cart with a variant id; apply_discount if the shopper has a code; start_checkout returns a link the shopper opens in a browser to pay (you never handle card details). get_order_status follows an order. search_help answers questions about shipping, returns and privacy.
Operators (an admin access token): orders, refunds, stock, reports, read-only SQL and the team's knowledge graph. Money is always integer minor units with a currency code. Errors come back as tool results whose text starts with the problem title, as the shop's API names them.`

// atLeast passes records of level or above to h.
type atLeast struct {
	level slog.Level
	slog.Handler
}

func (a atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= a.level && a.Handler.Enabled(ctx, l)
}

// MCP returns the SDK server (for stdio and in-memory transports).
func (s *Server) MCP() *sdk.Server { return s.srv }

// Run serves one client over stdin and stdout until it disconnects or ctx
// ends.
func (s *Server) Run(ctx context.Context) error {
	return s.srv.Run(ctx, &sdk.StdioTransport{})
}

// Tools lists the registered tools with their scopes and examples.
func (s *Server) Tools() []ToolDoc {
	out := make([]ToolDoc, len(s.tools))
	for i, t := range s.tools {
		out[i] = ToolDoc{Name: t.Tool.Name, Scope: t.Scope, Example: json.RawMessage(t.Example), Annotations: t.Tool.Annotations, schema: t.schema}
	}
	return out
}

// ToolDoc describes a tool for documentation and tests.
type ToolDoc struct {
	Name        string
	Scope       string
	Example     json.RawMessage
	Annotations *sdk.ToolAnnotations
	schema      *jsonschema.Resolved
}

// ValidateExample checks the tool's documented example against its input
// schema.
func (d ToolDoc) ValidateExample() error {
	var v any
	if err := json.Unmarshal(d.Example, &v); err != nil {
		return err
	}
	return d.schema.Validate(v)
}

// ----------------------------------------------------------------- callers

// caller is who is calling a tool: a guest, a signed-in shopper or an
// operator, and where from.
type caller struct {
	User *account.User // nil for a guest
	IP   string
}

func (c *caller) uid() int64 {
	if c.User == nil {
		return 0
	}
	return c.User.ID
}

// who authenticates a call. Over HTTP the request's Authorization header
// decides; over stdio the configured token. A token that is sent but not
// valid is an error, never a silent fall back to guest (as in the API).
func (s *Server) who(ctx context.Context, req *sdk.CallToolRequest) (*caller, error) {
	c := &caller{IP: "stdio"}
	tok := s.c.Token
	if req != nil && req.Extra != nil && req.Extra.Header != nil {
		c.IP = req.Extra.Header.Get(clientIPHeader)
		tok = ""
		if h := req.Extra.Header.Get("Authorization"); h != "" {
			scheme, t, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(t) == "" {
				return nil, &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: "Send an access token: Authorization: Bearer <token>."}
			}
			tok = strings.TrimSpace(t)
		}
	}
	if tok == "" {
		if s.c.UserID != 0 && c.IP == "stdio" {
			u, err := s.c.Accounts.User(ctx, s.c.UserID)
			if err != nil {
				return nil, &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: "The account OCEAN_MCP_USER names is gone.", Err: err}
			}
			c.User = u
		}
		return c, nil
	}
	u, err := s.c.Accounts.AccessUser(ctx, tok)
	if err != nil {
		return nil, err
	}
	c.User = u
	return c, nil
}

// clientIPHeader carries the client address (as the rate limiter saw it)
// from the HTTP handler to the tools, for the audit log. The handler sets
// it and drops any value a client sent.
const clientIPHeader = "X-Ocean-Mcp-Client-Ip"

// ------------------------------------------------------------------ tools

// typeSchemas holds each tool type's JSON schema and its resolved form,
// made once per process. Reflecting and resolving them was most of the cost
// of building a Server (5.6 of 67 CPU seconds of internal/web's admin tests
// under -race, where every test's shop builds one); the schemas are never
// changed after they are made, so every Server can share them.
var typeSchemas sync.Map // reflect.Type -> typeSchema

type typeSchema struct {
	schema   *jsonschema.Schema
	resolved *jsonschema.Resolved
}

// schemaOf is T's schema (with its jsonschema descriptions) and its
// resolved form. Only a schema that resolves is kept: a type whose schema
// does not is an error on every call. Two first calls at once may both
// build it; either pair kept is the same schema.
func schemaOf[T any]() (*jsonschema.Schema, *jsonschema.Resolved, error) {
	rt := reflect.TypeFor[T]()
	if v, ok := typeSchemas.Load(rt); ok {
		ts := v.(typeSchema)
		return ts.schema, ts.resolved, nil
	}
	s, err := jsonschema.For[T](nil)
	if err != nil {
		return nil, nil, err
	}
	r, err := s.Resolve(nil)
	if err != nil {
		return nil, nil, err
	}
	typeSchemas.Store(rt, typeSchema{s, r})
	return s, r, nil
}

// handler is a tool's logic: typed arguments in, typed result out.
type handler[In, Out any] func(ctx context.Context, c *caller, in In) (Out, error)

// addTool registers a tool whose input and output schemas come from the Go
// types (with their jsonschema descriptions). The wrapper validates the
// arguments (unknown ones are refused, as the API refuses unknown fields),
// checks the caller's scope, audits operator calls, and shapes errors as
// tool results with isError and the API's problem title.
func addTool[In, Out any](s *Server, t *sdk.Tool, scope, example string, h handler[In, Out]) error {
	in, inR, err := schemaOf[In]()
	if err != nil {
		return fmt.Errorf("tool %s: %w", t.Name, err)
	}
	out, outR, err := schemaOf[Out]()
	if err != nil {
		return fmt.Errorf("tool %s: %w", t.Name, err)
	}
	t.InputSchema, t.OutputSchema = in, out
	if scope != "" {
		t.Description += " Needs an operator's access token with scope " + scope + "."
	}
	s.tools = append(s.tools, toolInfo{Tool: t, Scope: scope, Example: example, schema: inR})
	name := t.Name
	s.srv.AddTool(t, func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		c, err := s.who(ctx, req)
		if err != nil {
			return errorResult(err), nil
		}
		if scope != "" {
			if err := allowed(c, scope); err != nil {
				return errorResult(err), nil
			}
		}
		args0 := req.Params.Arguments
		if string(args0) == "null" {
			args0 = nil
		}
		var raw any = map[string]any{}
		if len(args0) > 0 {
			if err := json.Unmarshal(args0, &raw); err != nil {
				return errorResult(ocean.Invalid("The arguments are not valid JSON.")), nil
			}
		}
		if err := inR.Validate(raw); err != nil {
			return errorResult(ocean.Invalid("The arguments do not match the tool's input schema: " + err.Error())), nil
		}
		var args In
		if len(args0) > 0 {
			dec := json.NewDecoder(strings.NewReader(string(args0)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&args); err != nil {
				return errorResult(ocean.Invalid("The arguments do not match the tool's input schema: " + err.Error())), nil
			}
		}
		res, err := h(ctx, c, args)
		if scope != "" {
			s.audit(ctx, c, name, args0, err)
		}
		if err != nil {
			if ocean.ErrorCode(err) == ocean.EINTERNAL {
				s.c.Log.ErrorContext(ctx, "mcp tool failed", "tool", name, "err", err)
			}
			return errorResult(err), nil
		}
		b, err := json.Marshal(res)
		if err != nil {
			return nil, err
		}
		var v any
		_ = json.Unmarshal(b, &v)
		if err := outR.Validate(v); err != nil {
			// A bug of ours: the result breaks the schema we publish.
			s.c.Log.ErrorContext(ctx, "mcp tool result does not match its output schema", "tool", name, "err", err)
			return errorResult(fmt.Errorf("tool %s: output schema: %w", name, err)), nil
		}
		return &sdk.CallToolResult{StructuredContent: json.RawMessage(b), Content: []sdk.Content{&sdk.TextContent{Text: summary(res, b)}}}, nil
	})
	return nil
}

// summarizer lets a result say in a line what it is, before its JSON.
type summarizer interface{ Summary() string }

func summary(res any, b []byte) string {
	if sm, ok := res.(summarizer); ok {
		return sm.Summary() + "\n" + string(b)
	}
	return string(b)
}

// problem is an error as the API's problem details name it.
type problem struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Detail string             `json:"detail"`
	Errors []ocean.FieldError `json:"errors,omitempty"`
}

func newProblem(err error) problem {
	code := ocean.ErrorCode(err)
	p := problem{Type: httpx.ProblemType(code), Title: httpx.Title(code), Status: httpx.Status(code), Detail: ocean.ErrorMessage(err), Errors: ocean.ErrorFields(err)}
	var de *checkout.DeclineError
	if errors.As(err, &de) {
		p = problem{Type: "/problems/payment-declined/" + strings.ReplaceAll(de.Code, "_", "-"), Title: httpx.Title(ocean.EPAYMENT), Status: http.StatusPaymentRequired, Detail: de.Message}
	}
	return p
}

// errorResult is a failed call as the assistant sees it: isError, a first
// line "<title>: <detail>" (the API's problem title), the field errors, and
// the problem document as JSON. It carries no structuredContent, which
// would have to match the tool's output schema.
func errorResult(err error) *sdk.CallToolResult {
	p := newProblem(err)
	var b strings.Builder
	b.WriteString(p.Title + ": " + p.Detail)
	for _, f := range p.Errors {
		b.WriteString("\n- " + f.Field + ": " + f.Message)
	}
	j, _ := json.Marshal(p)
	b.WriteString("\n" + string(j))
	r := &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: b.String()}}}
	r.Meta = sdk.Meta{"ocean/problem": p}
	return r
}

// ------------------------------------------------------------------ helpers

func ptr[T any](v T) *T { return &v }

// id parses one of the shop's numeric ids given as a string.
func id(field, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 1 {
		return 0, ocean.Invalid("An id is not valid.", ocean.FieldError{Field: field, Message: "must be an id this shop returned"})
	}
	return n, nil
}

// notNil makes a nil slice an empty one, so results match their schemas.
func notNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

var _ = reflect.TypeFor[int]
