package catalog

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Product statuses. Only active products reach the storefront, the public
// API, search and the MCP server; drafts and archived products are seen in
// the admin alone.
const (
	StatusDraft    = "draft"
	StatusActive   = "active"
	StatusArchived = "archived"
)

// ValidStatus reports whether s is a product status.
func ValidStatus(s string) bool {
	return s == StatusDraft || s == StatusActive || s == StatusArchived
}

// Actor is who makes a catalog change, as the audit log records it: the
// staff account's id and a name a person recognises (name or email).
type Actor struct {
	ID   int64
	Name string
}

// System is the actor of changes no person made (the demo seed, a
// migration tool).
var System = Actor{Name: "system"}

// Audit entities and actions.
const (
	EntityProduct  = "product"
	EntityVariant  = "variant"
	EntityCategory = "category"

	ActionCreate  = "create"
	ActionUpdate  = "update"
	ActionDelete  = "delete"
	ActionArchive = "archive"
	ActionRestore = "restore"
)

// AuditEntry is one change in the catalog's audit log: who, when, what, and
// the entity before and after (JSON snapshots; "" for none).
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	ActorID  int64     `json:"actor_id,omitempty"`
	Actor    string    `json:"actor"`
	Entity   string    `json:"entity"`
	EntityID int64     `json:"entity_id"`
	Action   string    `json:"action"`
	Version  int64     `json:"version"` // the entity's version after the change
	Before   string    `json:"before,omitempty"`
	After    string    `json:"after,omitempty"`
}

