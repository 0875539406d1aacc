package httpx

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oceanshop/ocean/internal/ocean"
)

// CORS for the JSON API. The API takes bearer tokens, never cookies, so
// it never allows credentials; and it never answers with a wildcard: only
// the origins listed (OCEAN_CORS_ORIGINS) may call it from a browser.
const (
	corsMethods       = "GET, POST, PATCH, DELETE"
	corsHeaders       = "Authorization, Content-Type, Idempotency-Key"
	corsExposeHeaders = "Location, Retry-After, RateLimit, RateLimit-Policy, X-Request-Id"
	corsMaxAge        = "600"
)

// varyOriginValue is the Vary of every API response, made once; Add
// appends to it by copying (its capacity is its length).
var varyOriginValue = []string{"Origin"}

// ParseOrigins reads a comma- or space-separated list of origins
// ("https://app.example.com, http://localhost:3000"), each a scheme and
// host with an optional port and nothing else. A wildcard is refused: the
// list must name who may call.
func ParseOrigins(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if strings.Contains(f, "*") {
			return nil, errors.New("a wildcard is not allowed: list each origin, like https://app.example.com")
		}
		u, err := url.Parse(f)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, errors.New("origin " + f + " must be a scheme and host like https://app.example.com")
		}
		o := strings.ToLower(u.Scheme + "://" + u.Host)
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// CORS answers cross-origin requests to /api/ for the allowed origins
// (from ParseOrigins): simple and actual requests get
// Access-Control-Allow-Origin with that origin (never "*", never
// credentials) and the headers a client may read; a preflight (OPTIONS
// with Access-Control-Request-Method) from an allowed origin is answered
// 204 with the methods and headers the API takes, from any other origin
// with a 403 problem. Other paths, and requests without Origin, pass
// untouched.
func CORS(origins []string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if !strings.HasPrefix(r.URL.Path, "/api/") {
				next.ServeHTTP(w, r)
				return
			}
			h := w.Header()
			if _, ok := h["Vary"]; ok {
				h.Add("Vary", "Origin")
			} else {
				h["Vary"] = varyOriginValue // as Add would, without a new slice per request
			}
			preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
			allowed := origin != "" && slices.Contains(origins, strings.ToLower(origin))
			if preflight {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				if !allowed {
					WriteProblem(w, r, ocean.Errorf(ocean.EFORBIDDEN, "Cross-origin calls from %s are not allowed; the shop's owner lists allowed origins in OCEAN_CORS_ORIGINS.", clip(origin)))
					return
				}
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Methods", corsMethods)
				h.Set("Access-Control-Allow-Headers", corsHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if allowed {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
			next.ServeHTTP(w, r)
		})
	}
}
