package errtrack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/observe"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/scrub"
)

// Sink receives every event the tracker stores, on the writer goroutine
// (Sentry is one). Send must return promptly; it may drop.
type Sink interface {
	Send(e Event)
	Flush(timeout time.Duration) bool
}

// Config is what a Tracker is built from. Store is required.
type Config struct {
	Store   Store
	Release string // the running version
	// TraceID returns the trace id of a request's context ("" if none).
	TraceID func(context.Context) string
	Log     *slog.Logger
	Metrics prometheus.Registerer // nil: not exported
	Sinks   []Sink
	// Queue bounds the events waiting for the writer (default 256);
	// Samples the events kept per group (default 5); Groups the groups
	// kept (default 1000) and MaxAge how long a group is kept after it
	// was last seen (default 30 days).
	Queue   int
	Samples int
	Groups  int
	MaxAge  time.Duration
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// Tracker captures events and writes them to the store in the background.
type Tracker struct {
	cfg      Config
	queue    chan item
	captured *prometheus.CounterVec
	dropped  prometheus.Counter
	stop     chan struct{}
	done     chan struct{}
	closing  sync.Once
	logLimit *observe.LogLimiter
	written  int
}

// item is an event, or a flush request (done non-nil).
type item struct {
	e    Event
	done chan struct{}
}

// New starts a tracker; Close stops it.
func New(cfg Config) *Tracker {
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	if cfg.Samples <= 0 {
		cfg.Samples = 5
	}
	if cfg.Groups <= 0 {
		cfg.Groups = 1000
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 30 * 24 * time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Tracker{cfg: cfg, queue: make(chan item, cfg.Queue), stop: make(chan struct{}), done: make(chan struct{}),
		captured: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ocean_errors_captured_total",
			Help: "Errors captured by the built-in error tracker, by kind (server: a 5xx answer, panic: a recovered panic, browser: a JavaScript error a browser reported)."}, []string{"kind"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "ocean_errors_dropped_total",
			Help: "Captured errors dropped because the tracker's queue was full or the store refused them."}),
		logLimit: observe.NewLogLimiter(time.Minute, 5),
	}
	for _, k := range []Kind{Server, Panic, Browser} {
		t.captured.WithLabelValues(string(k))
	}
	if cfg.Metrics != nil {
		cfg.Metrics.MustRegister(t.captured, t.dropped)
	}
	go t.run()
	return t
}

// Capture implements httpx.Capturer: it makes the failure an event and
// queues it.
func (t *Tracker) Capture(r *http.Request, route string, f httpx.Failure) {
	e := Event{Kind: Server, Route: route, Method: r.Method, Status: f.Status, RequestID: httpx.RequestID(r.Context()),
		Release: t.cfg.Release, At: t.cfg.Now().UTC(), Request: scrub.Headers(r.Header.Get)}
	if t.cfg.TraceID != nil {
		e.TraceID = t.cfg.TraceID(r.Context())
	}
	frames := Frames(f.Stack)
	var typ, msg string
	switch {
	case f.Panicked:
		e.Kind = Panic
		typ = errorType(f.Panic)
		msg = fmt.Sprint(f.Panic)
	case f.Err != nil:
		typ = errorType(f.Err)
		msg = causeText(f.Err)
	default:
		typ = "http"
		msg = fmt.Sprintf("%d %s", f.Status, http.StatusText(f.Status))
	}
	e.Message = clipText(scrub.Message(msg), 2000)
	e.Title = clipText(typ+": "+scrub.Message(firstLine(msg)), 200)
	e.Stack = clipText(scrub.String(FormatStack(frames)), 16<<10)
	e.Culprit = culprit(frames, route)
	e.Fingerprint = Fingerprint(e.Kind, typ, scrub.Message(msg), frames, route)
	t.enqueue(e)
}

// causeText is an error's message with its cause: the safe message alone
// says "Something went wrong", the cause says what.
func causeText(err error) string {
	var oe *ocean.Error
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

func (t *Tracker) enqueue(e Event) {
	t.captured.WithLabelValues(string(e.Kind)).Inc()
	select {
	case t.queue <- item{e: e}:
	default:
		t.dropped.Inc()
	}
}

// Flush waits until every event queued before it is written (tests, and
// Close).
func (t *Tracker) Flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case t.queue <- item{done: done}:
	case <-ctx.Done():
		return ctx.Err()
	case <-t.done:
		return errors.New("errtrack: tracker closed")
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is queued (for at most a few seconds) and stops.
func (t *Tracker) Close() error {
	t.closing.Do(func() { close(t.stop) })
	<-t.done
	for _, s := range t.cfg.Sinks {
		s.Flush(2 * time.Second)
	}
	return nil
}

// batch is the most events written in one transaction.
const batch = 64

// pruneEvery is how many written events pass between two prunes.
const pruneEvery = 500

func (t *Tracker) run() {
	defer close(t.done)
	for {
		select {
		case it := <-t.queue:
			t.handle(it)
		case <-t.stop:
			// Drain what is queued now, then go.
			for {
				select {
				case it := <-t.queue:
					t.handle(it)
				default:
					return
				}
			}
		}
	}
}

func (t *Tracker) handle(first item) {
	var events []Event
	var flushes []chan struct{}
	add := func(it item) {
		if it.done != nil {
			flushes = append(flushes, it.done)
		} else {
			events = append(events, it.e)
		}
	}
	add(first)
more:
	for len(events) < batch {
		select {
		case it := <-t.queue:
			add(it)
		default:
			break more
		}
	}
	if len(events) > 0 {
		t.write(events)
	}
	for _, d := range flushes {
		close(d)
	}
}

func (t *Tracker) write(events []Event) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := t.cfg.Store.Record(ctx, events, t.cfg.Samples); err != nil {
		t.dropped.Add(float64(len(events)))
		if t.logLimit.Allow(time.Now()) {
			t.cfg.Log.Warn("error tracker: storing events failed", "events", len(events), "err", scrub.Message(err.Error()))
		}
	}
	for _, s := range t.cfg.Sinks {
		for _, e := range events {
			s.Send(e)
		}
	}
	t.written += len(events)
	if t.written >= pruneEvery {
		t.written = 0
		if _, err := t.cfg.Store.Prune(ctx, t.cfg.Now().Add(-t.cfg.MaxAge), t.cfg.Groups); err != nil && t.logLimit.Allow(time.Now()) {
			t.cfg.Log.Warn("error tracker: pruning failed", "err", scrub.Message(err.Error()))
		}
	}
}

// Prune runs the store's pruning now (the writer runs it every few
// hundred events).
func (t *Tracker) Prune(ctx context.Context) (int, error) {
	return t.cfg.Store.Prune(ctx, t.cfg.Now().Add(-t.cfg.MaxAge), t.cfg.Groups)
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// clipText cuts s to at most n bytes on a rune boundary.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
