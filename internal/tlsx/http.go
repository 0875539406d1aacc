package tlsx

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/ratelimit"
)

// HSTS is the Strict-Transport-Security value: two years, subdomains
// included, and with preload the flag the browsers' preload list requires.
func HSTS(preload bool) string {
	v := "max-age=63072000; includeSubDomains"
	if preload {
		v += "; preload"
	}
	return v
}

// Local reports whether host (with or without a port) is this machine
// (localhost, *.localhost, a loopback address), where browsers treat plain
// HTTP as a secure context and HSTS must not be sent: it is host-wide, and
// would upgrade the development plain-HTTP listener too.
func Local(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Forwarded believes X-Forwarded-Proto from trusted proxies only (the peers
// OCEAN_TRUSTED_PROXIES lists, as for X-Forwarded-For). A request that such a
// proxy received over HTTPS is marked as secure (its TLS field is set, with
// no details: the handshake was the proxy's), so it gets HSTS, Secure
// cookies work and account pages do not redirect it to HTTPS forever. The
// nearest proxy's word counts: the last entry of the header. From anyone
// else the header is removed, so nothing after this can be fooled by it.
func Forwarded(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Forwarded-Proto") == "" || r.TLS != nil {
				next.ServeHTTP(w, r)
				return
			}
			if !ratelimit.FromTrustedProxy(r, trusted) {
				r = r.Clone(r.Context())
				r.Header.Del("X-Forwarded-Proto")
				next.ServeHTTP(w, r)
				return
			}
			if forwardedProto(r) == "https" {
				r = r.WithContext(r.Context())
				r.TLS = &tls.ConnectionState{}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// forwardedProto is the last entry of the X-Forwarded-Proto field lines.
func forwardedProto(r *http.Request) string {
	vs := r.Header.Values("X-Forwarded-Proto")
	last := vs[len(vs)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.ToLower(strings.TrimSpace(last))
}

// StrictTransport sends HSTS on every response to a secure request (over
// TLS, or forwarded as such by a trusted proxy, see Forwarded) for a host
// that is not this machine (see Local).
func StrictTransport(preload bool) func(http.Handler) http.Handler {
	v := HSTS(preload)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS != nil && !Local(r.Host) {
				w.Header().Set("Strict-Transport-Security", v)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// healthPaths are the probes a load balancer sends over plain HTTP.
func healthPath(p string) bool { return p == "/healthz" || p == "/readyz" }

// PlainHTTP is the plain-HTTP listener's handler when the shop has a real
// certificate (OCEAN_TLS=acme or files): /healthz and /readyz go to app (load
// balancers probe over HTTP), requests that a trusted proxy received over
// HTTPS go to app (see Forwarded, which must run before), ACME HTTP-01
// challenges go to challenge (nil when there are none), and everything else
// — pages, the API, /metrics — is answered 308 to the same path and query on
// publicURL (an https:// origin), without being read. 308 keeps the method
// and body, so a client that follows it repeats its request over HTTPS.
func PlainHTTP(publicURL string, app http.Handler, challenge func(http.Handler) http.Handler) http.Handler {
	origin := strings.TrimSuffix(publicURL, "/")
	var redirect http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", origin+r.URL.RequestURI())
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusPermanentRedirect)
	})
	if challenge != nil {
		redirect = challenge(redirect)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil || healthPath(r.URL.Path) {
			app.ServeHTTP(w, r)
			return
		}
		redirect.ServeHTTP(w, r)
	})
}

// guarded reports whether a path carries credentials a network must not see
// in clear text: the whole API (tokens, passwords at register and login,
// admin) and the metrics (a bearer token).
func guarded(p string) bool {
	return p == "/api" || strings.HasPrefix(p, "/api/") || p == "/metrics" || strings.HasPrefix(p, "/metrics/")
}

// ProblemHTTPSRequired is the problem type of an API request refused over
// plain HTTP.
const ProblemHTTPSRequired = "/problems/https-required"

// RequireTLS guards the development plain-HTTP listener (OCEAN_TLS=local):
// requests to the API or /metrics that reach it under a host other than
// this machine are not served, so neither passwords nor tokens are accepted
// over a network in clear text. GET and HEAD are redirected (308) to the
// same path on publicURL; other methods, whose bodies have already crossed
// the network, get a 403 problem naming the HTTPS address. Requests for
// localhost and loopback, and those a trusted proxy received over HTTPS
// (see Forwarded), are served as before.
func RequireTLS(publicURL string) func(http.Handler) http.Handler {
	origin := strings.TrimSuffix(publicURL, "/")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS != nil || Local(r.Host) || !guarded(r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.Header.Get("Authorization") == "" {
				w.Header().Set("Location", origin+r.URL.RequestURI())
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusPermanentRedirect)
				return
			}
			p := httpx.NewProblem(r, &ocean.Error{Code: ocean.EFORBIDDEN,
				Message: "This endpoint is only served over HTTPS: send the request to " + origin + r.URL.Path + " (credentials sent over plain HTTP are not accepted)."})
			p.Type = ProblemHTTPSRequired
			httpx.WriteProblemDoc(w, p)
		})
	}
}
