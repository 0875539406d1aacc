package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	"github.com/oceanshop/ocean/internal/catalog"
)

// The storefront's offline layer (docs/storefront-offline.md): a small,
// hand-written service worker at /sw.js precaches the shell (the static
// assets and the /offline page), keeps recently viewed home, category and
// product pages stale-while-revalidate, and queues an add to cart made
// while offline for app.js to replay. It never stores a page the server has
// not marked with OfflineHeader.

//go:embed worker/sw.js
var workerSource []byte

// OfflineHeader marks a response the service worker may keep for offline
// use: a public page (home, category, product) for a visitor who is not
// signed in, that sets no cookie but the visit marker and the double-submit
// CSRF token (neither names a person or a session). Anything without it is
// never stored.
const OfflineHeader = "Ocean-Offline"

// offlinePath is the page the worker shows when a page is neither reachable
// nor kept; it is precached with the shell.
const offlinePath = "/offline"

// worker is the service worker script, built once in New: the source with
// this build's version and the shell's URLs written in.
type worker struct {
	body    []byte
	etag    string
	version string
}

// buildWorker writes the version and the shell list into the worker. The
// version is a hash of everything a cached copy depends on: the worker
// itself, every static asset, every template and the release, so a deploy
// that changes any of them installs a new worker, whose activation deletes
// the caches of the old one (their pages point at assets that are gone).
func buildWorker(a *assets, release string) (*worker, error) {
	h := sha256.New()
	h.Write(workerSource)
	fmt.Fprintf(h, "\x00release=%s\x00", release)
	names := make([]string, 0, len(a.urls))
	for name := range a.urls {
		names = append(names, name)
	}
	slices.Sort(names)
	shell := make([]string, 0, len(names)+1)
	for _, name := range names {
		u := a.urls[name]
		shell = append(shell, u)
		fmt.Fprintf(h, "%s\x00", u)
	}
	shell = append(shell, offlinePath)
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: hash templates for the service worker: %w", err)
	}
	version := hex.EncodeToString(h.Sum(nil))[:12]
	list, err := json.Marshal(shell)
	if err != nil {
		return nil, err
	}
	body := bytes.Replace(workerSource, []byte(`"__VERSION__"`), []byte(`"`+version+`"`), 1)
	body = bytes.Replace(body, []byte(`["__SHELL__"]`), list, 1)
	if bytes.Contains(body, []byte("__VERSION__")) || bytes.Contains(body, []byte("__SHELL__")) {
		return nil, fmt.Errorf("web: the service worker's placeholders were not filled")
	}
	return &worker{body: body, etag: `"sw-` + version + `"`, version: version}, nil
}

// serviceWorker serves /sw.js. Browsers check it for updates on every
// navigation (at most daily when cached), so it is revalidated every time:
// a deploy reaches the next page view. It is served from the root, so its
// scope is the whole shop; Service-Worker-Allowed says so explicitly.
func (w *Web) serviceWorker(rw http.ResponseWriter, r *http.Request) {
	h := rw.Header()
	h.Set("Cache-Control", "no-cache, max-age=0")
	h.Set("Service-Worker-Allowed", "/")
	serveBytes(rw, r, "text/javascript; charset=utf-8", w.worker.etag, w.worker.body)
}

// workerOn says whether pages answering r offer the service worker: not
// over HTTPS with the local development CA, which browsers do not trust
// for workers (see Config.LocalCA).
func (w *Web) workerOn(r *http.Request) bool {
	return r.TLS == nil || !w.localCA
}

// offlineData is the offline page: the static part only. What was viewed
// recently, what waits to be added and the cart as last seen are filled in
// by app.js from this browser's own storage.
type offlineData struct {
	layout
}

// offline renders the page the worker precaches. It is the same for
// everyone: no account, no CSRF token, no cart (the cart count is filled
// in from the last cart seen).
func (w *Web) offline(rw http.ResponseWriter, r *http.Request) {
	var tree *catalog.Tree
	if w.svc != nil {
		tree, _ = w.svc.Categories(r.Context())
	}
	l := layout{Ctx: r.Context(), Title: "You’re offline", Desc: "Ocean works offline with the pages you have viewed.", Worker: w.workerOn(r)}
	if tree != nil {
		l.Nav = tree.Roots
	}
	l.Commerce = w.commerceOn()
	rw.Header().Set("Cache-Control", "no-cache")
	w.render(rw, r, http.StatusOK, "offline", offlineData{layout: l})
}

// offlineOK marks the responses of h that the service worker may keep
// (see OfflineHeader): status 200, no session cookie in the request, no
// "no-store", and no cookie set but the visit marker and the CSRF token.
func (w *Web) offlineOK(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie(sessionCookie); err == nil {
			h.ServeHTTP(rw, r)
			return
		}
		h.ServeHTTP(&offlineMarker{ResponseWriter: rw}, r)
	})
}

type offlineMarker struct {
	http.ResponseWriter
	wrote bool
}

func (m *offlineMarker) WriteHeader(code int) {
	if !m.wrote {
		m.wrote = true
		if h := m.Header(); code == http.StatusOK && keepable(h) {
			h.Set(OfflineHeader, "cache")
		}
	}
	m.ResponseWriter.WriteHeader(code)
}

func (m *offlineMarker) Write(b []byte) (int, error) {
	if !m.wrote {
		m.WriteHeader(http.StatusOK)
	}
	return m.ResponseWriter.Write(b)
}

func (m *offlineMarker) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// keepable says whether response headers h allow an offline copy.
func keepable(h http.Header) bool {
	if strings.Contains(strings.ToLower(h.Get("Cache-Control")), "no-store") {
		return false
	}
	for _, c := range h.Values("Set-Cookie") {
		name, _, _ := strings.Cut(c, "=")
		if name != visitCookie && name != csrfCookie {
			return false
		}
	}
	return true
}
