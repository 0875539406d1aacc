package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/snapshot"
)

// The public pages (home, category, search, product) are the same bytes
// for everyone who sees the same header (signed in or not, admin or not,
// the cart's unit count) except for two per-request values: the CSP nonce
// of the inline script and, on the product page, the CSRF token of the
// add-to-cart button. Executing their templates was most of a loaded
// server's CPU (make loadtest's profile: html/template's reflection), so
// a page is rendered once with unguessable marks in place of those two
// values, kept split at the marks, and each request writes the pieces
// with its own values between them (docs/decisions/0155, 0195).
//
// Nothing about one person is in a kept page: the key is what the header
// shows (pageKey), and pages about one person (cart, checkout, account,
// admin) are never kept.
//
// A page is kept with what it was rendered from (pageDeps) and used only
// while a request's own reads, which the catalog cache answers without
// the database, give the same: the same category tree and product (the
// catalog cache replaces them whenever a write invalidates them: tagged
// invalidation, a sale drops the product's tag), equal cards, facets and
// photos, and the same snapshot of the shop's rules. So a kept page is
// never older than the data the rest of the shop serves.

// maxCachedPages and maxCachedBytes bound the cache (a page is 15–40 KB);
// when it fills up it is emptied and refills with what is being viewed
// now.
const (
	maxCachedPages = 4000
	maxCachedBytes = 64 << 20
)

type pageKey struct {
	page     string // the template: "product", "home", "listing"
	path     string // the product's slug; a listing's path and query
	user     uint8  // 0 nobody, 1 signed in, 2 admin (the header's links)
	cart     int    // the header's unit count
	worker   bool
	commerce bool
}

// keyFor is the key of page at path as the header l shows it.
func keyFor(page, path string, l *layout) pageKey {
	k := pageKey{page: page, path: path, cart: l.CartCount, worker: l.Worker, commerce: l.Commerce}
	if l.User != nil {
		k.user = 1
		if l.User.IsAdmin() {
			k.user = 2
		}
	}
	return k
}

// pageDeps is what a page was rendered from, beyond its key.
type pageDeps struct {
	tree    *catalog.Tree
	product *catalog.Product
	rules   *snapshot.Snapshot[shopRules]
	photos  *snapshot.Snapshot[[]media.Image]
	cards   []catalog.Card
	covers  []string // the cover photo of each card ("" none)
	facets  *catalog.Facets
	more    string // anything else the page shows (a next page's cursor)
}

// depsFor starts the deps of a page with header l: the tree and the
// snapshot of the shop's rules, whose notices l then shows.
func (w *Web) depsFor(ctx context.Context, tree *catalog.Tree, l *layout) pageDeps {
	return depsWith(tree, w.rules(ctx), l)
}

// depsWith is depsFor with the rules snapshot the page already read (a
// listing reads the currency from it first): the page is then kept with
// the very rules it was rendered from.
func depsWith(tree *catalog.Tree, rules *snapshot.Snapshot[shopRules], l *layout) pageDeps {
	if rules != nil {
		l.Notices = rules.Value.Notices
	}
	return pageDeps{tree: tree, rules: rules}
}

func (a *pageDeps) same(b *pageDeps) bool {
	return a.tree == b.tree && a.product == b.product && a.rules == b.rules && a.photos == b.photos &&
		a.more == b.more && slices.Equal(a.cards, b.cards) && slices.Equal(a.covers, b.covers) &&
		sameFacets(a.facets, b.facets)
}

func sameFacets(a, b *catalog.Facets) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Total == b.Total && a.InStock == b.InStock && a.PriceMin == b.PriceMin && a.PriceMax == b.PriceMax &&
		maps.Equal(a.Categories, b.Categories) &&
		maps.EqualFunc(a.Options, b.Options, func(x, y map[string]int) bool { return maps.Equal(x, y) })
}

