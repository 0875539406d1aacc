package catalog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Service is the catalog as the delivery layers (web, api, mcp) see it. Reads
// are served from the cache when they can be; every write goes through here
// and invalidates what it changed (the tags in tags.go).
type Service struct {
	store   Store
	cache   Cache
	flights singleflight.Group // one load per key and generation at a time
}

// NewService returns a Service over store. A nil cache disables caching.
func NewService(store Store, cache Cache) *Service {
	if cache == nil {
		cache = noCache{}
	}
	return &Service{store: store, cache: cache}
}

// Tree is the category tree with lookups the pages need.
type Tree struct {
	Roots  []*Category
	bySlug map[string]*Category
	byID   map[int64]*Category
	flat   []Category // as the store returned them: what a shared cache stores
}

// BySlug finds a category by slug.
func (t *Tree) BySlug(slug string) (*Category, bool) { c, ok := t.bySlug[slug]; return c, ok }

// ByID finds a category by id.
func (t *Tree) ByID(id int64) (*Category, bool) { c, ok := t.byID[id]; return c, ok }

// Path returns the category and its ancestors, root first.
func (t *Tree) Path(c *Category) []*Category {
	var path []*Category
	for c != nil {
		path = append([]*Category{c}, path...)
		c = t.byID[c.ParentID]
	}
	return path
}

// Subtree returns the ids of c and all its descendants.
func (t *Tree) Subtree(c *Category) []int64 {
	ids := []int64{c.ID}
	for _, ch := range c.Children {
		ids = append(ids, t.Subtree(ch)...)
	}
	return ids
}

// Roll adds the counts of descendants to their ancestors: counts maps a
// category id to products directly in it; the result maps it to products in
// its subtree.
func (t *Tree) Roll(counts map[int64]int) map[int64]int {
	out := make(map[int64]int, len(t.byID))
	for id, n := range counts {
		for c, ok := t.byID[id]; ok; c, ok = t.byID[c.ParentID] {
			out[c.ID] += n
		}
	}
	return out
}

func buildTree(cats []Category) *Tree {
	t := &Tree{bySlug: map[string]*Category{}, byID: map[int64]*Category{}, flat: make([]Category, len(cats))}
	for i, c := range cats {
		c.Children = nil
		t.flat[i] = c
	}
	nodes := make([]*Category, len(cats))
	for i := range cats {
		c := cats[i]
		c.Children = nil
		nodes[i] = &c
		t.bySlug[c.Slug] = &c
		t.byID[c.ID] = &c
	}
	// A parent chain that loops (only a hand-edited database can make one)
	// would make Path and Roll spin: the node that closes it becomes a root.
	for _, c := range nodes {
		p, steps := c, 0
		for p != nil && p.ParentID != 0 && steps <= len(nodes) {
			p, steps = t.byID[p.ParentID], steps+1
		}
		if steps > len(nodes) {
			c.ParentID = 0
		}
	}
	for _, c := range nodes {
		if p, ok := t.byID[c.ParentID]; ok && c.ParentID != 0 {
			p.Children = append(p.Children, c)
		} else {
			t.Roots = append(t.Roots, c)
		}
	}
	return t
}

