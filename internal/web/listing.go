package web

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
)

// listingData is what search and category pages show.
type listingData struct {
	layout
	Heading  string
	Intro    string // category description
	Crumbs   []crumb
	Subcats  []link // children of the category page's category
	Action   string // the filter form's action (this page's path)
	Hidden   []hiddenField
	Facets   facetsView
	Sorts    []sortOption
	Items    []catalog.Card
	Total    int
	More     bool   // more than Total match (catalog.Facets.Capped)
	HasQuery bool   // the shopper typed words
	Text     string // the words
	NextURL  string
	FirstURL string // set when this is not the first page
	Roots    []link // suggestions when nothing matched
}

type crumb struct{ Name, URL string }

type link struct {
	Name, URL string
	Count     int
	More      bool // Count is a lower bound (catalog.Facets.Capped): "1000+"
	Current   bool
	Children  []link
}

type hiddenField struct{ Name, Value string }

type sortOption struct {
	Value, Label string
	Selected     bool
}

type facetsView struct {
	Categories  []link
	AnyCategory string // URL that drops the category filter (search page)
	Min, Max    string // price inputs' values, in rands
	MinHint     string // placeholders: the result's price range
	MaxHint     string
	InStock     bool
	InStockN    int
	More        bool // the counts are lower bounds (catalog.Facets.Capped)
	Options     []optionFacet
	Active      bool   // some filter is on
	ClearURL    string // the same search without filters
}

type optionFacet struct {
	Name, Label string
	Values      []optionValue
}

type optionValue struct {
	Value, ID string
	Count     int
	More      bool // Count is a lower bound
	Checked   bool
	Swatch    string // hex colour for colour options
}

var sortLabels = map[catalog.Sort]string{
	catalog.SortRelevance: "Relevance",
	catalog.SortPriceAsc:  "Price: low to high",
	catalog.SortPriceDesc: "Price: high to low",
	catalog.SortNewest:    "Newest",
}

func (w *Web) search(rw http.ResponseWriter, r *http.Request) { w.listing(rw, r, "") }

func (w *Web) category(rw http.ResponseWriter, r *http.Request) {
	w.listing(rw, r, r.PathValue("slug"))
}

// listing renders /search (slug "") and /c/{slug}.
func (w *Web) listing(rw http.ResponseWriter, r *http.Request, slug string) {
	ctx := r.Context()
	tree, err := w.svc.Categories(ctx)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	var here *catalog.Category
	if slug != "" {
		c, ok := tree.BySlug(slug)
		if !ok {
			w.fail(rw, r, ocean.Errorf(ocean.ENOTFOUND, "There is no category at this address."))
			return
		}
		here = c
	}

	raw := r.URL.Query()
	// One snapshot of the rules for the whole page: the currency the
	// price filter is read in, the footer, and what the page is kept with.
	rules, currency := w.rules(ctx), ""
	if rules != nil {
		currency = rules.Value.Settings.Currency
	}
	v, fe := translatePrices(raw, currency)
	if here != nil {
		v.Set("category", here.Slug)
	}
	q, err := catalog.ParseQuery(v)
	if err != nil || len(fe) > 0 {
		fe = append(fe, ocean.ErrorFields(err)...)
		w.fail(rw, r, ocean.Invalid("Some of the search settings are not valid.", fe...))
		return
	}
	page, err := w.svc.Search(ctx, q)
	if err != nil {
		w.fail(rw, r, err)
		return
	}

	base := "/search"
	if here != nil {
		base = "/c/" + here.Slug
	}
	// Links keep the canonical search; the category page's path carries
	// its category.
	params := queryValues(q, here == nil)
	d := listingData{
		Action:   base,
		Items:    page.Items,
		Total:    page.Facets.Total,
		More:     page.Facets.Capped,
		HasQuery: len(q.Terms) > 0,
		Text:     q.Text,
	}
	title := "All products"
	switch {
	case here != nil:
		title = here.Name
		d.Heading = here.Name
		d.Intro = here.Description
		for _, c := range tree.Path(here) {
			d.Crumbs = append(d.Crumbs, crumb{Name: c.Name, URL: "/c/" + c.Slug})
		}
		d.Crumbs[len(d.Crumbs)-1].URL = ""
		for _, c := range here.Children {
			d.Subcats = append(d.Subcats, link{Name: c.Name, URL: "/c/" + c.Slug})
		}
	case q.Text != "":
		title = "Search: " + q.Text
		d.Heading = "Results for “" + q.Text + "”"
	default:
		d.Heading = "All products"
	}
	if q.Text != "" && here != nil {
		title = q.Text + " in " + here.Name
	}
	d.layout = w.layout(r, title, tree)
	d.Q = q.Text
	// The page depends on the query alone (and the header): it is kept
	// rendered while the catalog gives the same results (pagecache.go).
	deps := depsWith(tree, rules, &d.layout)
	w.cardDeps(&deps, page.Items)
	deps.facets, deps.more = &page.Facets, page.NextCursor
	key := keyFor("listing", r.URL.Path+"?"+r.URL.RawQuery, &d.layout)
	if w.kept(rw, r, key, &deps, d.CSRF) {
		return
	}

	if q.Text != "" {
		d.Hidden = append(d.Hidden, hiddenField{"q", q.Text})
	}
	if here == nil && q.Category != "" {
		d.Hidden = append(d.Hidden, hiddenField{"category", q.Category})
	}
	if q.Limit != catalog.DefaultLimit {
		d.Hidden = append(d.Hidden, hiddenField{"limit", strconv.Itoa(q.Limit)})
	}
	for _, s := range catalog.Sorts {
		d.Sorts = append(d.Sorts, sortOption{Value: string(s), Label: sortLabels[s], Selected: s == q.Sort})
	}
	d.Facets = facets(tree, page, q, raw, here, params)
	if page.NextCursor != "" {
		d.NextURL = withParam(base, params, "cursor", page.NextCursor)
	}
	if q.Cursor != nil {
		d.FirstURL = withParam(base, params, "", "")
	}
	if len(page.Items) == 0 {
		for _, c := range tree.Roots {
			d.Roots = append(d.Roots, link{Name: c.Name, URL: "/c/" + c.Slug})
		}
	}
	w.renderKept(rw, r, key, &deps, &d.layout, &d)
}