// Changed lists the top-level fields whose values differ between Before
// and After, sorted: what a person reads as "changed the name and price".
func (e AuditEntry) Changed() []string {
	var before, after map[string]json.RawMessage
	_ = json.Unmarshal([]byte(e.Before), &before)
	_ = json.Unmarshal([]byte(e.After), &after)
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]json.RawMessage{before, after} {
		for k := range m {
			if seen[k] || k == "version" || k == "updated_at" {
				continue
			}
			seen[k] = true
			if string(before[k]) != string(after[k]) {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// AuditFilter selects audit entries: all of them, or one entity's; newest
// first, before the id Before (0: from the newest).
type AuditFilter struct {
	Entity   string
	EntityID int64
	Before   int64
	Limit    int
}

// AdminFilter is the admin's product list: any status or one, matching
// free text, in id order after After.
type AdminFilter struct {
	Status string   // "" for every status
	Terms  []string // words that must all match name, slug or a SKU (prefix)
	After  int64    // keyset: ids strictly less than this (newest first); 0 from the start
	Limit  int      // the store returns up to Limit+1 rows
}

// AdminRow is a product as the admin's list shows it.
type AdminRow struct {
	ID         int64
	Slug       string
	Name       string
	Status     string
	Version    int64
	CategoryID int64
	PriceMin   ocean.Money
	PriceMax   ocean.Money
	Variants   int
	Stock      int
	UpdatedAt  time.Time
}

// Moved is the error Service.Product returns for a slug a product used to
// have: the doors answer 301 to Slug. It unwraps to ENOTFOUND, so a caller
// that does not know redirects still sees "not found".
type Moved struct{ Slug string }

func (m *Moved) Error() string { return "catalog: product moved to " + m.Slug }

// Unwrap makes a Moved a not-found to callers that do not follow it.
func (m *Moved) Unwrap() error { return errNoProduct() }

// Slugify makes a slug from a name: lowercase ASCII letters and digits,
// everything else one dash, at most 80 bytes, never empty ("product").
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(foldAccents(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 80 {
		// Cut at a word boundary when there is one in the second half.
		if i := strings.LastIndexByte(s[:81], '-'); i > 40 {
			s = s[:i]
		} else {
			s = s[:80]
		}
	}
	if s == "" {
		return "product"
	}
	return s
}

var accents = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae", 'ç': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i",
	'ñ': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ù': "u",
	'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'ÿ': "y", 'ß': "ss", '&': " and ",
}

func foldAccents(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if a, ok := accents[r]; ok {
			b.WriteString(a)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sizeAliases maps the spellings of a size people use to the one the shop
// shows, so that "Small" and "S" are one value in a facet.
var sizeAliases = map[string]string{
	"extra small": "XS", "x-small": "XS", "xsmall": "XS", "xs": "XS",
	"small": "S", "s": "S", "sm": "S",
	"medium": "M", "m": "M", "med": "M",
	"large": "L", "l": "L", "lg": "L",
	"extra large": "XL", "x-large": "XL", "xlarge": "XL", "xl": "XL",
	"xxl": "XXL", "2xl": "XXL", "xx-large": "XXL",
	"xxs": "XXS", "xxxl": "XXXL", "3xl": "XXXL",
}

// optionNameAliases folds the usual spellings of option names.
var optionNameAliases = map[string]string{"color": "colour", "sizes": "size", "colours": "colour", "colors": "colour"}

// NormalizeOptionName is an option's name as stored: trimmed, lowercase,
// with common spellings folded ("Color" → "colour").
func NormalizeOptionName(name string) string {
	n := strings.ToLower(strings.Join(strings.Fields(name), " "))
	if a, ok := optionNameAliases[n]; ok {
		return a
	}
	return n
}

// NormalizeOptionValue is an option value as stored: white space collapsed,
// the first letter upper case, and sizes in one spelling ("Small" → "S"), so
// that facets group what is the same.
func NormalizeOptionValue(name, value string) string {
	v := strings.Join(strings.Fields(value), " ")
	if name == "size" {
		if a, ok := sizeAliases[strings.ToLower(v)]; ok {
			return a
		}
	}
	if r, n := utf8.DecodeRuneInString(v); n > 0 && unicode.IsLower(r) {
		v = string(unicode.ToUpper(r)) + v[n:]
	}
	return v
}

// Normalize puts a product's free-form input in its stored form: trimmed
// name, a slug made from the name when none is given, the status defaulted
// to draft, option names and values normalised (in the options and in
// every variant), SKUs and barcodes trimmed. Validate runs after it.
func (p *Product) Normalize() {
	p.Name = strings.Join(strings.Fields(p.Name), " ")
	p.Slug = strings.TrimSpace(p.Slug)
	if p.Slug == "" {
		p.Slug = Slugify(p.Name)
	}
	if p.Status == "" {
		p.Status = StatusDraft
	}
	p.Description = strings.TrimSpace(strings.ReplaceAll(p.Description, "\r\n", "\n"))
	p.Brand = strings.Join(strings.Fields(p.Brand), " ")
	for i := range p.Options {
		o := &p.Options[i]
		o.Name = NormalizeOptionName(o.Name)
		seen := map[string]bool{}
		vals := o.Values[:0:0]
		for _, v := range o.Values {
			v = NormalizeOptionValue(o.Name, v)
			if v == "" || seen[v] {
				continue // a blank row in a form, or "S" and "Small" both given
			}
			seen[v] = true
			vals = append(vals, v)
		}
		o.Values = vals
	}
	for i := range p.Variants {
		v := &p.Variants[i]
		v.SKU = strings.TrimSpace(v.SKU)
		v.Barcode = strings.TrimSpace(v.Barcode)
		if len(v.Options) > 0 {
			opts := make(map[string]string, len(v.Options))
			for k, val := range v.Options {
				k = NormalizeOptionName(k)
				opts[k] = NormalizeOptionValue(k, val)
			}
			v.Options = opts
		}
		v.Position = i
		if v.CompareAt.Currency == "" && v.CompareAt.Amount != 0 {
			v.CompareAt.Currency = v.Price.Currency
		}
	}
}

// validateAdmin adds the checks of the merchant's write model to Validate's:
// status, description size, variant weight, barcode, compare-at price, every
// variant naming a value for every option.
func (p *Product) validateAdmin() []ocean.FieldError {
	var fe []ocean.FieldError
	if p.Status != "" && !ValidStatus(p.Status) { // "" is the store's default, active
		fe = append(fe, ocean.FieldError{Field: "status", Message: "must be draft, active or archived"})
	}
	if len(p.Description) > MaxDescription || !utf8.ValidString(p.Description) {
		fe = append(fe, ocean.FieldError{Field: "description", Message: fmt.Sprintf("must be valid text of at most %d bytes", MaxDescription)})
	}
	if len(p.Brand) > 100 || !printable(p.Brand) {
		fe = append(fe, ocean.FieldError{Field: "brand", Message: "must be at most 100 printable characters"})
	}
	if len(p.Options) > 3 {
		fe = append(fe, ocean.FieldError{Field: "options", Message: "a product has at most 3 options"})
	}
	if len(p.Variants) > MaxVariants {
		fe = append(fe, ocean.FieldError{Field: "variants", Message: fmt.Sprintf("a product has at most %d variants", MaxVariants)})
	}
	for i, o := range p.Options {
		if len(o.Values) == 0 {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("options[%d].values", i), Message: "an option needs at least one value"})
		}
		for j, v := range o.Values {
			if len(v) > 40 {
				fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("options[%d].values[%d]", i, j), Message: "must be at most 40 characters"})
			}
		}
	}
	for i, v := range p.Variants {
		for _, o := range p.Options {
			if v.Options[o.Name] == "" {
				fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].options.%s", i, safeField(o.Name)), Message: "choose a value for every option of the product"})
			}
		}
		if v.CompareAt.Amount < 0 || v.CompareAt.Amount > MaxPrice {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].compare_at_price", i), Message: "must be an amount from 0 to 1000000000 minor units"})
		} else if v.CompareAt.Amount != 0 && v.CompareAt.Currency != v.Price.Currency {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].compare_at_price", i), Message: "must be in the variant's currency"})
		}
		if v.Weight < 0 || v.Weight > MaxWeight {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].weight", i), Message: "must be from 0 to 1000000 grams"})
		}
		if v.Stock > MaxStock {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].stock", i), Message: "must be at most 1000000"})
		}
		if len(v.Barcode) > 64 || !printable(v.Barcode) {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].barcode", i), Message: "must be at most 64 printable characters"})
		}
		if !printable(v.SKU) {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("variants[%d].sku", i), Message: "must be printable characters without spaces at the ends"})
		}
	}
	return fe
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// Limits of the write model.
const (
	MaxDescription = 20000
	MaxVariants    = 100
	MaxWeight      = 1_000_000 // grams
	MaxStock       = 1_000_000
)

