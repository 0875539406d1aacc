package errtrack

import (
	"net/http"
	"net/url"
	"strings"
)

// Unrouted names a request the mux would not route.
const Unrouted = "unrouted"

// Route returns the function CaptureFailures names requests with: the
// ServeMux pattern that serves them ("GET /p/{slug}"), never the raw path.
func Route(mux *http.ServeMux) func(*http.Request) string {
	return func(r *http.Request) string {
		if _, p := mux.Handler(r); p != "" {
			return p
		}
		return Unrouted
	}
}

// PageTemplate returns the function that names the page at a path by its
// route template ("/p/{slug}"), "other" for the catch-all or anything the
// mux does not route: the set of names is the route table's, whatever
// paths browsers report.
func PageTemplate(mux *http.ServeMux) func(path string) string {
	return func(path string) string {
		if !strings.HasPrefix(path, "/") || len(path) > 2048 {
			return "other"
		}
		_, p := mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}, Host: "localhost"})
		if p == "" || p == "/" {
			return "other"
		}
		return strings.TrimPrefix(p, "GET ")
	}
}
