package upgrade

import (
	"net/http"
	"time"
)

// ReleaseHandler wraps the shop's handler with what releases need: while
// draining() is true, every response carries Connection: close, so
// keep-alive clients (a proxy, a browser) move to the new process after
// their current request instead of racing the final close of an idle
// connection. brokenAfter (a duration, "" for never) makes a deliberately
// broken build for the release drills: such a binary starts and reports
// ready like a good one, then after the duration answers /readyz with 503
// and every other request with 500 — what a release with a fatal bug looks
// like to the proxy, so the drills can show the rollback trigger fire.
func ReleaseHandler(h http.Handler, draining func() bool, brokenAfter string) http.Handler {
	var brokenAt time.Time
	if d, err := time.ParseDuration(brokenAfter); err == nil && brokenAfter != "" {
		brokenAt = time.Now().Add(d)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining() {
			w.Header().Set("Connection", "close")
		}
		if !brokenAt.IsZero() && time.Now().After(brokenAt) {
			w.Header().Set("Content-Type", "application/problem+json")
			if r.URL.Path == "/readyz" {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"broken build"}`))
				return
			}
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"broken build"}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}
