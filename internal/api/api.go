// Package api is Ocean's JSON API under /api/v1: thin handlers that parse
// input, call the business services and shape JSON. Rules live in the
// business packages; errors become problem details through package httpx.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/ratelimit"
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document served at /api/v1/openapi.json.
func OpenAPI() []byte { return openAPI }

// API holds the services the handlers call.
type API struct {
	Catalog   *catalog.Service
	Accounts  *account.Service
	Carts     *cart.Service
	Checkout  *checkout.Service
	Inventory *inventory.Service
	Media     *media.Service // product images
	// Ready reports whether the instance can serve traffic (database
	// reachable, not draining); nil means always ready. The message of an
	// unavailable *ocean.Error it returns is shown, so it must be fixed
	// text ("database unreachable"); anything else is logged, not shown.
	Ready func(ctx context.Context) error

	listKeys queryKeys // the product list's cache key by query string
}

// queryKeys remembers the catalog view key of the product list's recent
// query strings, so a repeated list request (most of them: a shop's
// front page and its first pages) does not parse and validate its query
// and build the key again to find its cached body. The key is a pure
// function of the query string, so remembering it cannot make a page
// stale; freshness is the catalog cache's. Bounded: at most
// maxQueryKeys strings of at most maxQueryKeyBytes, forgotten all at
// once when full.
type queryKeys struct {
	mu sync.RWMutex
	m  map[string]string
}

const (
	maxQueryKeys     = 1024
	maxQueryKeyBytes = 256
)

func (k *queryKeys) get(raw string) (string, bool) {
	k.mu.RLock()
	key, ok := k.m[raw]
	k.mu.RUnlock()
	return key, ok
}

func (k *queryKeys) put(raw, key string) {
	if len(raw) > maxQueryKeyBytes {
		return
	}
	k.mu.Lock()
	if k.m == nil || len(k.m) >= maxQueryKeys {
		k.m = make(map[string]string)
	}
	k.m[raw] = key
	k.mu.Unlock()
}

// Route is one documented endpoint.
type Route struct {
	Method, Path string // Path in OpenAPI form: /api/v1/products/{slug}
	handler      http.HandlerFunc
	// Limit is the stricter rate-limit class (ratelimit.SignIn, …) the
	// route counts against besides ratelimit.API; "" for none.
	Limit string
}

// limits are the rate-limit classes of a request to path with the route's
// own class limit: every path under /api/ counts against ratelimit.API
// (/healthz and /readyz, which load balancers poll, do not).
func limits(path, limit string) []string {
	var out []string
	if limit != "" {
		out = append(out, limit)
	}
	if strings.HasPrefix(path, "/api/") {
		out = append(out, ratelimit.API)
	}
	return out
}

// Routes lists every endpoint the API serves; the OpenAPI document must
// describe exactly these (a test checks both ways).
func (a *API) Routes() []Route {
	return append([]Route{
		{"GET", "/api/v1/products", a.listProducts, ""},
		{"GET", "/api/v1/products/{slug}", a.getProduct, ""},
		{"GET", "/api/v1/categories", a.listCategories, ""},
		{"GET", "/api/v1/openapi.json", serveOpenAPI, ""},
		{"GET", "/healthz", healthz, ""},
		{"GET", "/readyz", a.readyz, ""},
	}, append(append(append(a.accountRoutes(), a.commerceRoutes()...), a.mediaRoutes()...), append(a.catalogAdminRoutes(), a.settingsRoutes()...)...)...)
}

// Register adds the API routes to mux.
//
// Every path is registered twice: with its methods, and without a method
// for a 405 problem with Allow. The mux would answer 405 by itself, but the
// method-less catch-alls ("/api/" here, "/" in package web) match first
// and would make a wrong method on a real path a 404.
func (a *API) Register(mux *http.ServeMux) {
	allow := map[string][]string{}
	var paths []string
	for _, r := range a.Routes() {
		mux.Handle(r.Method+" "+r.Path, ratelimit.Limited(r.handler, limits(r.Path, r.Limit)...))
		if allow[r.Path] == nil {
			paths = append(paths, r.Path)
		}
		allow[r.Path] = append(allow[r.Path], r.Method)
		if r.Method == http.MethodGet {
			allow[r.Path] = append(allow[r.Path], http.MethodHead) // the mux serves HEAD with GET
		}
	}
	for _, p := range paths {
		methods := allow[p]
		h := ratelimit.Limited(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { httpx.WriteMethodNotAllowed(w, r, methods) }), limits(p, "")...)
		if !besideWildcard(p, paths) {
			mux.Handle(p, h)
			continue
		}
		// A method-less pattern beside a wildcard route of another method
		// (/products/export beside GET /products/{id}) would conflict in
		// the mux: name the other methods instead.
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if !slices.Contains(methods, m) {
				mux.Handle(m+" "+p, h)
			}
		}
	}
	// Any other API path is a 404 problem, not an HTML page.
	mux.Handle("/api/", ratelimit.Limited(http.HandlerFunc(notFound), ratelimit.API))
}

