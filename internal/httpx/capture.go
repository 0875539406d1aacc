package httpx

import (
	"context"
	"net/http"
	"runtime"
)

// Failure is what CaptureFailures saw of a request that failed on the
// server's side: the status answered, the error behind it (the one LogError
// logged, nil when a handler wrote a 5xx by hand), or the value a handler
// panicked with, and the program counters of the stack where it happened.
type Failure struct {
	Status   int
	Err      error
	Panicked bool
	Panic    any
	Stack    []uintptr
}

// Capturer receives failures. Capture must not block: it runs on the
// request's goroutine after the response is written (an error tracker
// queues the failure and returns).
type Capturer interface {
	Capture(r *http.Request, route string, f Failure)
}

// failureNote is where LogError and Recover leave what they saw for
// CaptureFailures, through the request context.
type failureNote struct {
	err      error
	panicked bool
	panic    any
	stack    []uintptr
}

// noteOf is where failures of the request in ctx are noted, nil when
// CaptureFailures does not run.
func noteOf(ctx context.Context) *failureNote {
	if s := stateOf(ctx); s != nil {
		return s.note
	}
	return nil
}

// maxStackFrames bounds the frames kept of a failure's stack.
const maxStackFrames = 64

func callers(skip int) []uintptr {
	pcs := make([]uintptr, maxStackFrames)
	return pcs[:runtime.Callers(skip+1, pcs)]
}

func noteError(ctx context.Context, err error) {
	if n := noteOf(ctx); n != nil && n.err == nil && !n.panicked {
		n.err, n.stack = err, callers(3) // the caller of LogError and up
	}
}

func notePanic(ctx context.Context, v any, stack []uintptr) {
	if n := noteOf(ctx); n != nil {
		n.panicked, n.panic, n.stack, n.err = true, v, stack, nil
	}
}

// CaptureFailures hands c every request answered with a 5xx (except 503,
// which is the shop saying it is not ready or draining, not a fault) and
// every panic Recover turned into a 500, with the route template route
// names for the request (the ServeMux pattern, never the raw path). It goes
// before Recover in the chain, so it sees the 500 Recover writes.
func CaptureFailures(c Capturer, route func(*http.Request) string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, s := claim(r, haveNote)
			s.noteSpace = failureNote{}
			note := &s.noteSpace
			s.note = note
			sw := &s.captureW
			*sw = statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			if !note.panicked && (sw.status < 500 || sw.status == http.StatusServiceUnavailable) {
				return
			}
			c.Capture(r, route(r), Failure{Status: sw.status, Err: note.err, Panicked: note.panicked, Panic: note.panic, Stack: note.stack})
		})
	}
}
