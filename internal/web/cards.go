package web

import (
	"bytes"
	"html/template"
	"sync"
	"sync/atomic"

	"github.com/oceanshop/ocean/internal/catalog"
)

// maxCachedCards bounds the rendered-card cache; when it fills up it is
// emptied and refills with what is being shown now.
const maxCachedCards = 20000

// cardCache keeps the HTML of product cards keyed by the whole card value:
// a changed product is a different key, so an entry is never stale.
type cardCache struct {
	m sync.Map // catalog.Card → template.HTML
	n atomic.Int64
}

// cardHTML is the template helper "card": the product card's HTML, rendered
// once per distinct card.
func (w *Web) cardHTML(c catalog.Card) (template.HTML, error) {
	if v, ok := w.cards.m.Load(c); ok {
		return v.(template.HTML), nil
	}
	var buf bytes.Buffer
	if err := w.cardTmpl.Execute(&buf, c); err != nil {
		return "", err
	}
	h := template.HTML(buf.String()) //nolint:gosec // the output of html/template, already escaped
	if w.cards.n.Add(1) > maxCachedCards {
		w.cards.m.Clear()
		w.cards.n.Store(1)
	}
	w.cards.m.Store(c, h)
	return h, nil
}