// besideWildcard reports whether another path has a wildcard segment
// where p has a literal one, and the same segments elsewhere.
func besideWildcard(p string, paths []string) bool {
	ps := strings.Split(p, "/")
	for _, q := range paths {
		qs := strings.Split(q, "/")
		if q == p || len(qs) != len(ps) {
			continue
		}
		match, wild := true, false
		for i := range ps {
			switch {
			case ps[i] == qs[i]:
			case strings.HasPrefix(qs[i], "{") && !strings.HasPrefix(ps[i], "{"):
				wild = true
			default:
				match = false
			}
		}
		if match && wild {
			return true
		}
	}
	return false
}

func notFound(w http.ResponseWriter, r *http.Request) {
	httpx.WriteProblem(w, r, ocean.Errorf(ocean.ENOTFOUND, "There is no API endpoint at %s %s; see /api/v1/openapi.json.", r.Method, r.URL.Path))
}

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPI)
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if a.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.Ready(ctx); err != nil {
			// Always 503, whatever failed: a load balancer takes the instance
			// out of rotation. The cause (a driver error, an address) is
			// logged with the request id and never shown.
			msg := "not ready"
			var oe *ocean.Error
			if errors.As(err, &oe) && oe.Code == ocean.EUNAVAILABLE {
				msg = oe.Message
			}
			httpx.WriteProblem(w, r, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: msg, Err: err})
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// productJSON is a product as listed.
type productJSON struct {
	ID        string      `json:"id"`
	Slug      string      `json:"slug"`
	Name      string      `json:"name"`
	Summary   string      `json:"summary"`
	Category  string      `json:"category"`
	Price     ocean.Money `json:"price"`
	PriceMax  ocean.Money `json:"price_max"`
	InStock   bool        `json:"in_stock"`
	ImageURL  string      `json:"image_url"`
	CreatedAt string      `json:"created_at"`
}

type facetCount struct {
	Slug  string `json:"slug,omitempty"`
	Value string `json:"value,omitempty"`
	Name  string `json:"name,omitempty"`
	Count int    `json:"count"`
}

type priceFacet struct {
	Min      int64  `json:"min"`
	Max      int64  `json:"max"`
	Currency string `json:"currency,omitempty"`
}

type facetsJSON struct {
	Total      int                     `json:"total"`
	Capped     bool                    `json:"capped"`
	InStock    int                     `json:"in_stock"`
	Categories []facetCount            `json:"categories"`
	Price      priceFacet              `json:"price"`
	Options    map[string][]facetCount `json:"options"`
}

type listJSON struct {
	Items      []productJSON `json:"items"`
	NextCursor *string       `json:"next_cursor"`
	Facets     facetsJSON    `json:"facets"`
}

func (a *API) listProducts(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.RawQuery
	parse := func() (catalog.Query, error) {
		values, _ := url.ParseQuery(raw) // httpx.CheckRequest rejected bad encodings
		return catalog.ParseQuery(values)
	}
	key, known := a.listKeys.get(raw)
	if !known {
		q, err := parse()
		if err != nil {
			httpx.WriteProblem(w, r, err)
			return
		}
		key = "api:products:" + q.Key()
		a.listKeys.put(raw, key)
	}
	// The encoded page is cached with the catalog: a repeated search costs
	// a map lookup, and a write that changes what the page shows (one of
	// its products, its facets, what it lists) drops it.
	body, err := a.Catalog.View(r.Context(), key, func(ctx context.Context) (any, error) {
		q, err := parse() // valid: its key was made from it
		if err != nil {
			return nil, err
		}
		page, err := a.Catalog.Search(ctx, q)
		if err != nil {
			return nil, err
		}
		tree, err := a.Catalog.Categories(ctx)
		if err != nil {
			return nil, err
		}
		out := listJSON{Items: make([]productJSON, len(page.Items)), Facets: facets(tree, page.Facets, page.Items)}
		for i, c := range page.Items {
			out.Items[i] = card(tree, c)
		}
		if page.NextCursor != "" {
			out.NextCursor = &page.NextCursor
		}
		return json.Marshal(out)
	})
	if err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	httpx.WriteJSONBytes(w, http.StatusOK, body.([]byte))
}

func card(tree *catalog.Tree, c catalog.Card) productJSON {
	cat := ""
	if cc, ok := tree.ByID(c.CategoryID); ok {
		cat = cc.Slug
	}
	return productJSON{ID: strconv.FormatInt(c.ID, 10), Slug: c.Slug, Name: c.Name, Summary: c.Summary, Category: cat,
		Price: c.PriceMin, PriceMax: c.PriceMax, InStock: c.InStock, ImageURL: catalog.ImageURL(c.Slug),
		CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339)}
}