// ValidateCategory checks a category's own fields (the tree's rules, such
// as an existing parent and no loops, are the Service's).
func (c *Category) ValidateCategory() error {
	var fe []ocean.FieldError
	if c.Name == "" || len(c.Name) > 100 || !printable(c.Name) {
		fe = append(fe, ocean.FieldError{Field: "name", Message: "must be 1-100 characters"})
	}
	if !validSlug(c.Slug) {
		fe = append(fe, ocean.FieldError{Field: "slug", Message: "must be 1-80 lowercase letters, digits and dashes"})
	}
	if c.Position < 0 || c.Position > 10000 {
		fe = append(fe, ocean.FieldError{Field: "position", Message: "must be from 0 to 10000"})
	}
	if len(fe) > 0 {
		return ocean.Invalid("The category is not valid.", fe...)
	}
	return nil
}

// Snapshot is the JSON the audit log keeps of a product (its fields and
// variants) or a category.
func Snapshot(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// ProductSnapshot is a product as the audit log records it.
type ProductSnapshot struct {
	Name        string            `json:"name"`
	Slug        string            `json:"slug"`
	Status      string            `json:"status"`
	CategoryID  int64             `json:"category_id"`
	Description string            `json:"description"`
	Brand       string            `json:"brand,omitempty"`
	Options     []Option          `json:"options"`
	Variants    []VariantSnapshot `json:"variants"`
	Version     int64             `json:"version"`
}

// VariantSnapshot is a variant as the audit log records it.
type VariantSnapshot struct {
	ID        int64             `json:"id"`
	SKU       string            `json:"sku"`
	Options   map[string]string `json:"options"`
	Price     int64             `json:"price"`
	CompareAt int64             `json:"compare_at_price"`
	Weight    int               `json:"weight"`
	Barcode   string            `json:"barcode"`
	Stock     int               `json:"stock"`
}

// SnapshotOf returns p as the audit log records it.
func SnapshotOf(p *Product) ProductSnapshot {
	s := ProductSnapshot{Name: p.Name, Slug: p.Slug, Status: p.Status, CategoryID: p.CategoryID,
		Description: p.Description, Brand: p.Brand, Options: p.Options, Version: p.Version}
	for _, v := range p.Variants {
		s.Variants = append(s.Variants, VariantOf(v))
	}
	return s
}

// VariantOf returns v as the audit log records it.
func VariantOf(v Variant) VariantSnapshot {
	return VariantSnapshot{ID: v.ID, SKU: v.SKU, Options: v.Options, Price: v.Price.Amount,
		CompareAt: v.CompareAt.Amount, Weight: v.Weight, Barcode: v.Barcode, Stock: v.Stock}
}

// CategorySnapshot is a category as the audit log records it.
type CategorySnapshot struct {
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ParentID int64  `json:"parent_id"`
	Position int    `json:"position"`
	Version  int64  `json:"version"`
}
