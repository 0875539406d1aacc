package web

import (
	"net/http"

	"github.com/oceanshop/ocean/internal/catalog"
)

const (
	newInCount    = 8
	spotlightSize = 4
)

type homeData struct {
	layout
	Categories []*catalog.Category
	NewIn      []catalog.Card
	Spotlight  *catalog.Category
	Featured   []catalog.Card
}

func (w *Web) home(rw http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tree, err := w.svc.Categories(ctx)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	newIn, err := w.svc.List(ctx, catalog.Query{Sort: catalog.SortNewest, Limit: newInCount})
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := homeData{Categories: tree.Roots, NewIn: newIn.Items}
	d.layout = w.layout(r, "Calm, well-made things", tree)
	deps := w.depsFor(ctx, tree, &d.layout)

	// A second row from a top-level category: its newest products that
	// "New in" does not already show. At most three categories are tried.
	shown := make(map[int64]bool, len(newIn.Items))
	for _, c := range newIn.Items {
		shown[c.ID] = true
	}
	for i, c := range tree.Roots {
		if i == 3 {
			break
		}
		p, err := w.svc.List(ctx, catalog.Query{Category: c.Slug, Sort: catalog.SortNewest, Limit: newInCount + spotlightSize})
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		var fresh []catalog.Card
		for _, it := range p.Items {
			if !shown[it.ID] && len(fresh) < spotlightSize {
				fresh = append(fresh, it)
			}
		}
		if len(fresh) > 0 {
			d.Spotlight, d.Featured = c, fresh
			break
		}
	}
	// Rendered once per kind of header and kept while the catalog hands
	// out the same rows (pagecache.go): most of a loaded server's CPU
	// was executing this template on every visit.
	w.cardDeps(&deps, d.NewIn, d.Featured)
	if d.Spotlight != nil {
		deps.more = d.Spotlight.Slug
	}
	key := keyFor("home", "", &d.layout)
	if !w.kept(rw, r, key, &deps, d.CSRF) {
		w.renderKept(rw, r, key, &deps, &d.layout, &d)
	}
}
