// Package catalog is the shop's product catalog: categories, products with
// options and variants, search with facets, and the rules for what a valid
// search is. It knows nothing of SQL or HTTP: adapters implement Store.
package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Category is a node in the category tree.
type Category struct {
	ID          int64       `json:"-"`
	Slug        string      `json:"slug"`
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	ParentID    int64       `json:"-"`
	Position    int         `json:"-"`
	Version     int64       `json:"-"`
	Children    []*Category `json:"children,omitempty"`
}

// Option is a product dimension such as size or colour, with its values in
// display order.
type Option struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// Variant is one buyable thing: a product in one combination of option
// values, with its own SKU, price and stock.
type Variant struct {
	ID        int64             `json:"-"`
	ProductID int64             `json:"-"`
	SKU       string            `json:"sku"`
	Options   map[string]string `json:"options"`
	Price     ocean.Money       `json:"price"`
	CompareAt ocean.Money       `json:"-"` // the "was" price; 0 for none
	Weight    int               `json:"-"` // grams
	Barcode   string            `json:"-"`
	Stock     int               `json:"-"`
	Position  int               `json:"-"`
	// KeepStock leaves an existing variant's stock as it is when the
	// product is saved (the editor did not change it), so a sale between
	// loading a form and saving it is never undone.
	KeepStock bool `json:"-"`
}

// Available reports how many units can be bought now.
func (v Variant) Available() int {
	if v.Stock < 0 {
		return 0
	}
	return v.Stock
}

// Product is a catalog entry with its variants.
type Product struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Brand       string // the maker or label ("Vendor" in a CSV file); "" for none
	CategoryID  int64
	Status      string // draft, active or archived
	Version     int64  // bumped by every write; If-Match compares it
	Options     []Option
	Variants    []Variant
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// MovedFrom is set on the marker the cache keeps for a slug the
	// product used to have; Slug is then where it went.
	MovedFrom string
}

// PriceRange returns the lowest and highest variant price.
func (p *Product) PriceRange() (lo, hi ocean.Money) {
	for i, v := range p.Variants {
		if i == 0 || v.Price.Amount < lo.Amount {
			lo = v.Price
		}
		if i == 0 || v.Price.Amount > hi.Amount {
			hi = v.Price
		}
	}
	return lo, hi
}

// InStock reports whether any variant can be bought.
func (p *Product) InStock() bool {
	for _, v := range p.Variants {
		if v.Available() > 0 {
			return true
		}
	}
	return false
}

// Card is what a listing shows of a product.
type Card struct {
	ID         int64
	Slug       string
	Name       string
	Summary    string
	CategoryID int64
	PriceMin   ocean.Money
	PriceMax   ocean.Money
	InStock    bool
	CreatedAt  time.Time
}

// ImageURL is the path of the product picture, drawn by package web from the
// slug, so every product has one without any upload or network.
func ImageURL(slug string) string { return "/images/products/" + slug + ".svg" }

// Facets summarise a search result so people can narrow it.
type Facets struct {
	Total      int                       // products matching
	InStock    int                       // of those, how many can be bought now
	Categories map[int64]int             // category id → matching products directly in it
	PriceMin   int64                     // lowest variant price among matches (minor units)
	PriceMax   int64                     // highest
	Options    map[string]map[string]int // option name → value → matching products
	// Capped is set when more products match than the store counts
	// (Filter.Cap, FacetCap by default): Total is then the cap ("1,000+")
	// and every other count is taken over the first products found, so
	// at least that many match. A count never exceeds Total.
	Capped bool
}

// FacetCap is how many matching products the store counts facets over
// (and, for a search ordered by relevance, ranks) before it stops: on a
// catalog of a million products a one-word search matches tens of
// thousands, and counting or ranking them all costs seconds per search
// (docs/query-budget.md). Beyond it a page says "1,000+".
const FacetCap = 1000

// Hit is one search result: the product id and the key it sorted by, from
// which the next cursor is made.
type Hit struct {
	ID  int64
	Key Cursor
}

// Filter is a validated search as the store runs it.
type Filter struct {
	Terms       []string // lowercased words, all must match (prefix match on each)
	CategoryIDs []int64  // a product's category must be one of these (a subtree)
	MinPrice    *int64   // some variant costs at least this
	MaxPrice    *int64   // ... and at most this
	InStock     bool     // ... and is in stock
	Options     map[string][]string
	Sort        Sort
	Limit       int     // the store returns up to Limit+1 hits so the caller knows there is more
	After       *Cursor // keyset position: hits strictly after this
	// Cap bounds the work of Facets and of a relevance-ordered search
	// with Terms: only the first Cap matching products found are counted
	// and ranked. 0 means FacetCap.
	Cap int
}