// Categories returns the category tree.
func (s *Service) Categories(ctx context.Context) (*Tree, error) {
	v, err := s.cached(ctx, KeyTree, nil, func(ctx context.Context, _ uint64) (any, error) {
		cats, err := s.store.Categories(ctx)
		if err != nil {
			return nil, fmt.Errorf("categories: %w", err)
		}
		return buildTree(cats), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Tree), nil
}

// loadTimeout bounds a load that several requests share: it runs on after
// the request that started it goes away, so the others still get it.
const loadTimeout = 30 * time.Second

// cached returns the value under key, loading and storing it on a miss;
// tags (nil: none) names what the value depends on.
func (s *Service) cached(ctx context.Context, key string, tags func(v any) []string, load func(ctx context.Context, gen uint64) (any, error)) (any, error) {
	if v, ok := s.cache.Get(ctx, key); ok {
		return v, nil
	}
	return s.load(ctx, key, tags, load)
}

// load runs load for key once per instance however many requests miss it
// at the same time (singleflight), and stores the result if no write came
// in between. The generation is part of the flight's key: a request that
// starts after a write never joins a load that began before it. Errors are
// shared by the waiting requests but never cached.
func (s *Service) load(ctx context.Context, key string, tags func(v any) []string, load func(ctx context.Context, gen uint64) (any, error)) (any, error) {
	gen := s.cache.Gen(ctx)
	run := func(ctx context.Context) (any, error) {
		v, err := load(ctx, gen)
		if err != nil {
			return nil, err
		}
		var t []string
		if tags != nil {
			t = tags(v)
		}
		s.cache.Set(ctx, key, v, gen, t...)
		return v, nil
	}
	v, err, shared := s.flights.Do(key+"\x00"+strconv.FormatUint(gen, 10), func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		return run(lctx)
	})
	// A load that failed because the caller it ran for went away (a build
	// function that uses its request's context) is not this caller's
	// failure: run it again for this one.
	if shared && err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return run(ctx)
	}
	return v, err
}

// Page is one page of search results. The cache keeps a page without its
// facets, which are the same for every page of a search and cached apart.
type Page struct {
	Query      Query
	Items      []Card
	NextCursor string // "" at the end
	Facets     Facets
	Category   *Category // the category searched in, if any
}

// Search runs a validated query. An unknown category is EINVALID for the
// category field.
//
// The page and its facets are independent reads. When the facets are not
// cached they are loaded while the page is, so a search the cache has not
// seen waits for the slower of the two, not for their sum (on a catalog of
// a million products the facet counts take as long as the page itself:
// docs/query-budget.md).
func (s *Service) Search(ctx context.Context, q Query) (*Page, error) {
	// Facets describe the whole result, not the page: the same for every
	// page of one search, so cached without the cursor, and apart from the
	// page, so that a change that moves them (a price, a product selling
	// out) does not drop the pages too.
	fkey := KeyFacets + ":" + Query{Terms: q.Terms, Category: q.Category, MinPrice: q.MinPrice, MaxPrice: q.MaxPrice, InStock: q.InStock, Options: q.Options}.Key()
	facets, cached := s.cache.Get(ctx, fkey)
	var ferr error
	var loaded chan struct{}
	if !cached {
		loaded = make(chan struct{})
		go func() {
			defer close(loaded)
			// A panic here is outside the request's recovery middleware:
			// it becomes this search's error instead of ending the process.
			defer func() {
				if r := recover(); r != nil {
					ferr = fmt.Errorf("facets: panic: %v", r)
				}
			}()
			facets, ferr = s.load(ctx, fkey, func(any) []string { return FacetTags() }, func(ctx context.Context, _ uint64) (any, error) {
				f, _, err := s.filter(ctx, q)
				if err != nil {
					return nil, err
				}
				fs, err := s.store.Facets(ctx, f)
				if err != nil {
					return nil, fmt.Errorf("facets: %w", err)
				}
				return fs, nil
			})
		}()
	}
	page, err := s.List(ctx, q)
	if loaded != nil {
		<-loaded
	}
	if err != nil {
		return nil, err
	}
	if ferr != nil {
		return nil, ferr
	}
	collect(ctx, FacetTags()...)
	page.Facets = facets.(Facets)
	return page, nil
}

// List is Search without the facets (Page.Facets is empty), for pages
// that show products but no filters, like the home page's rows: counting
// facets reads every matching product's variants, which on a large
// catalog costs far more than the page itself (docs/query-budget.md).
func (s *Service) List(ctx context.Context, q Query) (*Page, error) {
	pageTags := func(v any) []string { return PageTags(q, v.(*Page).Items) }
	v, err := s.cached(ctx, KeySearch+":"+q.Key(), pageTags, func(ctx context.Context, gen uint64) (any, error) {
		return s.search(ctx, q, gen)
	})
	if err != nil {
		return nil, err
	}
	page := *v.(*Page)
	collect(ctx, pageTags(&page)...)
	return &page, nil
}

