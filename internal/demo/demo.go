// Package demo fills an empty catalog with a believable demo shop: a small
// category tree and a few hundred products with options, variants, prices in
// rand and stock, generated deterministically so every first start looks the
// same.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
)

// Currency is the currency of every demo price.
const Currency = "ZAR"

// baseDate anchors CreatedAt: products are spread over the spreadDays
// before it, the same on every run.
var baseDate = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

const spreadDays = 120

// CategorySpec is a demo category; Parent is the parent's slug, "" for a
// root. Parents come before their children.
type CategorySpec struct {
	Slug        string
	Name        string
	Description string
	Parent      string
}

// Item is a demo product and the slug of the (leaf) category it belongs in.
// Product.CategoryID is left zero: Seed sets it once the category exists.
type Item struct {
	Category string
	Product  *catalog.Product
}

// Catalog generates the demo shop. It is pure and deterministic: every call
// returns equal, freshly allocated values, products ordered oldest first.
func Catalog() ([]CategorySpec, []Item) {
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // a fixed seed on purpose: the demo shop is the same on every run
	var cats []CategorySpec
	type gen struct {
		item   Item
		prefix string // SKU prefix, e.g. "CLO-TSH"
	}
	var gens []gen
	names := map[string]bool{}
	for _, r := range shop {
		cats = append(cats, CategorySpec{Slug: r.slug, Name: r.name, Description: r.desc})
		for li := range r.leaves {
			l := &r.leaves[li]
			cats = append(cats, CategorySpec{Slug: l.slug, Name: l.name, Description: l.desc, Parent: r.slug})
			for _, c := range pick(rng, l, names) {
				gens = append(gens, gen{Item{Category: l.slug, Product: build(rng, l, c)}, r.code + "-" + l.code})
			}
		}
	}
	// Number products in the order they were "added", so ids and SKU
	// numbers grow with CreatedAt as they would in a real shop.
	sort.SliceStable(gens, func(i, j int) bool {
		return gens[i].item.Product.CreatedAt.Before(gens[j].item.Product.CreatedAt)
	})
	// About 5% of products are sold out; of the rest about 6% of variants.
	for _, i := range rng.Perm(len(gens))[:len(gens)/20] {
		for j := range gens[i].item.Product.Variants {
			gens[i].item.Product.Variants[j].Stock = 0
		}
	}
	items := make([]Item, len(gens))
	slugs := map[string]bool{}
	for i, g := range gens {
		p := g.item.Product
		p.Slug = uniqueSlug(slugify(p.Name), slugs)
		for j := range p.Variants {
			v := &p.Variants[j]
			sku := fmt.Sprintf("%s-%04d", g.prefix, i+1)
			for _, o := range p.Options {
				sku += "-" + code(v.Options[o.Name])
			}
			v.SKU = sku
		}
		items[i] = g.item
	}
	return cats, items
}

// Seed fills an empty catalog with the demo shop. It does nothing and
// returns (0, nil) if products already exist. Categories that already exist
// (by slug) are reused. It returns how many products it created. Products
// are written one by one, so after a failure part of the shop may exist and
// a later Seed, seeing products, does nothing.
func Seed(ctx context.Context, svc *catalog.Service) (int, error) {
	n, err := svc.CountProducts(ctx)
	if err != nil {
		return 0, fmt.Errorf("demo: count products: %w", err)
	}
	if n > 0 {
		return 0, nil
	}
	tree, err := svc.Categories(ctx)
	if err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	cats, items := Catalog()
	ids := map[string]int64{}
	pos := map[string]int{}
	for _, cs := range cats {
		if c, ok := tree.BySlug(cs.Slug); ok {
			ids[cs.Slug] = c.ID
			continue
		}
		c := &catalog.Category{Slug: cs.Slug, Name: cs.Name, Description: cs.Description,
			ParentID: ids[cs.Parent], Position: pos[cs.Parent]}
		pos[cs.Parent]++
		if err := svc.CreateCategory(ctx, c); err != nil {
			return 0, fmt.Errorf("demo: category %s: %w", cs.Slug, err)
		}
		ids[cs.Slug] = c.ID
	}
	for i, it := range items {
		it.Product.CategoryID = ids[it.Category]
		if err := svc.CreateProduct(ctx, it.Product); err != nil {
			return i, fmt.Errorf("demo: product %s: %w", it.Product.Slug, err)
		}
	}
	return len(items), nil
}

