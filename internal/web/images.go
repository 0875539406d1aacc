package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/web/picture"
)

// maxCachedImages bounds the drawn-picture cache (a picture is ~3 KB).
const maxCachedImages = 4096

// imageCache keeps drawn pictures by what the drawing depends on
// (category, name, colour), so an entry never goes stale. The ETag is a
// hash of the bytes, so a new drawing in a new build gets a new ETag.
type imageCache struct {
	m sync.Map // kind NUL name NUL colour → *drawn
	n atomic.Int64
}

type drawn struct {
	body []byte
	etag string
}

func (c *imageCache) get(key string, draw func() []byte) *drawn {
	if v, ok := c.m.Load(key); ok {
		return v.(*drawn)
	}
	body := draw()
	sum := sha256.Sum256(body)
	d := &drawn{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if c.n.Load() < maxCachedImages {
		if v, loaded := c.m.LoadOrStore(key, d); loaded {
			return v.(*drawn)
		}
		c.n.Add(1)
	}
	return d
}

// productImage draws the product picture at /images/products/{slug}.svg.
func (w *Web) productImage(rw http.ResponseWriter, r *http.Request) {
	slug, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	if !ok {
		http.NotFound(rw, r)
		return
	}
	ctx := r.Context()
	p, err := w.svc.Product(ctx, slug)
	if err != nil {
		if isCode(err, ocean.ENOTFOUND) {
			http.NotFound(rw, r)
			return
		}
		httpx.LogError(r, err)
		http.Error(rw, "The picture could not be drawn.", httpx.Status(ocean.ErrorCode(err)))
		return
	}
	kind := ""
	if tree, err := w.svc.Categories(ctx); err == nil {
		if c, ok := tree.ByID(p.CategoryID); ok {
			kind = c.Slug
		}
	}
	colour := productColour(p)
	d := w.images.get(kind+"\x00"+p.Name+"\x00"+colour, func() []byte { return picture.SVG(kind, p.Name, colour) })
	rw.Header().Set("Cache-Control", "public, max-age=86400")
	serveBytes(rw, r, "image/svg+xml", d.etag, d.body)
}

// productColour is the colour of the product's first variant, if any.
func productColour(p *catalog.Product) string {
	if len(p.Variants) == 0 {
		return ""
	}
	o := p.Variants[0].Options
	if c := o["colour"]; c != "" {
		return c
	}
	return o["color"]
}