// filter turns a validated query into the store's filter, with the
// category it searches in (nil for all).
func (s *Service) filter(ctx context.Context, q Query) (Filter, *Category, error) {
	f := Filter{Terms: q.Terms, MinPrice: q.MinPrice, MaxPrice: q.MaxPrice, InStock: q.InStock,
		Options: q.Options, Sort: q.EffectiveSort(), Limit: q.Limit, After: q.Cursor}
	if q.Category == "" {
		return f, nil, nil
	}
	tree, err := s.Categories(ctx)
	if err != nil {
		return f, nil, err
	}
	c, ok := tree.BySlug(q.Category)
	if !ok {
		return f, nil, ocean.Invalid("There is no such category.", ocean.FieldError{Field: "category", Message: "no category has this slug"})
	}
	f.CategoryIDs = tree.Subtree(c)
	return f, c, nil
}

func (s *Service) search(ctx context.Context, q Query, gen uint64) (*Page, error) {
	f, c, err := s.filter(ctx, q)
	if err != nil {
		return nil, err
	}
	page := &Page{Query: q, Category: c}
	hits, err := s.store.Search(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if len(hits) > q.Limit {
		hits = hits[:q.Limit]
		page.NextCursor = hits[len(hits)-1].Key.Encode()
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	if page.Items, err = s.cards(ctx, ids, gen); err != nil {
		return nil, err
	}
	return page, nil
}

// cards returns the cards for ids in the order given, loading misses from
// the store in one query (and, with a shared tier, looking them up in one
// round trip).
func (s *Service) cards(ctx context.Context, ids []int64, gen uint64) ([]Card, error) {
	out := make([]Card, len(ids))
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = cardKey(id)
	}
	bc, batch := s.cache.(BatchCache)
	var found []any
	if batch {
		found = bc.GetMany(ctx, keys)
	} else {
		found = make([]any, len(keys))
		for i, k := range keys {
			found[i], _ = s.cache.Get(ctx, k)
		}
	}
	var missing []int64
	for i, v := range found {
		if c, ok := v.(Card); ok {
			out[i] = c
		} else {
			missing = append(missing, ids[i])
		}
	}
	if len(missing) > 0 {
		loaded, err := s.store.Cards(ctx, missing)
		if err != nil {
			return nil, fmt.Errorf("cards: %w", err)
		}
		byID := make(map[int64]Card, len(loaded))
		lkeys, lvals, ltags := make([]string, len(loaded)), make([]any, len(loaded)), make([][]string, len(loaded))
		for i, c := range loaded {
			byID[c.ID] = c
			lkeys[i], lvals[i], ltags[i] = cardKey(c.ID), c, []string{TagProduct(c.ID)}
		}
		if batch {
			bc.SetMany(ctx, lkeys, lvals, gen, ltags...)
		} else {
			for i, k := range lkeys {
				s.cache.Set(ctx, k, lvals[i], gen, ltags[i]...)
			}
		}
		for i, id := range ids {
			if out[i].ID == 0 {
				out[i] = byID[id]
			}
		}
	}
	// A product deleted between the id query and the card query is dropped.
	kept := out[:0]
	for _, c := range out {
		if c.ID != 0 {
			kept = append(kept, c)
		}
	}
	return kept, nil
}

func cardKey(id int64) string { return KeyCard + ":" + strconv.FormatInt(id, 10) }

// Product returns the product with the slug, or ENOTFOUND. A slug found
// missing is remembered for a short while (negative caching), so a flood of
// requests for one bad address does not reach the database.
func (s *Service) Product(ctx context.Context, slug string) (*Product, error) {
	if !validSlug(slug) {
		return nil, errNoProduct()
	}
	key := KeyProduct + ":" + slug
	if v, ok := s.cache.Get(ctx, key); ok {
		p := v.(*Product)
		collect(ctx, ProductTags(p)...)
		if p.MovedFrom != "" {
			return nil, &Moved{Slug: p.Slug}
		}
		return p, nil
	}
	neg := KeyNegative + ":" + slug
	if _, ok := s.cache.Get(ctx, neg); ok {
		collect(ctx, TagListings)
		return nil, errNoProduct()
	}
	v, err := s.load(ctx, key, func(v any) []string { return ProductTags(v.(*Product)) }, func(ctx context.Context, gen uint64) (any, error) {
		p, err := s.store.ProductBySlug(ctx, slug)
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			// A slug the product used to have: remembered as a marker
			// product that only names the new slug.
			if to, rerr := s.store.SlugRedirect(ctx, slug); rerr == nil {
				return &Product{Slug: to, MovedFrom: slug}, nil
			}
			// A product created or given this slug drops TagListings.
			s.cache.Set(ctx, neg, true, gen, TagListings)
		}
		if err != nil {
			return nil, err
		}
		return p, nil
	})
	if err != nil {
		if ocean.ErrorCode(err) == ocean.ENOTFOUND {
			collect(ctx, TagListings)
		}
		return nil, err
	}
	p := v.(*Product)
	collect(ctx, ProductTags(p)...)
	if p.MovedFrom != "" {
		return nil, &Moved{Slug: p.Slug}
	}
	return p, nil
}