// EffectiveCap is f.Cap, or FacetCap when it is not set.
func (f Filter) EffectiveCap() int {
	if f.Cap > 0 {
		return f.Cap
	}
	return FacetCap
}

// Store is what the catalog needs from a database. Methods return *ocean.Error
// with ENOTFOUND for missing things, EINVALID/ECONFLICT for rejected writes
// and ESTALE when a write names a version that is no longer current. Every
// write is one transaction: the rows, the search index, the stock ledger
// and the audit log change together or not at all.
//
// The storefront's reads (Search, Facets, Cards, ProductBySlug) see active
// products only; the admin's (ProductByID, AdminProducts) see every status.
type Store interface {
	// Categories returns every category ordered by parent, position, name.
	Categories(ctx context.Context) ([]Category, error)
	// Search returns up to f.Limit+1 hits in f.Sort order after f.After.
	// Ordered by relevance with Terms, it ranks the first
	// f.EffectiveCap() matching products found, not every match.
	Search(ctx context.Context, f Filter) ([]Hit, error)
	// Facets counts the products matching f (sort, limit and cursor
	// ignored), up to f.EffectiveCap() of them: when more match, it counts
	// over the first ones found and sets Capped. In a category listing
	// without words or variant filters (price, stock, options), each
	// category's count is its own, up to the cap.
	Facets(ctx context.Context, f Filter) (Facets, error)
	// Cards returns cards for the ids that exist and are active, in no
	// particular order.
	Cards(ctx context.Context, ids []int64) ([]Card, error)
	// VariantProducts returns the ids of the products the variants belong
	// to (in any status), each once, in no particular order; unknown
	// variants are left out.
	VariantProducts(ctx context.Context, variantIDs []int64) ([]int64, error)
	// ProductBySlug returns the active product with its variants or
	// ENOTFOUND.
	ProductBySlug(ctx context.Context, slug string) (*Product, error)
	// SlugRedirect returns the current slug of the active product that used
	// to have slug, or ENOTFOUND.
	SlugRedirect(ctx context.Context, slug string) (string, error)
	// CreateCategory inserts c and sets c.ID and c.Version. ECONFLICT if the
	// slug is taken.
	CreateCategory(ctx context.Context, c *Category, a Actor) error
	// UpdateCategory writes c's name, slug, parent and position if its
	// version is still version (0: whatever it is), and sets c.Version.
	// ENOTFOUND, ESTALE, ECONFLICT (slug taken).
	UpdateCategory(ctx context.Context, c *Category, version int64, a Actor) error
	// DeleteCategory removes an empty category. ECONFLICT when products or
	// other categories are in it; ESTALE, ENOTFOUND.
	DeleteCategory(ctx context.Context, id, version int64, a Actor) error
	// CreateProduct inserts p with its variants, their stock as ledger rows,
	// and sets the ids and p.Version. ECONFLICT naming the field if the slug
	// or a SKU is taken.
	CreateProduct(ctx context.Context, p *Product, a Actor) error
	// ProductByID returns a product in any status with its variants, or
	// ENOTFOUND.
	ProductByID(ctx context.Context, id int64) (*Product, error)
	// SaveProduct replaces product p.ID's fields and variants with p's if its
	// version is still version (0: whatever it is): variants with an id are
	// updated, without one inserted, missing ones deleted; a stock change is
	// a ledger row (unless KeepStock); an old slug is kept for redirects. It
	// sets p.Version and the new ids. ENOTFOUND, ESTALE, ECONFLICT naming the
	// field, EINVALID for a variant id of another product.
	SaveProduct(ctx context.Context, p *Product, version int64, a Actor) error
	// DeleteProduct removes a draft. EUNPROCESSABLE for any other status;
	// ESTALE, ENOTFOUND.
	DeleteProduct(ctx context.Context, id, version int64, a Actor) error
	// AdminProducts lists products of any status, newest first.
	AdminProducts(ctx context.Context, f AdminFilter) ([]AdminRow, error)
	// AuditLog returns catalog changes, newest first.
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// UpdateProduct changes the product's descriptive fields. ENOTFOUND if
	// it does not exist, ECONFLICT if the new slug is taken.
	UpdateProduct(ctx context.Context, id int64, u ProductUpdate) error
	// SetPrices sets variant prices of product id (variant id → amount)
	// and its price range, in one transaction. ENOTFOUND for an unknown
	// product or a variant of another product, EINVALID when currency is
	// not the product's.
	SetPrices(ctx context.Context, id int64, prices map[int64]int64, currency string) error
	// CountProducts returns how many products exist.
	CountProducts(ctx context.Context) (int, error)
	// BulkProducts returns up to limit products of any status after the id
	// after, in id order, with their variants and pictures.
	BulkProducts(ctx context.Context, after int64, limit int) ([]BulkProduct, error)
	// PicturesWithoutAlt counts product id's pictures that have no alt
	// text (a product is not published until it is 0).
	PicturesWithoutAlt(ctx context.Context, id int64) (int, error)
	// ImagesByURL finds which of urls (/media/ paths) are pictures of the
	// shop: the result maps each one found to its picture (hash, the
	// address of its largest rendition). Others are left out.
	ImagesByURL(ctx context.Context, urls []string) (map[string]BulkImage, error)
	// ImportProducts writes an import in one transaction: the new
	// categories, then each product (created, or saved when its version is
	// still the item's: ESTALE otherwise), every stock level that changes
	// as a ledger row with b.Reason, the pictures linked and their alt
	// text, the search index and the audit log. Any error: nothing is
	// written (ECONFLICT for a slug or SKU taken meanwhile).
	ImportProducts(ctx context.Context, b *ImportBatch, a Actor) error
}

