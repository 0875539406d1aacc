package httpx

import (
	"context"
	"log/slog"
	"net/http"
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
}

const (
	haveID uint8 = 1 << iota
	haveNonce
	haveClient
	haveLog
	haveNote
	haveRecover
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