func errNoProduct() error {
	return ocean.Errorf(ocean.ENOTFOUND, "There is no product at this address.")
}

// View returns the value cached under key, computing it with build on a
// miss. Delivery layers use it for rendered forms of catalog reads (encoded
// JSON, say). build must make its reads through this Service with the
// context it is given: the view then carries the tags of what it read, and
// a write drops it exactly when it drops one of those. A view that read
// nothing tagged is dropped with every listing. Errors are not cached. A
// []byte value is shared with other instances through the shared tier;
// other values stay in this process.
func (s *Service) View(ctx context.Context, key string, build func(ctx context.Context) (any, error)) (any, error) {
	key = KeyView + ":" + key
	if v, ok := s.cache.Get(ctx, key); ok {
		return v, nil // before the sink and closures a build needs: a hit is most requests
	}
	sink := &tagSink{tags: map[string]struct{}{}}
	tags := func(any) []string {
		t := sink.list()
		if len(t) == 0 {
			return []string{TagListings}
		}
		return t
	}
	return s.load(ctx, key, tags, func(ctx context.Context, _ uint64) (any, error) {
		return build(context.WithValue(ctx, sinkKey{}, sink))
	})
}

// CacheStats returns the cache's hit and miss counts per keyspace, or nil
// when the cache does not count.
func (s *Service) CacheStats() CacheStats {
	if c, ok := s.cache.(interface{ Stats() CacheStats }); ok {
		return c.Stats()
	}
	return nil
}

// CreateCategory adds a category as the system (the demo seed, tests);
// the admin uses AddCategory.
func (s *Service) CreateCategory(ctx context.Context, c *Category) error {
	if !validSlug(c.Slug) || c.Name == "" {
		return ocean.Invalid("The category is not valid.", ocean.FieldError{Field: "slug", Message: "needs a slug and a name"})
	}
	if c.ParentID != 0 {
		tree, err := s.Categories(ctx)
		if err != nil {
			return err
		}
		if _, ok := tree.ByID(c.ParentID); !ok || c.ParentID == c.ID {
			return ocean.Invalid("The category is not valid.", ocean.FieldError{Field: "parent", Message: "must be an existing category"})
		}
	}
	defer s.cache.Invalidate(ctx)
	return s.store.CreateCategory(ctx, c, System)
}