// ProductUpdate holds the fields to change; nil means leave as is.
type ProductUpdate struct {
	Name        *string
	Description *string
	Slug        *string
}

// Validate checks a product before it is written.
func (p *Product) Validate() error {
	var fe []ocean.FieldError
	if !validSlug(p.Slug) {
		fe = append(fe, ocean.FieldError{Field: "slug", Message: "must be 1-80 lowercase letters, digits and dashes"})
	}
	if p.Name == "" || len(p.Name) > 200 {
		fe = append(fe, ocean.FieldError{Field: "name", Message: "must be 1-200 characters"})
	}
	if len(p.Variants) == 0 {
		fe = append(fe, ocean.FieldError{Field: "variants", Message: "a product needs at least one variant"})
	}
	values := map[string]map[string]bool{}
	for i, o := range p.Options {
		if !validOptionName(o.Name) || values[o.Name] != nil {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("options[%d].name", i), Message: "must be a unique name of 1-20 lowercase letters"})
			continue
		}
		values[o.Name] = map[string]bool{}
		for _, val := range o.Values {
			values[o.Name][val] = true
		}
	}
	combos := map[string]bool{}
	for i, v := range p.Variants {
		if v.Price.Currency != p.Variants[0].Price.Currency {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].price", i), Message: "must be in the same currency as the other variants"})
		}
		for name, val := range v.Options {
			if !values[name][val] {
				fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].options.%s", i, safeField(name)), Message: "must be one of the product's option values"})
			}
		}
		combo := make([]string, 0, len(p.Options))
		for _, o := range p.Options {
			combo = append(combo, v.Options[o.Name])
		}
		if k := strings.Join(combo, "\x00"); combos[k] {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].options", i), Message: "another variant has the same options"})
		} else {
			combos[k] = true
		}
		if v.SKU == "" || len(v.SKU) > 64 {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].sku", i), Message: "must be 1-64 characters"})
		}
		if v.Price.Amount < 0 || v.Price.Amount > MaxPrice || len(v.Price.Currency) != 3 {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].price", i), Message: "must be an amount from 0 to 1000000000 minor units with a 3-letter currency"})
		}
		if v.Stock < 0 {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].stock", i), Message: "cannot be negative"})
		}
	}
	fe = append(fe, p.validateAdmin()...)
	if len(fe) > 0 {
		return ocean.Invalid("The product is not valid.", fe...)
	}
	return nil
}

func validSlug(s string) bool {
	if len(s) == 0 || len(s) > 80 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Shorten collapses white space and cuts text to at most n bytes at a word
// boundary (never inside a UTF-8 sequence), adding "…" when it cut.
func Shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut <= 0 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return strings.TrimRight(s[:cut], ",.;: ") + "…"
}