type cachedPage struct {
	deps pageDeps
	// parts are the page split at the marks; holes[i] is what goes
	// between parts[i] and parts[i+1].
	parts [][]byte
	holes []hole
	size  int
	// digest is the page's hash with the holes left out: its ETag when
	// it has no CSRF hole, and the ETag's base when it has one.
	digest [sha256.Size]byte
	csrf   bool
}

type hole uint8

const (
	holeCSRF hole = iota
	holeNonce
)

type pageCache struct {
	mu    sync.Mutex
	m     map[pageKey]*cachedPage
	bytes int
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

// get returns the entry for k if it was rendered from deps.
func (c *pageCache) get(k pageKey, deps *pageDeps) *cachedPage {
	c.mu.Lock()
	e := c.m[k]
	c.mu.Unlock()
	if e == nil || !e.deps.same(deps) {
		return nil
	}
	return e
}

func (c *pageCache) put(k pageKey, e *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		c.bytes -= old.size
	} else if len(c.m) >= maxCachedPages || c.bytes+e.size > maxCachedBytes {
		clear(c.m)
		c.bytes = 0
	}
	c.m[k] = e
	c.bytes += e.size
}

// split cuts a page rendered with the marks into the entry's parts.
func (c *pageCache) split(body []byte, e *cachedPage) {
	csrf, nonce := []byte(c.csrfMark), []byte(c.nonceMark)
	rest := bytes.Clone(body)
	e.size = 0
	sum := sha256.New()
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
			e.csrf = true
			rest = rest[i+len(csrf):]
		}
	}
	e.parts = append(e.parts, rest)
	for i, p := range e.parts {
		e.size += len(p)
		sum.Write(p)
		if i < len(e.holes) {
			sum.Write([]byte{0, byte(e.holes[i])})
		}
	}
	sum.Sum(e.digest[:0])
}

