package httpx

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
)

// state is what the middleware learns about one request (its id, the CSP
// nonce, the client, the logger, where failures are noted), in one context
// value: one copy of the request and one allocation for the whole chain,
// not one of each per middleware. It also holds the backing arrays of the
// per-request header values the middleware sets.
type state struct {
	set       uint8 // which fields a middleware has filled (the have* bits)
	id        string
	nonce     string
	client    client
	log       *slog.Logger
	note      *failureNote // nil unless CaptureFailures runs
	noteSpace failureNote
	idValue   [1]string    // X-Request-Id's header value
	cspValue  [1]string    // Content-Security-Policy's
	captureW  statusWriter // CaptureFailures' view of the response
	recoverW  statusWriter // Recover's
	route     route        // what Route found
}

// route is the handler and pattern a mux has for a request.
type route struct {
	mux     *http.ServeMux
	url     *url.URL // the request's own (copies made by WithContext share it)
	method  string
	host    string
	handler http.Handler
	pattern string
}

const (
	haveID uint8 = 1 << iota
	haveNonce
	haveClient
	haveLog
	haveNote
	haveRecover
	haveRoute
)

type keyStateT struct{}

var keyState keyStateT

func stateOf(ctx context.Context) *state {
	s, _ := ctx.Value(keyState).(*state)
	return s
}

// claim returns the state of r in which field is still to be filled. A
// request that has no state yet, or whose field is already filled (the
// chain run again inside a request, or a middleware listed twice), gets a
// new one on a copy of r, starting as a copy of the old: the inner run
// sees its own values and the outer keeps its own, as separate context
// values would give.
func claim(r *http.Request, field uint8) (*http.Request, *state) {
	old := stateOf(r.Context())
	if old != nil && old.set&field == 0 {
		old.set |= field
		return r, old
	}
	s := new(state)
	if old != nil {
		*s = *old // note still points at the outer note, as the outer context value did
	}
	s.set |= field
	return r.WithContext(context.WithValue(r.Context(), keyState, s)), s
}

// Route returns the handler and pattern mux has for r (mux.Handler),
// looked up once per request: the metrics and the rate limiter both need
// them before the mux routes the request. The request it returns carries
// the answer to the middleware after.
func Route(mux *http.ServeMux, r *http.Request) (*http.Request, http.Handler, string) {
	if s := stateOf(r.Context()); s != nil && s.set&haveRoute != 0 {
		if rt := &s.route; rt.mux == mux && rt.url == r.URL && rt.method == r.Method && rt.host == r.Host {
			return r, rt.handler, rt.pattern
		}
	}
	h, p := mux.Handler(r)
	r, s := claim(r, haveRoute)
	s.route = route{mux: mux, url: r.URL, method: r.Method, host: r.Host, handler: h, pattern: p}
	return r, h, p
}
