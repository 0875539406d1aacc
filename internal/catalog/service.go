package catalog

import (
	"context"
	"fmt"
	"strconv"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Cache holds catalog reads between writes. Implementations must be safe for
// concurrent use. Invalidate drops everything the catalog cached and starts a
// new generation; Set stores only if the generation is still gen, so a value
// read before a write never outlives it. A shared implementation (Redis, a
// later step) also tells other instances.
type Cache interface {
	Gen(ctx context.Context) uint64
	Get(ctx context.Context, key string) (any, bool)
	Set(ctx context.Context, key string, v any, gen uint64)
	Invalidate(ctx context.Context)
}

// Service is the catalog as the delivery layers (web, api, mcp) see it. Reads
// are served from the cache when they can be; every write goes through here
// and invalidates the cache.
type Service struct {
	store Store
	cache Cache
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
	t := &Tree{bySlug: map[string]*Category{}, byID: map[int64]*Category{}}
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
	if v, ok := s.cache.Get(ctx, "tree"); ok {
		return v.(*Tree), nil
	}
	gen := s.cache.Gen(ctx)
	cats, err := s.store.Categories(ctx)
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	t := buildTree(cats)
	s.cache.Set(ctx, "tree", t, gen)
	return t, nil
}

// Page is one page of search results.
type Page struct {
	Query      Query
	Items      []Card
	NextCursor string // "" at the end
	Facets     Facets
	Category   *Category // the category searched in, if any
}

// Search runs a validated query. An unknown category is EINVALID for the
// category field.
func (s *Service) Search(ctx context.Context, q Query) (*Page, error) {
	key := "search:" + q.Key()
	if v, ok := s.cache.Get(ctx, key); ok {
		return v.(*Page), nil
	}
	gen := s.cache.Gen(ctx)
	tree, err := s.Categories(ctx)
	if err != nil {
		return nil, err
	}
	f := Filter{Terms: q.Terms, MinPrice: q.MinPrice, MaxPrice: q.MaxPrice, InStock: q.InStock,
		Options: q.Options, Sort: q.EffectiveSort(), Limit: q.Limit, After: q.Cursor}
	page := &Page{Query: q}
	if q.Category != "" {
		c, ok := tree.BySlug(q.Category)
		if !ok {
			return nil, ocean.Invalid("There is no such category.", ocean.FieldError{Field: "category", Message: "no category has this slug"})
		}
		page.Category = c
		f.CategoryIDs = tree.Subtree(c)
	}
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
	// Facets describe the whole result, not the page: the same for every
	// page of one search, so cache them without the cursor.
	fkey := "facets:" + Query{Terms: q.Terms, Category: q.Category, MinPrice: q.MinPrice, MaxPrice: q.MaxPrice, InStock: q.InStock, Options: q.Options}.Key()
	if v, ok := s.cache.Get(ctx, fkey); ok {
		page.Facets = v.(Facets)
	} else {
		if page.Facets, err = s.store.Facets(ctx, f); err != nil {
			return nil, fmt.Errorf("facets: %w", err)
		}
		s.cache.Set(ctx, fkey, page.Facets, gen)
	}
	s.cache.Set(ctx, key, page, gen)
	return page, nil
}

// cards returns the cards for ids in the order given, loading misses from
// the store in one query.
func (s *Service) cards(ctx context.Context, ids []int64, gen uint64) ([]Card, error) {
	out := make([]Card, len(ids))
	var missing []int64
	for i, id := range ids {
		if v, ok := s.cache.Get(ctx, cardKey(id)); ok {
			out[i] = v.(Card)
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		loaded, err := s.store.Cards(ctx, missing)
		if err != nil {
			return nil, fmt.Errorf("cards: %w", err)
		}
		byID := make(map[int64]Card, len(loaded))
		for _, c := range loaded {
			byID[c.ID] = c
			s.cache.Set(ctx, cardKey(c.ID), c, gen)
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

func cardKey(id int64) string { return "card:" + strconv.FormatInt(id, 10) }

// Product returns the product with the slug, or ENOTFOUND.
func (s *Service) Product(ctx context.Context, slug string) (*Product, error) {
	if !validSlug(slug) {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no product at this address.")
	}
	key := "product:" + slug
	if v, ok := s.cache.Get(ctx, key); ok {
		return v.(*Product), nil
	}
	gen := s.cache.Gen(ctx)
	p, err := s.store.ProductBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	s.cache.Set(ctx, key, p, gen)
	return p, nil
}

// View returns the value cached under key, computing it with build on a
// miss. Delivery layers use it for rendered forms of catalog reads (encoded
// JSON, say), which every catalog write then invalidates with the rest.
// Errors are not cached.
func (s *Service) View(ctx context.Context, key string, build func() (any, error)) (any, error) {
	key = "view:" + key
	if v, ok := s.cache.Get(ctx, key); ok {
		return v, nil
	}
	gen := s.cache.Gen(ctx)
	v, err := build()
	if err != nil {
		return nil, err
	}
	s.cache.Set(ctx, key, v, gen)
	return v, nil
}

// CreateCategory adds a category.
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
	return s.store.CreateCategory(ctx, c)
}

// CreateProduct validates and adds a product with its variants.
func (s *Service) CreateProduct(ctx context.Context, p *Product) error {
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
	defer s.cache.Invalidate(ctx)
	return s.store.CreateProduct(ctx, p)
}

// UpdateProduct changes a product's descriptive fields.
func (s *Service) UpdateProduct(ctx context.Context, id int64, u ProductUpdate) error {
	if u.Slug != nil && !validSlug(*u.Slug) {
		return ocean.Invalid("The product is not valid.", ocean.FieldError{Field: "slug", Message: "must be 1-80 lowercase letters, digits and dashes"})
	}
	if u.Name != nil && (*u.Name == "" || len(*u.Name) > 200) {
		return ocean.Invalid("The product is not valid.", ocean.FieldError{Field: "name", Message: "must be 1-200 characters"})
	}
	defer s.cache.Invalidate(ctx)
	return s.store.UpdateProduct(ctx, id, u)
}

// CountProducts returns the number of products.
func (s *Service) CountProducts(ctx context.Context) (int, error) { return s.store.CountProducts(ctx) }

type noCache struct{}

func (noCache) Get(context.Context, string) (any, bool)  { return nil, false }
func (noCache) Set(context.Context, string, any, uint64) {}
func (noCache) Gen(context.Context) uint64               { return 0 }
func (noCache) Invalidate(context.Context)               {}