// etag is the page's weak validator for a request whose CSRF token is
// csrf: it changes with the page, and with the token where the page
// carries one, never with the nonce (the browser's copy keeps its own).
func (e *cachedPage) etag(csrf string) string {
	d := e.digest
	if e.csrf {
		sum := sha256.New()
		sum.Write(d[:])
		sum.Write([]byte(csrf))
		sum.Sum(d[:0])
	}
	return `W/"` + hex.EncodeToString(d[:12]) + `"`
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

// kept answers a public page from the page cache if it holds the page
// for key rendered from deps.
func (w *Web) kept(rw http.ResponseWriter, r *http.Request, key pageKey, deps *pageDeps, csrf string) bool {
	e := w.rendered.get(key, deps)
	if e == nil {
		return false
	}
	w.writeCachedPage(rw, r, e, csrf)
	return true
}

// renderKept renders a public page from data (a pointer to the page's
// data, whose layout is l), keeps it in the page cache under key with
// deps, and writes it.
func (w *Web) renderKept(rw http.ResponseWriter, r *http.Request, key pageKey, deps *pageDeps, l *layout, data any) {
	// Rendered once with the marks in place of the CSRF token and the
	// nonce, kept, and served with this request's values.
	csrf, ctx := l.CSRF, l.Ctx
	l.Ctx = context.WithValue(ctx, nonceMarkKey{}, w.rendered.nonceMark)
	if csrf != "" {
		l.CSRF = w.rendered.csrfMark
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	err := w.pages[key.page].ExecuteTemplate(buf, "layout", data)
	l.CSRF, l.Ctx = csrf, ctx
	if err != nil {
		w.render(rw, r, http.StatusOK, key.page, data) // the error page, as without the cache
		return
	}
	e := &cachedPage{deps: *deps}
	w.rendered.split(buf.Bytes(), e)
	w.rendered.put(key, e)
	w.writeCachedPage(rw, r, e, csrf)
}

// writeCachedPage writes a page from the page cache with this request's
// CSRF token and nonce.
func (w *Web) writeCachedPage(rw http.ResponseWriter, r *http.Request, e *cachedPage, csrf string) {
	if pageHeaders(rw, r, http.StatusOK) && notModified(rw, r, e.etag(csrf)) {
		return
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			bufPool.Put(buf)
		}
	}()
	e.write(buf, csrf, attrNonce(httpx.Nonce(r.Context())))
	writeBody(rw, r, http.StatusOK, buf.Bytes())
}

// coverKey is what a card shows of its product's cover photo ("" the
// drawing): the photo's content, so a changed photo is another key.
func (w *Web) coverKey(id int64) (media.Image, string, bool) {
	if w.media == nil {
		return media.Image{}, "", false
	}
	// From a snapshot refreshed at most once a second, shared by all
	// cards; a template helper has no request context.
	img, ok := w.media.Cover(context.Background(), id)
	if !ok {
		return img, "", false
	}
	return img, img.Hash + "|" + img.Alt + "|" + strconv.Itoa(img.Width), true
}

// cardDeps adds cards and their cover photos to deps.
func (w *Web) cardDeps(deps *pageDeps, cards ...[]catalog.Card) {
	for _, cs := range cards {
		deps.cards = append(deps.cards, cs...)
		for _, c := range cs {
			_, k, _ := w.coverKey(c.ID)
			deps.covers = append(deps.covers, k)
		}
	}
}

// attrNonce is the nonce as html/template writes it in an attribute (it
// escapes the '+' of base64), so a page from the cache is byte for byte
// the page rendered for the request.
func attrNonce(nonce string) string {
	return strings.ReplaceAll(nonce, "+", "&#43;")
}

// photoTTL is how long a product's photos are trusted without a change on
// this instance: another instance's upload shows within it.
const photoTTL = time.Second

// photoCache keeps each product's photos as a snapshot (read again at
// once after a change on this instance, else at most once a second), so
// the product page reads them from the database once a second at most,
// however many visitors and kinds of header it has.
type photoCache struct {
	mu sync.Mutex
	m  map[int64]*snapshot.Cache[[]media.Image]
}

// maxPhotoProducts bounds the photo cache; full, it is emptied.
const maxPhotoProducts = 10000

// photos returns the snapshot of a product's photos, nil without media
// or when they cannot be read.
func (w *Web) photos(ctx context.Context, productID int64) *snapshot.Snapshot[[]media.Image] {
	if w.media == nil {
		return nil
	}
	c := &w.photoCache
	c.mu.Lock()
	sc := c.m[productID]
	if sc == nil {
		if c.m == nil || len(c.m) >= maxPhotoProducts {
			c.m = map[int64]*snapshot.Cache[[]media.Image]{}
		}
		sc = &snapshot.Cache[[]media.Image]{TTL: photoTTL, Gen: w.media.Generation, Equal: samePhotos,
			Read: func(ctx context.Context) ([]media.Image, error) { return w.media.Images(ctx, productID) }}
		c.m[productID] = sc
	}
	c.mu.Unlock()
	s, err := sc.Get(ctx)
	if err != nil {
		w.log.WarnContext(ctx, "product pictures", "product", productID, "err", err)
		return nil
	}
	return s
}

func samePhotos(a, b []media.Image) bool {
	return slices.EqualFunc(a, b, func(x, y media.Image) bool {
		return x.ID == y.ID && x.Position == y.Position && x.Hash == y.Hash && x.Alt == y.Alt &&
			x.Width == y.Width && x.Height == y.Height && x.Fallback == y.Fallback && slices.Equal(x.Widths, y.Widths)
	})
}

// cacheablePage reports whether a product page request is the common one
// the page cache serves: a GET or HEAD with no options chosen and the
// add-to-cart form as it starts (not a refused add shown again).
func cacheablePage(r *http.Request, status int, form formState) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && status == http.StatusOK &&
		r.URL.RawQuery == "" && len(form.Errors) == 0 && form.Message == "" &&
		len(form.Values) <= 1 && form.Values["quantity"] == "1"
}
