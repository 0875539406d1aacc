package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/web/picture"
)

// lowStock is the level at and below which the page says "Only N left".
const lowStock = 5

type productData struct {
	layout
	Crumbs     []crumb
	Product    *catalog.Product
	PriceLo    ocean.Money
	PriceHi    ocean.Money
	Paragraphs []string
	Options    []optionGroup
	Selected   *variantView // nil when the chosen combination does not exist
	Note       string       // why nothing is selected
	Variants   []variantView
	InStock    bool
	// Buy is whether the page has the add-to-cart form (the shop has a
	// cart); Form is that form's state after a refused add.
	Buy  bool
	Form formState
	// Images are the product's uploaded photos, in order; none: the
	// drawing.
	Images []media.Image
}

type optionGroup struct {
	Name, Label string
	Choices     []optionChoice
}

type optionChoice struct {
	Value, ID string
	Checked   bool
	SoldOut   bool   // no variant with this value can be bought
	Swatch    string // hex colour for colour options
}

// variantView is one variant as the page and its script show it. The
// script reads these from the embedded JSON, so the words and prices it
// shows are the server's.
type variantView struct {
	ID      int64             `json:"id"`
	SKU     string            `json:"sku"`
	Options map[string]string `json:"options"`
	Price   string            `json:"price"`
	Stock   string            `json:"stock"`
	Level   string            `json:"level"` // in, low, out
}

func stockStatus(available int) (label, level string) {
	switch {
	case available <= 0:
		return "Out of stock", "out"
	case available <= lowStock:
		return "Only " + strconv.Itoa(available) + " left", "low"
	default:
		return "In stock", "in"
	}
}

func viewVariant(v catalog.Variant) variantView {
	label, level := stockStatus(v.Available())
	opts := v.Options
	if opts == nil {
		opts = map[string]string{}
	}
	return variantView{ID: v.ID, SKU: v.SKU, Options: opts, Price: v.Price.String(), Stock: label, Level: level}
}

