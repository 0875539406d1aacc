package cli

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/ratelimit"
	"github.com/oceanshop/ocean/internal/ratelimit/local"
	rlredis "github.com/oceanshop/ocean/internal/ratelimit/redis"
	"github.com/oceanshop/ocean/internal/redis"
)

// limitPolicies are the configured quotas of every class, all off with
// OCEAN_RATE_LIMITS=off.
func limitPolicies(cfg config.Config) []ratelimit.Policy {
	ps := ratelimit.Defaults()
	for i, p := range ps {
		if q, ok := cfg.RateLimits[p.Name]; ok {
			ps[i].Limit, ps[i].Window = q.Limit, q.Window
		}
		if cfg.RateLimitsOff {
			ps[i].Limit, ps[i].Window = 0, 0
		}
	}
	return ps
}

// newLimiter keeps the counts in Redis when the shop has one (so a fleet
// shares each client's budget), else in process.
func (a *App) newLimiter(cfg config.Config) (ratelimit.Limiter, error) {
	ps := limitPolicies(cfg)
	if a.Redis != nil {
		return rlredis.New(a.Redis, ps, rlredis.Options{Prefix: "ocean:rl:" + redis.ShopID(cfg.DatabaseURL, cfg.DataDir) + ":", Timeout: 2 * time.Second})
	}
	return local.New(ps, local.Options{})
}

// limitClasses says which rate-limit classes a request counts against: every
// /api request against "api", and sign-in and registration (which says
// whether an email is taken), password reset and checkout (form or API)
// against their own stricter class as well. CSP reports count as API
// requests.
func limitClasses(r *http.Request) []string {
	p := r.URL.Path
	var out []string
	if r.Method == http.MethodPost {
		switch {
		case p == "/api/v1/auth/login" || p == "/account/signin" || p == "/api/v1/auth/register" || p == "/account/register":
			out = append(out, ratelimit.SignIn)
		case p == "/api/v1/auth/password-reset" || p == "/account/forgot":
			out = append(out, ratelimit.Reset)
		case p == "/checkout/place" || (strings.HasPrefix(p, "/api/v1/carts/") && strings.HasSuffix(p, "/checkout")):
			out = append(out, ratelimit.Checkout)
		}
	}
	// CSP reports share the API's budget: a browser sends a few, a flood
	// of them is refused before it is parsed or logged.
	if strings.HasPrefix(p, "/api/") || p == httpx.CSPReportPath {
		out = append(out, ratelimit.API)
	}
	return out
}

// limit is the rate-limit middleware: a refused request gets 429 with
// Retry-After and the RateLimit headers (a problem for the API, the error
// page for people); a class that fails closed answers 503 while Redis is
// unreachable.
func limit(l ratelimit.Limiter, page httpx.ErrorPage, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			classes := limitClasses(r)
			if len(classes) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			key := ratelimit.IPKey(httpx.ClientAddr(r))
			for _, class := range classes {
				d, err := l.Allow(r.Context(), class, key)
				if d.Policy.Off() && err == nil {
					continue
				}
				ratelimit.SetHeaders(w.Header(), d)
				if d.Allowed {
					if err != nil {
						log.Warn("rate limiter unavailable; request let through", "class", class, "err", err)
					}
					continue
				}
				if err != nil || d.RetryAfter <= 0 {
					httpx.Fail(w, r, page, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "This service is briefly unavailable. Please try again in a few seconds.", Err: errors.Join(err, ratelimit.ErrUnavailable)})
					return
				}
				msg := "Too many requests from your address. Please wait a moment and try again."
				httpx.Fail(w, r, page, &ocean.Error{Code: ocean.ERATELIMITED, Message: msg})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