type combo struct {
	g      *group
	m      mat
	noun   string
	mi, ni int // positions of m and noun in the group, cheapest first
}

func (c combo) name() string { return capFirst(c.m.name + " " + c.noun) }

// pick chooses l.n material × noun combinations, taking from the leaf's
// groups in turn so each kind of product is represented, and skipping names
// already used anywhere in the shop.
func pick(rng *rand.Rand, l *leaf, names map[string]bool) []combo {
	pools := make([][]combo, len(l.groups))
	for gi := range l.groups {
		g := &l.groups[gi]
		for mi, m := range g.mats {
			for ni, n := range g.nouns {
				pools[gi] = append(pools[gi], combo{g, m, n, mi, ni})
			}
		}
		rng.Shuffle(len(pools[gi]), func(i, j int) { pools[gi][i], pools[gi][j] = pools[gi][j], pools[gi][i] })
	}
	var out []combo
	for len(out) < l.n {
		progressed := false
		for gi := range pools {
			for len(out) < l.n && len(pools[gi]) > 0 {
				c := pools[gi][0]
				pools[gi] = pools[gi][1:]
				if names[c.name()] {
					continue
				}
				names[c.name()] = true
				out = append(out, c)
				progressed = true
				break
			}
		}
		if !progressed {
			panic("demo: not enough word combinations for " + l.slug)
		}
	}
	return out
}

func build(rng *rand.Rand, l *leaf, c combo) *catalog.Product {
	g := c.g
	uses, fors := g.uses, g.fors
	if uses == nil {
		uses = l.uses
	}
	if fors == nil {
		fors = l.fors
	}
	p := &catalog.Product{
		Name:        c.name(),
		Description: describe(rng, c.noun, oneOf(rng, l.styles), c.m, uses, fors),
	}
	kind := optSizeColour
	if len(g.opts) > 0 {
		kind = g.opts[rng.IntN(len(g.opts))]
	}
	var sizes []string
	var sizeStep int64 // added per size step
	switch kind {
	case optSizeColour:
		sizes = slices.Clone(l.sizes[rng.IntN(len(l.sizes))])
		p.Options = []catalog.Option{{Name: "size", Values: sizes}, {Name: "colour", Values: colours(rng, l)}}
	case optSize:
		sizes = slices.Clone(g.sizes)
		sizeStep = g.step
		p.Options = []catalog.Option{{Name: "size", Values: sizes}}
	case optColour:
		p.Options = []catalog.Option{{Name: "colour", Values: colours(rng, l)}}
	}
	// Dearer materials and nouns sit higher in the group's price range.
	lm, ln := float64(len(g.mats)), float64(len(g.nouns))
	pos := (float64(c.mi)/lm + float64(c.ni)/ln + rng.Float64()*(1/lm+1/ln)) / 2
	base := price(rng, g.lo+int(pos*float64(g.hi-g.lo)))
	xl := int64(0) // some clothing charges more for XL
	if kind == optSizeColour && rng.IntN(3) == 0 {
		xl = 5000
	}

	// Every combination of option values, first option outermost.
	combos := []map[string]string{{}}
	for _, o := range p.Options {
		var next []map[string]string
		for _, prev := range combos {
			for _, v := range o.Values {
				m := make(map[string]string, len(prev)+1)
				for k, x := range prev {
					m[k] = x
				}
				m[o.Name] = v
				next = append(next, m)
			}
		}
		combos = next
	}
	for i, opts := range combos {
		amount := base
		if s, ok := opts["size"]; ok {
			amount += sizeStep * int64(index(sizes, s))
			if s == "XL" {
				amount += xl
			}
		}
		stock := 0
		if rng.IntN(100) >= 6 {
			stock = 1 + rng.IntN(40)
		}
		p.Variants = append(p.Variants, catalog.Variant{
			Options:  opts,
			Price:    ocean.Money{Amount: amount, Currency: Currency},
			Stock:    stock,
			Position: i,
		})
	}
	if !p.InStock() { // sold-out products are chosen in Catalog
		p.Variants[rng.IntN(len(p.Variants))].Stock = 1 + rng.IntN(40)
	}
	secs := rng.Int64N(spreadDays * 24 * 60 * 60)
	p.CreatedAt = baseDate.Add(-time.Duration(secs) * time.Second)
	return p
}

