package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/media"
)

// The product page, as most requests ask for it (no options chosen in the
// query, no refused form), is the same bytes for everyone who sees the
// same header (signed in or not, admin or not, the cart's unit count)
// except for two per-request values: the CSRF token of the add-to-cart
// button and the CSP nonce of the inline script. Executing the template
// was nearly half of the page's CPU (make bench's profile), so the page is
// rendered once with unguessable marks in place of those two values, kept
// split at the marks, and each request writes the pieces with its own
// values between them (docs/decisions/0155).
//
// An entry is used only while the catalog still hands out the same
// *catalog.Product and *catalog.Tree it was rendered from: the catalog
// cache replaces them (a new pointer) whenever a write invalidates them
// (tagged invalidation: a sale drops the product's entry), so a page is
// never older than the data the rest of the shop shows. The product's
// photos are not catalog data: they are read again after photoTTL (as
// product cards do, docs: media.Service.Cover) or at once after a change
// on this instance, and the page is rendered again only if they changed.

// maxCachedPages bounds the cache (a page is ~15 KB); when it fills up it
// is emptied and refills with what is being viewed now.
const maxCachedPages = 2000

// photoTTL is how long a cached page trusts the photos it was rendered
// with.
const photoTTL = time.Second

type pageKey struct {
	slug     string
	user     uint8 // 0 nobody, 1 signed in, 2 admin (the header's links)
	cart     int   // the header's unit count
	worker   bool
	commerce bool
}

type cachedPage struct {
	product  *catalog.Product
	tree     *catalog.Tree
	photos   []media.Image
	mediaGen uint64
	checked  time.Time // when photos were last read
	// parts are the page split at the marks; holes[i] is what goes
	// between parts[i] and parts[i+1].
	parts [][]byte
	holes []hole
	size  int
}

type hole uint8

const (
	holeCSRF hole = iota
	holeNonce
)

type pageCache struct {
	mu sync.Mutex
	m  map[pageKey]*cachedPage
	// csrfMark and nonceMark stand in for the two values while a page is
	// rendered for the cache: random per process, so no product text can
	// contain them, and letters and digits only, so escaping leaves them
	// as they are.
	csrfMark, nonceMark string
}

func newPageCache() *pageCache {
	return &pageCache{m: map[pageKey]*cachedPage{}, csrfMark: "ocsrf" + randomHex(), nonceMark: "ononce" + randomHex()}
}

func randomHex() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// get returns the entry for k if it was rendered from p and tree and its
// photos are still current (fresh: read no longer than photoTTL ago with
// no change on this instance since, or read again now and found equal).
func (c *pageCache) get(ctx context.Context, k pageKey, p *catalog.Product, tree *catalog.Tree, pics *media.Service) *cachedPage {
	c.mu.Lock()
	e := c.m[k]
	c.mu.Unlock()
	if e == nil || e.product != p || e.tree != tree {
		return nil
	}
	if pics == nil {
		return e
	}
	gen := pics.Generation()
	if gen == e.mediaGen && time.Since(e.checked) <= photoTTL {
		return e
	}
	imgs, err := pics.Images(ctx, p.ID)
	if err != nil || !samePhotos(imgs, e.photos) {
		return nil
	}
	// Unchanged: the entry is good for another photoTTL. A copy, so
	// readers of e never see it change.
	fresh := *e
	fresh.mediaGen, fresh.checked = gen, time.Now()
	c.put(k, &fresh)
	return &fresh
}

func (c *pageCache) put(k pageKey, e *cachedPage) {
	c.mu.Lock()
	if _, ok := c.m[k]; !ok && len(c.m) >= maxCachedPages {
		clear(c.m)
	}
	c.m[k] = e
	c.mu.Unlock()
}

// split cuts a page rendered with the marks into the entry's parts.
func (c *pageCache) split(body []byte, e *cachedPage) {
	csrf, nonce := []byte(c.csrfMark), []byte(c.nonceMark)
	rest := bytes.Clone(body)
	e.size = 0
	for {
		i, j := bytes.Index(rest, csrf), bytes.Index(rest, nonce)
		if i < 0 && j < 0 {
			break
		}
		if i < 0 || j >= 0 && j < i {
			e.parts = append(e.parts, rest[:j])
			e.holes = append(e.holes, holeNonce)
			rest = rest[j+len(nonce):]
		} else {
			e.parts = append(e.parts, rest[:i])
			e.holes = append(e.holes, holeCSRF)
			rest = rest[i+len(csrf):]
		}
	}
	e.parts = append(e.parts, rest)
	for _, p := range e.parts {
		e.size += len(p)
	}
}

// write assembles the page for this request into buf.
func (e *cachedPage) write(buf *bytes.Buffer, csrf, nonce string) {
	buf.Grow(e.size + len(e.holes)*max(len(csrf), len(nonce)))
	for i, p := range e.parts {
		buf.Write(p)
		if i < len(e.holes) {
			if e.holes[i] == holeCSRF {
				buf.WriteString(csrf)
			} else {
				buf.WriteString(nonce)
			}
		}
	}
}

func samePhotos(a, b []media.Image) bool {
	return slices.EqualFunc(a, b, func(x, y media.Image) bool {
		return x.ID == y.ID && x.Position == y.Position && x.Hash == y.Hash && x.Alt == y.Alt &&
			x.Width == y.Width && x.Height == y.Height && x.Fallback == y.Fallback && slices.Equal(x.Widths, y.Widths)
	})
}

// nonceMarkKey carries the nonce mark in the context of a page rendered
// for the cache; the "nonce" template helper writes it instead of the
// request's nonce.
type nonceMarkKey struct{}

func (w *Web) templateNonce(ctx context.Context) string {
	if m, ok := ctx.Value(nonceMarkKey{}).(string); ok {
		return m
	}
	return httpx.Nonce(ctx)
}

// cacheablePage reports whether a product page request is the common one
// the page cache serves: a GET or HEAD with no options chosen and the
// add-to-cart form as it starts (not a refused add shown again).
func cacheablePage(r *http.Request, status int, form formState) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && status == http.StatusOK &&
		r.URL.RawQuery == "" && len(form.Errors) == 0 && form.Message == "" &&
		len(form.Values) <= 1 && form.Values["quantity"] == "1"
}

// attrNonce is the nonce as html/template writes it in an attribute (it
// escapes the '+' of base64), so a page from the cache is byte for byte
// the page rendered for the request.
func attrNonce(nonce string) string {
	return strings.ReplaceAll(nonce, "+", "&#43;")
}
