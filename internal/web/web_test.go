package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/local"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
	"github.com/oceanshop/ocean/internal/web"
)

// shop is a running storefront over a real, seeded SQLite catalog.
type shop struct {
	srv *httptest.Server
	svc *catalog.Service
	h   http.Handler // the whole chain, for benchmarks without the network
}

func zar(n int64) ocean.Money { return ocean.Money{Amount: n, Currency: "ZAR"} }

// newShop seeds clothing{shirts, jackets} and home with ten products (the
// same shop the store contract uses) and serves it through the real
// middleware chain.
func newShop(t testing.TB) *shop { return newShopCache(t, nil) }

func newShopCache(t testing.TB, cache catalog.Cache) *shop {
	t.Helper()
	ctx := context.Background()
	db := sqlitetest.Open(t)
	svc := catalog.NewService(db.Catalog(), cache)
	cats := map[string]*catalog.Category{}
	for _, c := range []struct{ slug, name, desc, parent string }{
		{"clothing", "Clothing", "Shirts and jackets that last.", ""},
		{"shirts", "Shirts", "", "clothing"},
		{"jackets", "Jackets", "", "clothing"},
		{"home", "Home", "Things for a calm home.", ""},
	} {
		cat := &catalog.Category{Slug: c.slug, Name: c.name, Description: c.desc}
		if c.parent != "" {
			cat.ParentID = cats[c.parent].ID
		}
		if err := svc.CreateCategory(ctx, cat); err != nil {
			t.Fatal(err)
		}
		cats[c.slug] = cat
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := func(price int64, stock int, opts ...string) catalog.Variant {
		o := map[string]string{}
		for i := 0; i+1 < len(opts); i += 2 {
			o[opts[i]] = opts[i+1]
		}
		return catalog.Variant{Price: zar(price), Stock: stock, Options: o}
	}
	add := func(i int, slug, name, desc, cat string, variants ...catalog.Variant) {
		p := &catalog.Product{Slug: slug, Name: name, Description: desc, CategoryID: cats[cat].ID, CreatedAt: base.Add(time.Duration(i) * time.Hour)}
		var sizes, colours []string
		for j := range variants {
			variants[j].SKU = fmt.Sprintf("%s-%d", slug, j)
			variants[j].Position = j
			if s := variants[j].Options["size"]; s != "" && !contains(sizes, s) {
				sizes = append(sizes, s)
			}
			if c := variants[j].Options["colour"]; c != "" && !contains(colours, c) {
				colours = append(colours, c)
			}
		}
		if len(sizes) > 0 {
			p.Options = append(p.Options, catalog.Option{Name: "size", Values: sizes})
		}
		if len(colours) > 0 {
			p.Options = append(p.Options, catalog.Option{Name: "colour", Values: colours})
		}
		p.Variants = variants
		if err := svc.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	add(1, "linen-shirt", "Linen shirt", "A breezy linen shirt for hot afternoons.", "shirts", v(45000, 2, "size", "M", "colour", "White"), v(45000, 0, "size", "L", "colour", "White"))
	add(2, "oxford-shirt", "Oxford shirt", "Button-down cotton oxford, crisp and durable.", "shirts", v(52000, 5, "size", "S", "colour", "Blue"), v(52000, 1, "size", "M", "colour", "Blue"))
	add(3, "flannel-shirt", "Flannel shirt", "Warm brushed flannel with a plaid pattern.", "shirts", v(39900, 0, "size", "M", "colour", "Red"))
	add(4, "rain-jacket", "Rain jacket", "Waterproof shell that packs into its own pocket.", "jackets", v(129900, 40, "size", "M", "colour", "Yellow"), v(134900, 2, "size", "XL", "colour", "Yellow"))
	add(5, "denim-jacket", "Denim jacket", "Classic indigo denim, gets better with every wash.", "jackets", v(99900, 3, "size", "L", "colour", "Blue"))
	add(6, "puffer-jacket", "Puffer jacket", "Light down insulation for cold mornings.", "jackets", v(189900, 0, "size", "M", "colour", "Black"))
	add(7, "ceramic-mug", "Ceramic mug", "Hand-glazed stoneware mug that keeps coffee warm.", "home", v(14900, 20))
	add(8, "linen-napkins", "Linen napkins", "Set of four stonewashed linen napkins.", "home", v(24900, 7, "colour", "White"), v(24900, 0, "colour", "Red"))
	add(9, "wool-throw", "Wool throw", "Heavy merino throw blanket for the sofa.", "home", v(89900, 1, "colour", "Red"))
	add(10, "candle", "Soy candle", "Hand-poured soy candle with a cedar scent.", "home", v(19900, 12))

	w, err := web.New(web.Config{Catalog: svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	w.Register(mux)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := httpx.Chain(mux, httpx.WithRequestID, httpx.SecurityHeaders, httpx.CheckRequest(w.ErrorPage), httpx.Recover(quiet, w.ErrorPage))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &shop{srv: srv, svc: svc, h: h}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// response is what a shopper's browser got.
type response struct {
	status int
	header http.Header
	body   string
}

func (s *shop) get(t *testing.T, path string, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest("GET", s.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// page fetches an HTML page, checks its status and that it meets the
// storefront's rules (accessibility, CSP), and returns the body.
func (s *shop) page(t *testing.T, path string, wantStatus int) string {
	t.Helper()
	r := s.get(t, path)
	if r.status != wantStatus {
		t.Fatalf("GET %s: status %d, want %d\n%s", path, r.status, wantStatus, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("GET %s: Content-Type %q, want HTML", path, ct)
	}
	checkHTML(t, path, r)
	return r.body
}

var (
	reTag       = regexp.MustCompile(`(?s)<([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>`)
	reAttr      = regexp.MustCompile(`([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)
	reNonce     = regexp.MustCompile(`'nonce-([^']+)'`)
	reLabelFor  = regexp.MustCompile(`<label\b[^>]*\bfor="([^"]+)"`)
	reScriptTag = regexp.MustCompile(`<script\b[^>]*>`)
)

type tag struct {
	name  string
	attrs map[string]string
	pos   int
}

func tags(body string) []tag {
	var out []tag
	for _, m := range reTag.FindAllStringSubmatchIndex(body, -1) {
		tg := tag{name: strings.ToLower(body[m[2]:m[3]]), attrs: map[string]string{}, pos: m[0]}
		for _, a := range reAttr.FindAllStringSubmatch(body[m[4]:m[5]], -1) {
			val := a[2] + a[3] + a[4]
			tg.attrs[strings.ToLower(a[1])] = html.UnescapeString(val)
		}
		out = append(out, tg)
	}
	return out
}

func checkHTML(t *testing.T, path string, r response) {
	t.Helper()
	for _, p := range htmlProblems(r) {
		t.Errorf("%s: %s", path, p)
	}
}

// htmlProblems lists what breaks the storefront's page rules: language,
// viewport, landmarks, one h1, alt text, labels, no inline styles or
// handlers, and scripts only from 'self', with the nonce, or JSON data.
func htmlProblems(r response) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	body := r.body
	m := reNonce.FindStringSubmatch(r.header.Get("Content-Security-Policy"))
	if m == nil {
		return []string{"no CSP nonce"}
	}
	nonce := m[1]
	if !strings.Contains(body, `<html lang="en">`) {
		bad(`no <html lang="en">`)
	}
	if !strings.Contains(body, `<meta name="viewport"`) {
		bad("no viewport meta")
	}
	for _, landmark := range []string{"<header", "<nav", `<main id="main"`, "<footer", `href="#main"`} {
		if !strings.Contains(body, landmark) {
			bad("missing %s", landmark)
		}
	}
	if n := strings.Count(body, "<h1"); n != 1 {
		bad("%d <h1> elements, want 1", n)
	}
	labels := map[string]bool{}
	for _, m := range reLabelFor.FindAllStringSubmatch(body, -1) {
		labels[m[1]] = true
	}
	ids := map[string]bool{}
	for _, tg := range tags(body) {
		for name, val := range tg.attrs {
			if name == "style" {
				bad("inline style on <%s>: %q", tg.name, val)
			}
			if strings.HasPrefix(name, "on") {
				bad("inline event handler %s on <%s>", name, tg.name)
			}
		}
		if id, ok := tg.attrs["id"]; ok {
			if ids[id] {
				bad("duplicate id %q", id)
			}
			ids[id] = true
		}
		switch tg.name {
		case "img":
			if strings.TrimSpace(tg.attrs["alt"]) == "" {
				bad("<img src=%q> without alt text", tg.attrs["src"])
			}
			if tg.attrs["width"] == "" || tg.attrs["height"] == "" {
				bad("<img src=%q> without width/height", tg.attrs["src"])
			}
		case "input", "select", "textarea":
			if typ := tg.attrs["type"]; typ == "hidden" || typ == "submit" {
				continue
			}
			if labels[tg.attrs["id"]] && tg.attrs["id"] != "" {
				continue
			}
			// Wrapped in a <label>: the last <label before it is still open.
			before := body[:tg.pos]
			if strings.LastIndex(before, "<label") > strings.LastIndex(before, "</label>") {
				continue
			}
			bad("<%s name=%q> has no label", tg.name, tg.attrs["name"])
		case "script":
			if _, ok := tg.attrs["src"]; ok {
				continue
			}
			if tg.attrs["nonce"] == nonce || tg.attrs["type"] == "application/json" {
				continue
			}
			bad("<script> without src, nonce or JSON type: %v", tg.attrs)
		}
	}
	// Every label points at something that exists.
	for id := range labels {
		if !ids[id] {
			bad("<label for=%q> has no control", id)
		}
	}
	if !reScriptTag.MatchString(body) {
		bad("no script at all (app.js missing?)")
	}
	return problems
}

// cards returns the product slugs of the product cards on a page, in order.
func cards(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`class="card-link" href="/p/([a-z0-9-]+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func wantCards(t *testing.T, what, body string, want ...string) {
	t.Helper()
	got := cards(body)
	if len(got) != len(want) {
		t.Fatalf("%s: cards %v, want %v", what, got, want)
	}
	for _, w := range want {
		if !contains(got, w) {
			t.Fatalf("%s: cards %v, want %v", what, got, want)
		}
	}
}

func TestHome(t *testing.T) {
	s := newShop(t)
	body := s.page(t, "/", 200)
	for _, c := range []string{"clothing", "home"} {
		if !strings.Contains(body, `class="tile" href="/c/`+c+`"`) {
			t.Errorf("home has no tile for category %s", c)
		}
	}
	if !strings.Contains(body, "Things for a calm home.") {
		t.Error("category tile without its description")
	}
	got := cards(body)
	// New in: the 8 newest, newest first; then a row from a category.
	if len(got) < 8 || got[0] != "candle" || got[7] != "flannel-shirt" || strings.Join(got[8:], ",") != "oxford-shirt,linen-shirt" {
		t.Fatalf("home cards = %v, want the eight newest first", got)
	}
	if !strings.Contains(body, "New in") || !strings.Contains(body, "From Clothing") {
		t.Error("home lacks the New in or category row")
	}
	if !strings.Contains(body, `alt="Soy candle"`) || !strings.Contains(body, "R199.00") {
		t.Error("card lacks its picture alt or price")
	}
	// The puffer jacket is out of stock: its card says so.
	if !regexp.MustCompile(`(?s)alt="Puffer jacket"[^<]*>\s*<span class="badge">Out of stock</span>`).MatchString(body) {
		t.Error("out-of-stock card has no badge")
	}
	// The header carries the shop name, logo icon, search and category nav.
	for _, want := range []string{`class="logo" href="/"`, `<svg class="icon"`, `aria-hidden="true" focusable="false"`, `role="search"`, `<nav class="category-nav" aria-label="Categories">`} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %s", want)
		}
	}
}

func TestSearch(t *testing.T) {
	s := newShop(t)
	body := s.page(t, "/search?q=pocket", 200)
	wantCards(t, "search pocket", body, "rain-jacket")
	if !strings.Contains(body, "1 product<") || !strings.Contains(body, "Results for “pocket”") {
		t.Error("search page lacks count or heading")
	}
	if !strings.Contains(body, `id="site-search" type="search" name="q" value="pocket"`) {
		t.Error("search box does not keep the words")
	}
	// Sort select with all options, labelled, submits the filter form.
	for _, want := range []string{`<select id="sort" name="sort" form="filters" data-autosubmit>`, `value="price_asc"`, `value="price_desc"`, `value="newest"`, `value="relevance" selected`} {
		if !strings.Contains(body, want) {
			t.Errorf("search lacks %s", want)
		}
	}
	// Words in descriptions count; nothing matching shows help.
	body = s.page(t, "/search?q=zzzz", 200)
	wantCards(t, "search zzzz", body, nil...)
	if !strings.Contains(body, "No products match") || !strings.Contains(body, "Check the spelling") || !strings.Contains(body, `href="/c/home"`) {
		t.Error("no-results page lacks help")
	}
	// Price in rands from the form, sorted by price.
	body = s.page(t, "/search?min=1000&sort=price_asc", 200)
	if got := cards(body); strings.Join(got, ",") != "rain-jacket,puffer-jacket" {
		t.Fatalf("min R1000 by price = %v", got)
	}
	if !strings.Contains(body, `name="min" type="text" inputmode="decimal" value="1000"`) {
		t.Error("price filter does not keep its value")
	}
	// The API's minor units work too, and show as rands in the form.
	body = s.page(t, "/search?max_price=20000", 200)
	wantCards(t, "max_price", body, "ceramic-mug", "candle")
	if !strings.Contains(body, `name="max" type="text" inputmode="decimal" value="200"`) {
		t.Error("max_price not shown in rands")
	}
	// Option filter with counts and a colour swatch.
	body = s.page(t, "/search?option.colour=Red", 200)
	wantCards(t, "colour red", body, "flannel-shirt", "linen-napkins", "wool-throw")
	if !regexp.MustCompile(`name="option.colour" value="Red" checked><svg class="swatch"[^>]*><circle [^>]*fill="#[0-9a-f]{6}"`).MatchString(body) {
		t.Error("chosen colour is not checked or has no swatch")
	}
	body = s.page(t, "/search", 200)
	if !regexp.MustCompile(`name="option.size" value="M">(?:<svg[^>]*>.*?</svg>)?<span>M</span> <span class="count">5<`).MatchString(body) {
		t.Error("size M facet does not count 5 products")
	}
	if !strings.Contains(body, "10 products") {
		t.Error("all products page does not count 10")
	}
}

func TestCategory(t *testing.T) {
	s := newShop(t)
	body := s.page(t, "/c/clothing", 200)
	wantCards(t, "clothing", body, "linen-shirt", "oxford-shirt", "flannel-shirt", "rain-jacket", "denim-jacket", "puffer-jacket")
	if !strings.Contains(body, "<h1>Clothing</h1>") || !strings.Contains(body, "6 products") {
		t.Error("category heading or count missing")
	}
	// Facets count the subtree: clothing 6 (rolled up), shirts 3, jackets 3.
	for _, want := range []string{
		`href="/c/clothing" aria-current="true" class="current"><span>Clothing</span> <span class="count">6<`,
		`href="/c/shirts"><span>Shirts</span> <span class="count">3<`,
		`href="/c/jackets"><span>Jackets</span> <span class="count">3<`,
		`class="chip" href="/c/shirts"`, // subcategory links
		`In stock only</span> <span class="count">4<`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("clothing page lacks %s", want)
		}
	}
	if strings.Contains(body, `href="/c/home"><span>`) {
		t.Error("category facet lists a category with no matches")
	}
	// Breadcrumbs follow the tree.
	body = s.page(t, "/c/shirts", 200)
	if !regexp.MustCompile(`(?s)aria-label="Breadcrumb">.*href="/">Shop</a>.*href="/c/clothing">Clothing</a>.*aria-current="page">Shirts<`).MatchString(body) {
		t.Error("shirts breadcrumbs wrong")
	}
	wantCards(t, "shirts", body, "linen-shirt", "oxford-shirt", "flannel-shirt")
	// Filters in the category keep the category (it is the path).
	if !strings.Contains(body, `<form id="filters" class="filters" method="get" action="/c/shirts">`) {
		t.Error("filter form does not post back to the category")
	}
	// Unknown category.
	body = s.page(t, "/c/no-such-thing", 404)
	if !strings.Contains(body, `href="/"`) {
		t.Error("404 without a way home")
	}
}

func TestInStockFilter(t *testing.T) {
	s := newShop(t)
	body := s.page(t, "/c/jackets?in_stock=true", 200)
	wantCards(t, "jackets in stock", body, "rain-jacket", "denim-jacket")
	if !strings.Contains(body, `name="in_stock" value="true" checked`) {
		t.Error("in-stock box not checked")
	}
	if !strings.Contains(body, "Clear filters") {
		t.Error("no way to clear an active filter")
	}
	body = s.page(t, "/search?in_stock=on", 200)
	if strings.Contains(body, "/p/puffer-jacket") || strings.Contains(body, "/p/flannel-shirt") {
		t.Error("in-stock search shows out-of-stock products")
	}
	if len(cards(body)) != 8 {
		t.Errorf("in-stock search cards = %v, want 8", cards(body))
	}
}

func TestPagination(t *testing.T) {
	s := newShop(t)
	seen := map[string]bool{}
	path := "/search?limit=3&sort=price_asc"
	var order []string
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("pagination does not end")
		}
		body := s.page(t, path, 200)
		for _, c := range cards(body) {
			if seen[c] {
				t.Fatalf("%s shown twice", c)
			}
			seen[c] = true
			order = append(order, c)
		}
		if page > 0 && !strings.Contains(body, "Back to first page") {
			t.Error("later page has no link back to the first")
		}
		if !strings.Contains(body, `<nav class="pagination" aria-label="Pagination">`) {
			t.Error("no pagination nav")
		}
		m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body)
		if m == nil {
			break
		}
		path = html.UnescapeString(m[1])
		if !strings.Contains(path, "cursor=") || !strings.Contains(path, "sort=price_asc") || !strings.Contains(path, "limit=3") {
			t.Fatalf("next link %q loses the search", path)
		}
	}
	if len(seen) != 10 || order[0] != "ceramic-mug" || order[9] != "puffer-jacket" {
		t.Fatalf("pages showed %v", order)
	}
}

func TestBadParameters(t *testing.T) {
	s := newShop(t)
	for _, tc := range []struct{ path, want string }{
		{"/search?sort=cheapest", "must be one of relevance"},
		{"/search?cursor=bogus", "start again without it"},
		{"/search?min_price=-5", "non-negative"},
		{"/search?min=abc", "must be an amount"},
		{"/c/shirts?max=-1", "must be an amount"},
		{"/search?min=500&max=100", "must not be below"},
		{"/search?in_stock=maybe", "true or false"},
		{"/search?category=nowhere", "no such category"},
	} {
		body := s.page(t, tc.path, 400)
		if !strings.Contains(body, tc.want) {
			t.Errorf("%s: page lacks %q", tc.path, tc.want)
		}
		if !strings.Contains(body, `href="/"`) || !strings.Contains(body, `id="error-search"`) {
			t.Errorf("%s: error page offers no way forward", tc.path)
		}
	}
	// A bad setting on a search offers the same words without it.
	body := s.page(t, "/search?q=linen&sort=cheapest", 400)
	if !strings.Contains(body, `href="/search?q=linen"`) || !strings.Contains(body, `id="error-search" type="search" name="q" value="linen"`) {
		t.Error("400 search page does not offer to search again")
	}
}

func TestNotFound(t *testing.T) {
	s := newShop(t)
	for _, path := range []string{"/p/no-such-product", "/p/NOT_A_SLUG", "/nothing/here", "/c/nope", "/favicon.ico"} {
		body := s.page(t, path, 404)
		if !strings.Contains(body, "find that page") || !strings.Contains(body, `href="/"`) || !strings.Contains(body, `href="/c/clothing"`) {
			t.Errorf("%s: 404 page lacks message, home link or categories", path)
		}
		if strings.Contains(body, "reference:") {
			t.Errorf("%s: 404 shows a request id", path)
		}
	}
	// Other methods on unknown paths get the page too.
	req, _ := http.NewRequest("POST", s.srv.URL+"/nothing/here", nil)
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("POST /nothing/here: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// API paths that reach the catch-all get problem details, not a page.
	r := s.get(t, "/api/v1/nope")
	if r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("/api/v1/nope: %d %s", r.status, r.header.Get("Content-Type"))
	}
}

func TestProductPage(t *testing.T) {
	s := newShop(t)
	body := s.page(t, "/p/linen-shirt?size=L", 200)
	for _, want := range []string{
		"<h1>Linen shirt</h1>",
		`id="variant-sku">linen-shirt-1<`,
		`id="variant-stock" data-level="out">Out of stock<`,
		`name="size" value="L" checked`,
		`name="colour" value="White" checked`,
		`<legend>Size</legend>`,
		"A breezy linen shirt for hot afternoons.",
		`href="/c/shirts">Shirts</a>`,
		`<img src="/images/products/linen-shirt.svg" alt="Linen shirt"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("linen shirt size L lacks %s", want)
		}
	}
	if !strings.Contains(body, `id="variant-note" hidden`) {
		t.Error("note shown for a valid combination")
	}
	body = s.page(t, "/p/linen-shirt?size=M&colour=White", 200)
	if !strings.Contains(body, `id="variant-sku">linen-shirt-0<`) || !strings.Contains(body, "Only 2 left") {
		t.Error("size M does not show its SKU and low stock")
	}
	// Nothing chosen: the first variant in stock.
	body = s.page(t, "/p/rain-jacket", 200)
	if !strings.Contains(body, `id="variant-sku">rain-jacket-0<`) || !strings.Contains(body, ">In stock<") {
		t.Error("default variant is not the first in stock")
	}
	if !strings.Contains(body, "R1,299.00 – R1,349.00") {
		t.Error("price range missing")
	}
	body = s.page(t, "/p/rain-jacket?size=XL", 200)
	if !strings.Contains(body, `id="variant-price">R1,349.00<`) {
		t.Error("XL does not show its own price")
	}
	// A combination that does not exist is a note, not an error.
	body = s.page(t, "/p/linen-shirt?size=XXL", 200)
	if strings.Contains(body, `id="variant-note" hidden`) || !strings.Contains(body, "We don’t have that combination") {
		t.Error("unknown combination shows no note")
	}
	if !strings.Contains(body, `id="variant-details" hidden`) {
		t.Error("unknown combination still shows a variant")
	}
	// The variants travel as JSON for the script.
	m := regexp.MustCompile(`(?s)<script type="application/json" id="variants">(.*?)</script>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no variants JSON")
	}
	var vs []struct {
		SKU     string            `json:"sku"`
		Options map[string]string `json:"options"`
		Price   string            `json:"price"`
		Stock   string            `json:"stock"`
	}
	if err := json.Unmarshal([]byte(m[1]), &vs); err != nil {
		t.Fatalf("variants JSON: %v\n%s", err, m[1])
	}
	if len(vs) != 2 || vs[1].SKU != "linen-shirt-1" || vs[1].Options["size"] != "L" || vs[1].Stock != "Out of stock" || vs[0].Price != "R450.00" {
		t.Errorf("variants JSON = %+v", vs)
	}
	// A product without options shows its one variant.
	body = s.page(t, "/p/candle", 200)
	if !strings.Contains(body, `id="variant-sku">candle-0<`) || strings.Contains(body, `id="variant-form"`) {
		t.Error("single-variant product page wrong")
	}
}

func TestProductImage(t *testing.T) {
	s := newShop(t)
	r := s.get(t, "/images/products/linen-shirt.svg")
	if r.status != 200 || r.header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(r.body, "<svg") {
		t.Fatalf("image: %d %s %.40q", r.status, r.header.Get("Content-Type"), r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "public, max-age=86400" {
		t.Errorf("image Cache-Control %q", cc)
	}
	etag := r.header.Get("ETag")
	if etag == "" {
		t.Fatal("image without ETag")
	}
	if r2 := s.get(t, "/images/products/linen-shirt.svg", "If-None-Match", etag); r2.status != 304 || r2.body != "" {
		t.Errorf("revalidation: %d", r2.status)
	}
	if other := s.get(t, "/images/products/candle.svg"); other.header.Get("ETag") == etag || other.body == r.body {
		t.Error("two products share a picture")
	}
	for _, path := range []string{"/images/products/nope.svg", "/images/products/linen-shirt", "/images/products/linen-shirt.png"} {
		if r := s.get(t, path); r.status != 404 {
			t.Errorf("%s: %d, want 404", path, r.status)
		}
	}
}

func TestStaticAssets(t *testing.T) {
	s := newShop(t)
	body := s.page(t, "/", 200)
	for _, m := range []struct{ re, ctype string }{
		{`<link rel="stylesheet" href="(/static/app\.[0-9a-f]{8}\.css)">`, "text/css; charset=utf-8"},
		{`<script src="(/static/app\.[0-9a-f]{8}\.js)" defer>`, "text/javascript; charset=utf-8"},
		{`<link rel="icon" href="(/static/favicon\.[0-9a-f]{8}\.svg)"`, "image/svg+xml"},
	} {
		sm := regexp.MustCompile(m.re).FindStringSubmatch(body)
		if sm == nil {
			t.Fatalf("home does not link %s", m.re)
		}
		r := s.get(t, sm[1])
		if r.status != 200 || r.header.Get("Content-Type") != m.ctype {
			t.Errorf("%s: %d %s", sm[1], r.status, r.header.Get("Content-Type"))
		}
		if cc := r.header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", sm[1], cc)
		}
		if len(r.body) < 100 {
			t.Errorf("%s: body %d bytes", sm[1], len(r.body))
		}
	}
	// Unfingerprinted names work but revalidate; unknown names are 404.
	if r := s.get(t, "/static/app.css"); r.status != 200 || strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Errorf("/static/app.css: %d %q", r.status, r.header.Get("Cache-Control"))
	}
	if r := s.get(t, "/static/app.00000000.css"); r.status != 404 {
		t.Errorf("unknown asset: %d", r.status)
	}
	// The stylesheet has focus styles and the phone/desktop grid.
	css := s.get(t, "/static/app.css").body
	for _, want := range []string{":focus-visible", "repeat(2, minmax(0, 1fr))", "repeat(4, minmax(0, 1fr))", ".visually-hidden"} {
		if !strings.Contains(css, want) {
			t.Errorf("app.css lacks %s", want)
		}
	}
}

// TestErrorPageServerError: a 5xx page shows the request id.
func TestErrorPageServerError(t *testing.T) {
	s := newShop(t)
	w, err := web.New(web.Config{Catalog: s.svc})
	if err != nil {
		t.Fatal(err)
	}
	h := httpx.Chain(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.ErrorPage(rw, r, fmt.Errorf("database exploded"))
	}), httpx.WithRequestID, httpx.SecurityHeaders)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/anything", nil))
	body := rec.Body.String()
	if rec.Code != 500 || !strings.Contains(body, rec.Header().Get("X-Request-Id")) || strings.Contains(body, "exploded") {
		t.Fatalf("500 page: %d, id %s\n%s", rec.Code, rec.Header().Get("X-Request-Id"), body)
	}
	checkHTML(t, "500", response{status: rec.Code, header: rec.Header(), body: body})
}

// BenchmarkPages renders each page through the middleware chain with the
// catalog cache warm, so it measures the web layer.
func BenchmarkPages(b *testing.B) {
	s := newShopCache(b, local.NewCache(10000))
	for _, bc := range []struct{ name, path string }{
		{"home", "/"}, {"search", "/search?q=shirt"}, {"category", "/c/clothing?in_stock=true"},
		{"product", "/p/rain-jacket?size=XL"}, {"image", "/images/products/candle.svg"}, {"notfound", "/nope"},
	} {
		path := bc.path
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			req := httptest.NewRequest("GET", path, nil)
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.h.ServeHTTP(rec, req)
				if rec.Code >= 500 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}

// TestCheckerCatchesProblems keeps the page checks honest: a page that
// breaks each rule is reported.
func TestCheckerCatchesProblems(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Security-Policy", "script-src 'self' 'nonce-abc'")
	page := `<!doctype html><html lang="en"><head><meta name="viewport" content="x">
<script nonce="abc">ok()</script><script>evil()</script><script src="/static/app.js"></script></head>
<body><a href="#main">skip</a><header><nav></nav></header><main id="main"><h1>One</h1><h1>Two</h1>
<img src="/a.svg" alt="" width="1" height="1"><img src="/b.svg" alt="B">
<input name="unlabelled"><label for="x">X</label><input id="x" name="x"><label>Wrapped <input name="w"></label>
<input type="hidden" name="h"><select name="s"></select><p style="color:red" onclick="x()">hi</p>
<label for="ghost">Ghost</label></main><footer></footer></body></html>`
	got := strings.Join(htmlProblems(response{header: h, body: page}), "\n")
	for _, want := range []string{
		"2 <h1> elements", `<img src="/a.svg"> without alt`, `<img src="/b.svg"> without width`,
		`<input name="unlabelled"> has no label`, `<select name="s"> has no label`,
		"inline style", "inline event handler onclick", "<script> without src, nonce", `<label for="ghost"> has no control`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("checker missed %q; got:\n%s", want, got)
		}
	}
	for _, notWant := range []string{`name="x"`, `name="w"`, `name="h"`} {
		if strings.Contains(got, notWant) {
			t.Errorf("checker wrongly reports %s:\n%s", notWant, got)
		}
	}
}