// CreateProduct validates and adds a product with its variants as the
// system (the demo seed, tests): active unless it says otherwise. The admin
// uses Create.
func (s *Service) CreateProduct(ctx context.Context, p *Product) error {
	if p.Status == "" {
		p.Status = StatusActive
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return err
	}
	tree, err := s.Categories(ctx)
	if err != nil {
		return err
	}
	if _, ok := tree.ByID(p.CategoryID); !ok {
		return ocean.Invalid("The product is not valid.", ocean.FieldError{Field: "category", Message: "must be an existing category"})
	}
	defer func() { s.cache.InvalidateTags(ctx, TagProduct(p.ID), TagListings, TagPrices, TagStock) }()
	return s.store.CreateProduct(ctx, p, System)
}

// UpdateProduct changes a product's descriptive fields.
func (s *Service) UpdateProduct(ctx context.Context, id int64, u ProductUpdate) error {
	if u.Slug != nil && !validSlug(*u.Slug) {
		return ocean.Invalid("The product is not valid.", ocean.FieldError{Field: "slug", Message: "must be 1-80 lowercase letters, digits and dashes"})
	}
	if u.Name != nil && (*u.Name == "" || len(*u.Name) > 200) {
		return ocean.Invalid("The product is not valid.", ocean.FieldError{Field: "name", Message: "must be 1-200 characters"})
	}
	// A name or slug can move the product in and out of listings.
	defer s.cache.InvalidateTags(ctx, TagProduct(id), TagListings, TagPrices, TagStock)
	return s.store.UpdateProduct(ctx, id, u)
}

// MaxPrice bounds a variant's price (10 million in major units) so that any
// cart the shop allows (100 lines of 99) can be totalled exactly.
const MaxPrice = 1_000_000_000

// SetPrices changes variant prices (minor units, in the product's
// currency). Every instance's cached pages and cards show the new prices at
// once: the write drops the product's entries and the listings that filter
// or sort by price, everywhere.
func (s *Service) SetPrices(ctx context.Context, productID int64, prices map[int64]int64, currency string) error {
	var fe []ocean.FieldError
	for id, a := range prices {
		if a < 0 || a > MaxPrice {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].price", id), Message: fmt.Sprintf("must be between 0 and %d minor units", MaxPrice)})
		}
	}
	if len(prices) == 0 {
		fe = append(fe, ocean.FieldError{Field: "variants", Message: "name at least one variant and its new price"})
	}
	if fe != nil {
		return ocean.Invalid("The prices are not valid.", fe...)
	}
	defer s.cache.InvalidateTags(ctx, TagProduct(productID), TagPrices)
	return s.store.SetPrices(ctx, productID, prices, currency)
}

// StockChanged drops what showed the stock of the variants given, after
// the stock changed (checkout, refunds, the inventory): their products'
// entries, and the listings and facets that depend on stock when a
// product may have sold out or come back (StockTags). sold says units
// were only taken away. With no variants named (not known) it drops the
// whole catalog cache. Errors reading which products those are drop the
// whole cache too: a stock change must never stay unseen.
func (s *Service) StockChanged(ctx context.Context, variantIDs []int64, sold bool) {
	if len(variantIDs) == 0 {
		s.cache.Invalidate(ctx)
		return
	}
	ids, err := s.store.VariantProducts(ctx, variantIDs)
	if err != nil {
		s.cache.Invalidate(ctx)
		return
	}
	var inStock map[int64]bool
	if sold {
		cards, err := s.store.Cards(ctx, ids)
		if err != nil {
			s.cache.Invalidate(ctx)
			return
		}
		inStock = make(map[int64]bool, len(cards))
		for _, c := range cards {
			inStock[c.ID] = c.InStock
		}
	}
	s.cache.InvalidateTags(ctx, StockTags(ids, inStock, sold)...)
}

// CountProducts returns the number of products.
func (s *Service) CountProducts(ctx context.Context) (int, error) { return s.store.CountProducts(ctx) }

type noCache struct{}

func (noCache) Get(context.Context, string) (any, bool)             { return nil, false }
func (noCache) Set(context.Context, string, any, uint64, ...string) {}
func (noCache) Gen(context.Context) uint64                          { return 0 }
func (noCache) Invalidate(context.Context)                          {}
func (noCache) InvalidateTags(context.Context, ...string)           {}
