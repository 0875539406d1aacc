package upgrade

import (
	"net/http"
	"sync/atomic"
	"time"
)

// ReleaseHandler wraps the shop's handler with what releases need: while
// draining() is true, every response carries Connection: close, so
// keep-alive clients (a proxy, a browser) move to the new process after
// their current request instead of racing the final close of an idle
// connection. brokenAfter (a duration, "" for never) makes a deliberately
// broken build for the release drills: such a binary starts and reports
// ready like a good one, then, that long after its first ready answer,
// answers /readyz with 503 and every other request with 500 — what a
// release with a fatal bug looks like to the proxy, so the drills can show
// the rollback trigger fire. The clock starts at the first ready answer,
// not at start-up, so a slow start (a busy machine) cannot make the build
// broken before anyone saw it ready. "0s" is a build that is never ready.
func ReleaseHandler(h http.Handler, draining func() bool, brokenAfter string) http.Handler {
	d, err := time.ParseDuration(brokenAfter)
	armed := err == nil && brokenAfter != ""
	var readyAt atomic.Int64 // UnixNano of the first ready answer, 0 before it
	broken := func() bool {
		if !armed {
			return false
		}
		if d <= 0 {
			return true
		}
		at := readyAt.Load()
		return at != 0 && time.Since(time.Unix(0, at)) >= d
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining() {
			w.Header().Set("Connection", "close")
		}
		if broken() {
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
		if armed && r.URL.Path == "/readyz" && readyAt.Load() == 0 {
			sw := &statusWriter{ResponseWriter: w}
			h.ServeHTTP(sw, r)
			if sw.status == 0 || sw.status == http.StatusOK {
				readyAt.CompareAndSwap(0, time.Now().UnixNano())
			}
			return
		}
		h.ServeHTTP(w, r)
	})
}

// statusWriter notes the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}
