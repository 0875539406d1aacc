package web

import (
	"bytes"
	"html/template"
	"sync"
	"sync/atomic"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/media"
)

// maxCachedCards bounds the rendered-card cache; when it fills up it is
// emptied and refills with what is being shown now.
const maxCachedCards = 20000

// cardCache keeps the HTML of product cards keyed by the whole card value:
// a changed product is a different key, so an entry is never stale.
type cardCache struct {
	m sync.Map // cardKey → template.HTML
	n atomic.Int64
}

// cardKey is a card as drawn: the card and its photo (the photo's key
// changes with its content, so an entry is still never stale).
type cardKey struct {
	catalog.Card
	photo string
}

// cardView is the data of the "card" template.
type cardView struct {
	catalog.Card
	Cover *media.Image // nil: the drawing
}

// cardHTML is the template helper "card": the product card's HTML, rendered
// once per distinct card.
func (w *Web) cardHTML(c catalog.Card) (template.HTML, error) {
	v := cardView{Card: c}
	img, photo, ok := w.coverKey(c.ID)
	if ok {
		v.Cover = &img
	}
	key := cardKey{Card: c, photo: photo}
	if h, ok := w.cards.m.Load(key); ok {
		return h.(template.HTML), nil
	}
	var buf bytes.Buffer
	if err := w.cardTmpl.Execute(&buf, v); err != nil {
		return "", err
	}
	h := template.HTML(buf.String()) //nolint:gosec // the output of html/template, already escaped
	if w.cards.n.Add(1) > maxCachedCards {
		w.cards.m.Clear()
		w.cards.n.Store(1)
	}
	w.cards.m.Store(key, h)
	return h, nil
}