func (w *Web) product(rw http.ResponseWriter, r *http.Request) {
	p, err := w.svc.Product(r.Context(), r.PathValue("slug"))
	var moved *catalog.Moved
	if errors.As(err, &moved) {
		// The product's slug changed: old links and bookmarks follow.
		to := "/p/" + moved.Slug
		if r.URL.RawQuery != "" {
			to += "?" + r.URL.RawQuery
		}
		http.Redirect(rw, r, to, http.StatusMovedPermanently) //nolint:gosec // a path on this site: "/p/" and a slug from the database

		return
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.productPage(rw, r, p, r.URL.Query(), http.StatusOK, newForm("quantity", "1"))
}

// productPage shows a product with the options in query chosen. A refused
// add to cart shows it again with what was chosen and why (form).
func (w *Web) productPage(rw http.ResponseWriter, r *http.Request, p *catalog.Product, query url.Values, status int, form formState) {
	ctx := r.Context()
	tree, err := w.svc.Categories(ctx)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if e := form.Errors["quantity"]; e != "" {
		form.Errors["quantity"] = fieldSentence("Quantity", e)
	}
	if w.refusedPost(r, status) {
		// Back to the product with the same choice (options are not
		// personal: they may go in the address).
		to := url.Values{}
		for _, o := range p.Options {
			if s := query.Get(o.Name); s != "" {
				to.Set(o.Name, s)
			}
		}
		addr := "/p/" + url.PathEscape(p.Slug)
		if len(to) > 0 {
			addr += "?" + to.Encode()
		}
		if w.redirectRefused(rw, r, "product", addr, map[string]formState{"Form": form}, nil) {
			return
		}
	}
	d := productData{Form: form}
	l := w.layout(r, p.Name, tree)
	flashed := false
	if w.commerceOn() {
		// The add-to-cart form carries a CSRF token: the page is this
		// browser's own.
		l.CSRF = csrfToken(rw, r)
		rw.Header().Set("Cache-Control", "private, no-cache")
		flashed = w.restore(rw, r, "product", &d) // a refused add: never stored
	}
	// The common request is answered from the page cache (pagecache.go).
	cacheable := !flashed && cacheablePage(r, status, d.Form)
	var key pageKey
	deps := w.depsFor(ctx, tree, &l)
	deps.product = p
	if cacheable {
		key = keyFor("product", p.Slug, &l)
		deps.photos = w.photos(ctx, p.ID)
		if w.media != nil && deps.photos == nil {
			cacheable = false // the photos could not be read: not a page to keep
		} else if w.kept(rw, r, key, &deps, l.CSRF) {
			return
		}
	}
	d.layout, d.Product, d.InStock = l, p, p.InStock()
	if deps.photos != nil {
		d.Images = deps.photos.Value
	} else {
		d.Images = w.productPictures(r, p.ID)
	}
	d.PriceLo, d.PriceHi = p.PriceRange()
	d.Buy = w.commerceOn()
	if p.Description != "" {
		d.Desc = catalog.Shorten(p.Description, 160)
	}
	for _, para := range strings.Split(strings.ReplaceAll(p.Description, "\r\n", "\n"), "\n\n") {
		if para = strings.TrimSpace(para); para != "" {
			d.Paragraphs = append(d.Paragraphs, para)
		}
	}
	if c, ok := tree.ByID(p.CategoryID); ok {
		for _, c := range tree.Path(c) {
			d.Crumbs = append(d.Crumbs, crumb{Name: c.Name, URL: "/c/" + c.Slug})
		}
	}
	d.Crumbs = append(d.Crumbs, crumb{Name: p.Name})
	for _, v := range p.Variants {
		d.Variants = append(d.Variants, viewVariant(v))
	}

	// The chosen options: what the query asks for, completed from the best
	// matching variant (one in stock first). Nothing asked: the first
	// variant in stock.
	chosen := map[string]string{}
	for _, o := range p.Options {
		if s := query.Get(o.Name); s != "" {
			chosen[o.Name] = s
		}
	}
	var sel *catalog.Variant
	for i := range p.Variants {
		v := &p.Variants[i]
		if !matches(v, chosen) {
			continue
		}
		if sel == nil || sel.Available() == 0 && v.Available() > 0 {
			sel = v
		}
	}
	if sel != nil {
		for _, o := range p.Options {
			if val, ok := sel.Options[o.Name]; ok {
				chosen[o.Name] = val
			}
		}
		vv := viewVariant(*sel)
		d.Selected = &vv
	}
	// The note is always in the page: the script shows it when a shopper
	// picks a combination that does not exist.
	labels := make([]string, len(p.Options))
	for i, o := range p.Options {
		labels[i] = strings.ToLower(optionLabel(o.Name))
	}
	d.Note = "This product is not available right now."
	if len(labels) > 0 {
		d.Note = "We don’t have that combination. Please choose another " + strings.Join(labels, " or ") + "."
	}

	for i, o := range p.Options {
		g := optionGroup{Name: o.Name, Label: optionLabel(o.Name)}
		for j, val := range o.Values {
			c := optionChoice{Value: val, ID: "opt-" + strconv.Itoa(i) + "-" + strconv.Itoa(j), Checked: chosen[o.Name] == val, SoldOut: true}
			for _, v := range p.Variants {
				if v.Options[o.Name] == val && v.Available() > 0 {
					c.SoldOut = false
					break
				}
			}
			if isColour(o.Name) {
				c.Swatch = swatchColour(val)
			}
			g.Choices = append(g.Choices, c)
		}
		d.Options = append(d.Options, g)
	}
	if !cacheable {
		w.render(rw, r, status, "product", d)
		return
	}
	w.renderKept(rw, r, key, &deps, &d.layout, &d)
}

func matches(v *catalog.Variant, chosen map[string]string) bool {
	for name, val := range chosen {
		if v.Options[name] != val {
			return false
		}
	}
	return true
}

// swatchColour is the hex colour of a known colour name for the "swatch"
// partial (an SVG fill, not a style attribute, so the CSP needs no
// 'unsafe-inline'), or "" for an unknown colour.
func swatchColour(colour string) string {
	hex, ok := picture.Hex(colour)
	if !ok || !validHex(hex) {
		return ""
	}
	return hex
}

func validHex(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
