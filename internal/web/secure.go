package web

import (
	"net"
	"net/http"
	"strings"

	"github.com/oceanshop/ocean/internal/ocean"
)

// localHost reports whether host (with or without a port) is this machine,
// where browsers treat plain HTTP as a secure context.
func localHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// secureOnly guards the account and admin pages. Reached over plain HTTP
// on a host other than this machine they are sent to the shop's public
// origin (Config.PublicURL): their cookies are Secure (__Host-), so a
// browser would drop them and sign-in would silently fail — and passwords
// must not cross a network in clear text anyway.
func (w *Web) secureOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.TLS != nil || w.publicURL == "" || localHost(r.Host) {
			next.ServeHTTP(rw, r)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(rw, r, w.publicURL+r.URL.RequestURI(), http.StatusFound) //nolint:gosec // to the configured public URL; only the path comes from the request
			return
		}
		// A POST over plain HTTP has already sent its fields in clear text;
		// do not act on it. The form page itself redirects, so only a
		// hand-made request gets here.
		w.ErrorPage(rw, r, &ocean.Error{Code: ocean.EFORBIDDEN, Message: "Account pages only work over HTTPS: please use " + w.publicURL + r.URL.Path + "."})
	})
}
