package ratelimit

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Header field names (draft-ietf-httpapi-ratelimit-headers-11).
const (
	HeaderPolicy     = "RateLimit-Policy"
	HeaderRateLimit  = "RateLimit"
	HeaderRetryAfter = "Retry-After"
)

// SetHeaders writes the rate limit header fields for d, following
// draft-ietf-httpapi-ratelimit-headers-11 (Structured Field lists of items
// named by the policy):
//
//	RateLimit-Policy: "api";q=100;w=60
//	RateLimit: "api";r=42;t=18
//
// and, when d refuses the request, Retry-After in whole seconds (rounded up,
// at least 1, never earlier than the end of the effective window t, as the
// draft asks). Nothing is written for a policy that is off. The fields are
// added, not set, so several policies applying to one request each appear.
func SetHeaders(h http.Header, d Decision) {
	p := d.Policy
	if p.Off() || p.Name == "" {
		return
	}
	name := strconv.Quote(p.Name) // class names are plain ASCII: a valid sf-string
	h.Add(HeaderPolicy, name+";q="+strconv.Itoa(p.Limit)+";w="+strconv.FormatInt(int64(p.Window/time.Second), 10))
	t := Seconds(d.Reset)
	if !d.Allowed {
		t = max(t, Seconds(d.RetryAfter))
	}
	h.Add(HeaderRateLimit, name+";r="+strconv.Itoa(max(d.Remaining, 0))+";t="+strconv.FormatInt(t, 10))
	if !d.Allowed {
		h.Set(HeaderRetryAfter, strconv.FormatInt(max(Seconds(d.RetryAfter), 1), 10))
	}
}

// Seconds rounds d up to whole seconds, so a client that waits that long is
// never early; negative durations count as 0.
func Seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// Hooks let the caller of Middleware write refusals and log errors.
type Hooks struct {
	// Deny writes the response to a refused request; the rate limit
	// headers (and Retry-After) are already set. err is nil when the
	// client is over its quota (answer 429 Too Many Requests) and
	// non-nil when a fail-closed class could not be checked (answer 503
	// Service Unavailable). The shop writes an ocean.ERATELIMITED or
	// ocean.EUNAVAILABLE problem with httpx.WriteProblem. Nil: WriteDenied.
	Deny func(w http.ResponseWriter, r *http.Request, d Decision, err error)

	// Error is told about a limiter error on a request that was let
	// through anyway (a fail-open class). Nil: logged with slog.Default.
	Error func(r *http.Request, err error)
}

// Middleware limits requests of one class by the key that key returns
// (usually KeyByIP). A request for which key returns "" is not limited; the
// caller uses that for requests it exempts. Every limited response carries
// the RateLimit-Policy and RateLimit fields; refused ones get Retry-After
// and whatever hooks.Deny writes, and do not reach next.
func Middleware(l Limiter, class string, key func(*http.Request) string, hooks Hooks) func(http.Handler) http.Handler {
	deny := hooks.Deny
	if deny == nil {
		deny = WriteDenied
	}
	logErr := hooks.Error
	if logErr == nil {
		logErr = func(r *http.Request, err error) {
			slog.Default().WarnContext(r.Context(), "rate limiter error; request let through", "class", class, "err", err)
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			k := key(r)
			if k == "" {
				next.ServeHTTP(w, r)
				return
			}
			d, err := l.Allow(r.Context(), class, k)
			SetHeaders(w.Header(), d)
			if !d.Allowed {
				if err == nil && d.RetryAfter <= 0 {
					// Not a quota refusal without a wait: treat
					// as a limiter failure rather than send 429
					// with no advice.
					err = ErrUnavailable
				}
				deny(w, r, d, err)
				return
			}
			if err != nil {
				logErr(r, err)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// WriteDenied is the default Deny hook: a plain-text 429, or 503 when the
// limiter failed (err != nil). Real handlers write a problem document.
func WriteDenied(w http.ResponseWriter, r *http.Request, d Decision, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		if errors.Is(err, ErrUnknownClass) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("Internal server error.\n"))
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("Service temporarily unavailable; please retry shortly.\n"))
		return
	}
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte("Too many requests; retry in " + strconv.FormatInt(max(Seconds(d.RetryAfter), 1), 10) + " seconds.\n"))
}