// describe writes two or three sentences: what it is and what it is made of,
// what it is for, and how to look after it.
func describe(rng *rand.Rand, noun, style string, m mat, uses, fors []string) string {
	pl := plural(noun)
	a, this, is := "a ", "this", "is"
	if pl {
		a, this, is = "", "these", "are"
	} else if strings.ContainsRune("aeiou", rune(style[0])) {
		a = "an "
	}
	f := oneOf(rng, fors)
	var first string
	withUse := false
	switch rng.IntN(4) {
	case 0:
		first = a + style + " " + noun + " in " + m.text + "."
	case 1:
		first = this + " " + style + " " + noun + " " + is + " made from " + m.text + "."
	case 2:
		first = a + style + " " + noun + " in " + m.text + ", made for " + f + "."
		withUse = true
	default:
		first = "made from " + m.text + ", " + this + " " + noun + " " + is + " built for " + f + "."
		withUse = true
	}
	parts := []string{capFirst(first)}
	if !withUse || rng.IntN(2) == 0 {
		parts = append(parts, oneOf(rng, uses))
	}
	parts = append(parts, m.care)
	return strings.Join(parts, " ")
}

// price rounds r rand up to a shop-like price in cents: R89.00, R299.00,
// R449.95, R1,299.00.
func price(rng *rand.Rand, r int) int64 {
	step := 10
	switch {
	case r >= 1000:
		step = 100
	case r >= 200:
		step = 50
	}
	p := int64((r + step - 1) / step * step)
	if rng.IntN(3) == 0 {
		return p*100 - 5
	}
	return (p - 1) * 100
}

// colours picks 2 to l.maxColours colours, in palette order.
func colours(rng *rand.Rand, l *leaf) []string {
	n := 2
	switch r := rng.IntN(10); {
	case r >= 9 && l.maxColours >= 4:
		n = 4
	case r >= 5 && l.maxColours >= 3:
		n = 3
	}
	idx := rng.Perm(len(l.colours))[:n]
	sort.Ints(idx)
	out := make([]string, n)
	for i, j := range idx {
		out[i] = l.colours[j]
	}
	return out
}

func code(v string) string {
	if c, ok := codes[v]; ok {
		return c
	}
	return strings.ToUpper(strings.ReplaceAll(v, " ", ""))
}

func plural(noun string) bool {
	return strings.HasSuffix(noun, "s") && !strings.HasSuffix(noun, "ss")
}

func index(vals []string, v string) int {
	for i, x := range vals {
		if x == v {
			return i
		}
	}
	return 0
}

func oneOf(rng *rand.Rand, s []string) string { return s[rng.IntN(len(s))] }

func capFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// slugify lowercases and joins the words of a name with dashes; apostrophes
// vanish ("Chef's knife" → "chefs-knife").
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case r == '\'' || r == '’':
		default:
			dash = true
		}
	}
	return b.String()
}

func uniqueSlug(s string, taken map[string]bool) string {
	out := s
	for i := 2; taken[out]; i++ {
		out = fmt.Sprintf("%s-%d", s, i)
	}
	taken[out] = true
	return out
}
