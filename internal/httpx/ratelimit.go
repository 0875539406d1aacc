package httpx

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/ratelimit"
)

// RateLimit is the rate-limit middleware. A request counts against the
// classes its route declared (ratelimit.Limited, read from the handler mux
// would choose), keyed by the client's address (ClientAddr). A refused request gets 429
// with Retry-After and the RateLimit headers (a problem for the API, the
// error page for people); a class that fails closed answers 503 while its
// store is unreachable.
func RateLimit(mux *http.ServeMux, l ratelimit.Limiter, page ErrorPage, log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, h, _ := Route(mux, r) // the metrics looked it up already
			classes := ratelimit.ClassesOf(h)
			if len(classes) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			key := ratelimit.IPKey(ClientAddr(r))
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
					Fail(w, r, page, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "This service is briefly unavailable. Please try again in a few seconds.", Err: errors.Join(err, ratelimit.ErrUnavailable)})
					return
				}
				Fail(w, r, page, &ocean.Error{Code: ocean.ERATELIMITED, Message: "Too many requests from your address. Please wait a moment and try again."})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
