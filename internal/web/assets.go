package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

//go:embed static
var staticFS embed.FS

//go:embed icons/*.svg
var iconFS embed.FS

// asset is one static file, read, hashed and compressed once per process
// (the files are embedded, so every Web of the process shares them).
type asset struct {
	body        []byte
	gz          []byte // gzip of body when that is smaller, else nil
	br          []byte // brotli of body when that is smaller, else nil
	contentType string
	etag        string
	immutable   bool // served under its fingerprinted name
}

// assets maps the URL names under /static/ to files, and logical names
// ("app.css") to their fingerprinted URLs.
type assets struct {
	byPath map[string]*asset
	urls   map[string]string
}

// loadAssets reads and compresses the embedded static files once per
// process, not once per storefront built.
var loadAssets = sync.OnceValues(readAssets)

func readAssets() (*assets, error) {
	a := &assets{byPath: map[string]*asset{}, urls: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		ext := path.Ext(name)
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		plain := &asset{body: body, contentType: ctype, etag: `"` + hash[:16] + `"`}
		if len(body) > 512 {
			plain.gz, plain.br = precompress(body)
		}
		fingerprinted := strings.TrimSuffix(name, ext) + "." + hash[:8] + ext
		fp := *plain
		fp.immutable = true
		a.byPath[name] = plain
		a.byPath[fingerprinted] = &fp
		a.urls[name] = "/static/" + fingerprinted
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: load static assets: %w", err)
	}
	return a, nil
}

// brotliLevel is the brotli quality of static files: 6 compresses the
// stylesheet in about 15 ms to 4% under gzip's best; 11, the best, is 9%
// smaller again but takes over a second at every start (decision 0110).
const brotliLevel = 6

// precompress returns body gzipped (at its best) and brotli-compressed (at
// brotliLevel), each nil where that is not smaller than body.
func precompress(body []byte) (gz, br []byte) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	if buf.Len() < len(body) {
		gz = bytes.Clone(buf.Bytes())
	}
	buf.Reset()
	bw := brotli.NewWriterLevel(&buf, brotliLevel)
	_, _ = bw.Write(body)
	_ = bw.Close()
	if buf.Len() < len(body) {
		br = bytes.Clone(buf.Bytes())
	}
	return gz, br
}

// asset is the template helper: the fingerprinted URL of a static file.
func (w *Web) asset(name string) (string, error) {
	u, ok := w.assets.urls[name]
	if !ok {
		return "", fmt.Errorf("web: no static asset %q", name)
	}
	return u, nil
}

// static serves the embedded assets. Fingerprinted names never change
// content, so browsers and CDNs may keep them for a year; plain names
// revalidate. The body is the precompressed brotli or gzip copy the
// browser accepts (brotli first: it is the smaller), with Vary so a shared
// cache keeps one copy per encoding.
func (w *Web) static(rw http.ResponseWriter, r *http.Request) {
	a, ok := w.assets.byPath[r.PathValue("path")]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	if a.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	body, etag := a.body, a.etag
	if a.gz != nil || a.br != nil {
		h.Set("Vary", "Accept-Encoding")
		switch ae := r.Header.Get("Accept-Encoding"); {
		case a.br != nil && accepts(ae, "br"):
			body, etag = a.br, strings.TrimSuffix(a.etag, `"`)+`-br"`
			h.Set("Content-Encoding", "br")
		case a.gz != nil && accepts(ae, "gzip"):
			body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	serveBytes(rw, r, a.contentType, etag, body)
}

// serveBytes writes body with its type and ETag, answering a matching
// If-None-Match with 304.
func serveBytes(rw http.ResponseWriter, r *http.Request, ctype, etag string, body []byte) {
	h := rw.Header()
	h.Set("ETag", etag)
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		h.Del("Content-Encoding")
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rw.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = rw.Write(body)
	}
}

func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// accepts reports whether an Accept-Encoding header value accepts the
// content coding enc (named, with a q-value above zero if it has one).
func accepts(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		if qv, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			q, err := strconv.ParseFloat(qv, 64)
			return err == nil && q > 0
		}
		return true
	}
	return false
}

var svgOpen = regexp.MustCompile(`^<svg\b[^>]*>`)
var spaces = regexp.MustCompile(`>\s+<`)

// loadIcons reads the vendored Heroicons once and makes each an inline,
// decorative SVG: class="icon", aria-hidden, not focusable.
func loadIcons() (map[string]template.HTML, error) {
	files, err := fs.Glob(iconFS, "icons/*.svg")
	if err != nil {
		return nil, err
	}
	icons := make(map[string]template.HTML, len(files))
	for _, f := range files {
		b, err := iconFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s := strings.TrimSpace(string(b))
		open := svgOpen.FindString(s)
		if open == "" {
			return nil, fmt.Errorf("web: icon %s is not an <svg>", f)
		}
		attrs := strings.TrimSuffix(strings.TrimPrefix(open, "<svg"), ">")
		for _, drop := range []string{` aria-hidden="true"`, ` data-slot="icon"`, ` focusable="false"`} {
			attrs = strings.ReplaceAll(attrs, drop, "")
		}
		s = `<svg class="icon"` + attrs + ` aria-hidden="true" focusable="false">` + s[len(open):]
		s = spaces.ReplaceAllString(s, "><")
		// Icons are our own vendored files, not user input.
		icons[strings.TrimSuffix(path.Base(f), ".svg")] = template.HTML(s) //nolint:gosec // our own vendored SVG files (see above)
	}
	return icons, nil
}

// icon is the template helper that inlines a Heroicon.
func (w *Web) icon(name string) (template.HTML, error) {
	s, ok := w.icons[name]
	if !ok {
		return "", fmt.Errorf("web: no icon %q (add it to internal/web/icons/icons.txt and run scripts/icons.sh)", name)
	}
	return s, nil
}