// translatePrices turns the form's friendly min/max (major units of the
// shop's currency cur) into the API's min_price/max_price (minor units).
// The friendly fields win over the raw ones.
func translatePrices(raw url.Values, cur string) (url.Values, []ocean.FieldError) {
	v := make(url.Values, len(raw))
	for k, vals := range raw {
		v[k] = vals
	}
	var fe []ocean.FieldError
	for _, f := range [...]struct{ from, to string }{{"min", "min_price"}, {"max", "max_price"}} {
		s := strings.TrimSpace(v.Get(f.from))
		delete(v, f.from)
		if s == "" {
			continue
		}
		if cur != "" {
			s = strings.TrimSpace(strings.TrimPrefix(s, strings.TrimSpace(ocean.Symbol(cur))))
		}
		n, err := ocean.ParseMajor(s, cur)
		if err != nil {
			msg := "must be an amount, like 150 or 149.99"
			if cur != "" {
				msg = "must be an amount in " + cur + ", like " + ocean.Money{Amount: 150 * ocean.Unit(cur), Currency: cur}.Plain()
			}
			fe = append(fe, ocean.FieldError{Field: f.from, Message: msg})
			continue
		}
		v.Set(f.to, strconv.FormatInt(n, 10))
	}
	return v, fe
}

// queryValues is the canonical form of q for links, without the cursor.
func queryValues(q catalog.Query, withCategory bool) url.Values {
	v := url.Values{}
	if q.Text != "" {
		v.Set("q", q.Text)
	}
	if withCategory && q.Category != "" {
		v.Set("category", q.Category)
	}
	if q.MinPrice != nil {
		v.Set("min_price", strconv.FormatInt(*q.MinPrice, 10))
	}
	if q.MaxPrice != nil {
		v.Set("max_price", strconv.FormatInt(*q.MaxPrice, 10))
	}
	if q.InStock {
		v.Set("in_stock", "true")
	}
	for name, vals := range q.Options {
		v["option."+name] = slices.Clone(vals)
	}
	if q.Sort != catalog.SortRelevance {
		v.Set("sort", string(q.Sort))
	}
	if q.Limit != catalog.DefaultLimit {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// withParam returns path?params with key set to val (key "" adds nothing).
func withParam(path string, params url.Values, key, val string) string {
	v := params
	if key != "" {
		v = make(url.Values, len(params)+1)
		for k, vals := range params {
			v[k] = vals
		}
		v.Set(key, val)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

func without(params url.Values, keys ...string) url.Values {
	v := make(url.Values, len(params))
	for k, vals := range params {
		if !slices.Contains(keys, k) {
			v[k] = vals
		}
	}
	return v
}

func facets(tree *catalog.Tree, page *catalog.Page, q catalog.Query, raw url.Values, here *catalog.Category, params url.Values) facetsView {
	fc := page.Facets
	f := facetsView{InStock: q.InStock, InStockN: fc.InStock, More: fc.Capped}

	// Categories: the tree with each node's count including its children;
	// empty branches are left out, the current category is marked.
	rolled := tree.Roll(fc.Categories)
	var build func(cs []*catalog.Category, depth int) []link
	build = func(cs []*catalog.Category, depth int) []link {
		var out []link
		for _, c := range cs {
			n := rolled[c.ID]
			if n == 0 {
				continue
			}
			l := link{Name: c.Name, Count: n, More: fc.Capped, Current: q.Category == c.Slug}
			if here != nil {
				l.URL = withParam("/c/"+c.Slug, params, "", "")
			} else {
				l.URL = withParam("/search", params, "category", c.Slug)
			}
			if depth < 3 {
				l.Children = build(c.Children, depth+1)
			}
			out = append(out, l)
		}
		return out
	}
	f.Categories = build(tree.Roots, 1)
	if here == nil && q.Category != "" {
		f.AnyCategory = withParam("/search", without(params, "category"), "", "")
	}

	// Price, in rands: what was typed, else the canonical filter.
	f.Min, f.Max = strings.TrimSpace(raw.Get("min")), strings.TrimSpace(raw.Get("max"))
	if f.Min == "" && q.MinPrice != nil {
		f.Min = major(*q.MinPrice)
	}
	if f.Max == "" && q.MaxPrice != nil {
		f.Max = major(*q.MaxPrice)
	}
	if fc.Total > 0 {
		f.MinHint = strconv.FormatInt(fc.PriceMin/100, 10)
		f.MaxHint = strconv.FormatInt((fc.PriceMax+99)/100, 10)
	}

	// Options: size first, then colour, then the rest; values in a natural
	// order; a chosen value stays visible even when its count fell to 0.
	names := make([]string, 0, len(fc.Options)+len(q.Options))
	for n := range fc.Options {
		names = append(names, n)
	}
	for n := range q.Options {
		if _, ok := fc.Options[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := optionRank(names[i]), optionRank(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	for i, name := range names {
		counts := fc.Options[name]
		vals := make([]string, 0, len(counts))
		for val := range counts {
			vals = append(vals, val)
		}
		for _, val := range q.Options[name] {
			if _, ok := counts[val]; !ok && !slices.Contains(vals, val) {
				vals = append(vals, val)
			}
		}
		if len(vals) == 0 {
			continue
		}
		sortValues(name, vals)
		of := optionFacet{Name: "option." + name, Label: optionLabel(name)}
		for j, val := range vals {
			ov := optionValue{Value: val, ID: "f-" + strconv.Itoa(i) + "-" + strconv.Itoa(j), Count: counts[val], More: fc.Capped,
				Checked: slices.Contains(q.Options[name], val)}
			if isColour(name) {
				ov.Swatch = swatchColour(val)
			}
			of.Values = append(of.Values, ov)
		}
		f.Options = append(f.Options, of)
	}

	f.Active = q.MinPrice != nil || q.MaxPrice != nil || q.InStock || len(q.Options) > 0 || (here == nil && q.Category != "")
	clear := url.Values{}
	if q.Text != "" {
		clear.Set("q", q.Text)
	}
	if here != nil {
		f.ClearURL = withParam("/c/"+here.Slug, clear, "", "")
	} else {
		f.ClearURL = withParam("/search", clear, "", "")
	}
	return f
}

// major formats minor units as a plain rand amount for an input: "150",
// "149.99".
func major(n int64) string {
	s := strconv.FormatInt(n/100, 10)
	if c := n % 100; c != 0 {
		s += "." + strconv.FormatInt(c/10, 10) + strconv.FormatInt(c%10, 10)
	}
	return s
}

func optionRank(name string) int {
	switch name {
	case "size":
		return 0
	case "colour", "color":
		return 1
	}
	return 2
}

func isColour(name string) bool { return name == "colour" || name == "color" }

func optionLabel(name string) string {
	if name == "" {
		return ""
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// sortValues orders option values as every front door does
// (catalog.CompareOptionValues): sizes small to large, "UK 9" before "UK 10".
func sortValues(_ string, vals []string) { slices.SortFunc(vals, catalog.CompareOptionValues) }
