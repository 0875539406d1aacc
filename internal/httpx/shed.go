package httpx

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/oceanshop/ocean/internal/observe"
	"github.com/oceanshop/ocean/internal/ocean"
)

// Admission bounds how many requests an instance works on at once
// (decision 0235). Past what its cores can serve, more requests in flight
// only make every one of them slower: they queue for the CPU, the database
// pool and the rows other requests hold, until they all outlast their
// clients' patience and the instance serves nothing. A request that finds
// no room within the wait is answered at once with 503 and Retry-After, so
// that what is admitted is still served in time.
//
// A quarter of the room is kept for requests that change something (any
// method but GET, HEAD and OPTIONS: adding to a cart, paying, signing in):
// browsing waits for the rest, so a shopper who is buying is served before
// one who is looking. Health checks, /metrics, the fingerprinted static
// files and MCP event streams are never held back.
type Admission struct {
	all, browse *semaphore.Weighted
	wait        time.Duration
	log         *slog.Logger
	shed        atomic.Uint64 // requests turned away, all time
	lines       *observe.LogLimiter
}

// NewAdmission admits limit requests at once, each waiting at most wait for
// room; limit 0 admits everything (nil).
func NewAdmission(limit int, wait time.Duration, log *slog.Logger) *Admission {
	if limit <= 0 {
		return nil
	}
	browse := max(1, limit-limit/4)
	return &Admission{all: semaphore.NewWeighted(int64(limit)), browse: semaphore.NewWeighted(int64(browse)), wait: wait, log: log,
		lines: observe.NewLogLimiter(time.Minute, 1)}
}

// Shed reports how many requests were turned away.
func (a *Admission) Shed() uint64 {
	if a == nil {
		return 0
	}
	return a.shed.Load()
}

// admit takes room for r, waiting at most a.wait; release gives it back.
func (a *Admission) admit(r *http.Request) (release func(), ok bool) {
	ctx, cancel := context.WithTimeout(r.Context(), a.wait)
	defer cancel()
	browsing := r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions
	if browsing {
		if a.browse.Acquire(ctx, 1) != nil {
			return nil, false
		}
	}
	if a.all.Acquire(ctx, 1) != nil {
		if browsing {
			a.browse.Release(1)
		}
		return nil, false
	}
	return func() {
		a.all.Release(1)
		if browsing {
			a.browse.Release(1)
		}
	}, true
}

// exempt reports whether a request is never held back: health checks (a
// load balancer must see a busy instance as alive), the metrics scrape,
// the static files (cheap, and a page without them is broken), and an MCP
// client's event stream (GET /mcp), which stays open for the session and
// would hold its room all that time.
func exempt(r *http.Request) bool {
	p := r.URL.Path
	return p == "/healthz" || p == "/readyz" || p == "/metrics" || strings.HasPrefix(p, "/static/") ||
		(p == "/mcp" && r.Method == http.MethodGet)
}

var errBusy = &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The shop is very busy right now. Please try again in a moment."}

// Shed is the admission middleware; a nil Admission lets everything in.
// A turned-away request gets 503 with Retry-After: 1, a problem for the
// API and the error page for people, and is not logged one by one (the
// instance is already short of time): a line a minute says how many.
func Shed(a *Admission, page ErrorPage) Middleware {
	return func(next http.Handler) http.Handler {
		if a == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if exempt(r) {
				next.ServeHTTP(w, r)
				return
			}
			release, ok := a.admit(r)
			if !ok {
				a.turnedAway()
				w.Header().Set("Retry-After", "1")
				if IsAPI(r) || page == nil {
					WriteProblemDoc(w, NewProblem(r, errBusy))
				} else {
					page(w, r, errBusy)
				}
				return
			}
			defer release()
			next.ServeHTTP(w, r)
		})
	}
}

func (a *Admission) turnedAway() {
	a.shed.Add(1)
	if log, unsaid := a.lines.Note(time.Now()); log {
		a.log.Warn("busy: requests turned away with 503 (more in flight than OCEAN_MAX_IN_FLIGHT for longer than OCEAN_ADMISSION_WAIT)", "turned_away", unsaid+1)
	}
}