// facets shapes the facet counts; category counts include subcategories.
func facets(tree *catalog.Tree, f catalog.Facets, items []catalog.Card) facetsJSON {
	out := facetsJSON{Total: f.Total, Capped: f.Capped, InStock: f.InStock, Categories: []facetCount{}, Options: map[string][]facetCount{},
		Price: priceFacet{Min: f.PriceMin, Max: f.PriceMax}}
	if len(items) > 0 {
		out.Price.Currency = items[0].PriceMin.Currency
	}
	rolled := tree.Roll(f.Categories)
	var walk func(cs []*catalog.Category)
	walk = func(cs []*catalog.Category) {
		for _, c := range cs {
			if n := rolled[c.ID]; n > 0 {
				out.Categories = append(out.Categories, facetCount{Slug: c.Slug, Name: c.Name, Count: n})
			}
			walk(c.Children)
		}
	}
	walk(tree.Roots)
	for name, vals := range f.Options {
		list := make([]facetCount, 0, len(vals))
		for v, n := range vals {
			list = append(list, facetCount{Value: v, Count: n})
		}
		sortFacet(list)
		out.Options[name] = list
	}
	return out
}

type variantJSON struct {
	ID        string            `json:"id"`
	SKU       string            `json:"sku"`
	Options   map[string]string `json:"options"`
	Price     ocean.Money       `json:"price"`
	Available int               `json:"available"`
}

type categoryRef struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type productDetailJSON struct {
	ID          string           `json:"id"`
	Slug        string           `json:"slug"`
	Name        string           `json:"name"`
	Brand       string           `json:"brand"`
	Description string           `json:"description"`
	Category    categoryRef      `json:"category"`
	Breadcrumbs []categoryRef    `json:"breadcrumbs"`
	Price       ocean.Money      `json:"price"`
	PriceMax    ocean.Money      `json:"price_max"`
	InStock     bool             `json:"in_stock"`
	ImageURL    string           `json:"image_url"`
	Images      []imageJSON      `json:"images"`
	Options     []catalog.Option `json:"options"`
	Variants    []variantJSON    `json:"variants"`
	CreatedAt   string           `json:"created_at"`
	UpdatedAt   string           `json:"updated_at"`
}

func (a *API) getProduct(w http.ResponseWriter, r *http.Request) {
	p, err := a.Catalog.Product(r.Context(), r.PathValue("slug"))
	var moved *catalog.Moved
	if errors.As(err, &moved) {
		// A slug the product used to have: the client follows to the new one.
		w.Header().Set("Cache-Control", "public, max-age=60")
		http.Redirect(w, r, "/api/v1/products/"+moved.Slug, http.StatusMovedPermanently)
		return
	}
	if err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	tree, err := a.Catalog.Categories(r.Context())
	if err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	images, err := a.productImages(r, p.ID)
	if err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	lo, hi := p.PriceRange()
	out := productDetailJSON{Images: images, ID: strconv.FormatInt(p.ID, 10), Slug: p.Slug, Name: p.Name, Brand: p.Brand, Description: p.Description,
		Price: lo, PriceMax: hi, InStock: p.InStock(), ImageURL: catalog.ImageURL(p.Slug), Options: p.Options,
		Variants: make([]variantJSON, len(p.Variants)), Breadcrumbs: []categoryRef{},
		CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: p.UpdatedAt.UTC().Format(time.RFC3339)}
	if out.Options == nil {
		out.Options = []catalog.Option{}
	}
	if c, ok := tree.ByID(p.CategoryID); ok {
		out.Category = categoryRef{Slug: c.Slug, Name: c.Name}
		for _, pc := range tree.Path(c) {
			out.Breadcrumbs = append(out.Breadcrumbs, categoryRef{Slug: pc.Slug, Name: pc.Name})
		}
	}
	for i, v := range p.Variants {
		opts := v.Options
		if opts == nil {
			opts = map[string]string{}
		}
		out.Variants[i] = variantJSON{ID: strconv.FormatInt(v.ID, 10), SKU: v.SKU, Options: opts, Price: v.Price, Available: v.Available()}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

type categoryJSON struct {
	Slug        string         `json:"slug"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Children    []categoryJSON `json:"children"`
}

func (a *API) listCategories(w http.ResponseWriter, r *http.Request) {
	tree, err := a.Catalog.Categories(r.Context())
	if err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	var conv func(cs []*catalog.Category) []categoryJSON
	conv = func(cs []*catalog.Category) []categoryJSON {
		out := make([]categoryJSON, len(cs))
		for i, c := range cs {
			out[i] = categoryJSON{Slug: c.Slug, Name: c.Name, Description: c.Description, Children: conv(c.Children)}
		}
		return out
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": conv(tree.Roots)})
}
