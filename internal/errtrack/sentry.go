package errtrack

import (
	"fmt"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
)

// Sentry sends events to Sentry as well (SENTRY_DSN): the same scrubbed
// events the store gets, with the tracker's fingerprint, so Sentry groups
// them as /admin/errors does. Nothing else about a request goes: no
// request body, headers beyond the harmless few, user or IP (the SDK's
// default integrations, which read the host and modules, are off).
type Sentry struct {
	hub    *sentry.Hub
	client *sentry.Client
}

// NewSentry connects to the Sentry project dsn names.
func NewSentry(dsn, release, environment string) (*Sentry, error) {
	c, err := sentry.NewClient(sentry.ClientOptions{
		Dsn: dsn, Release: release, Environment: environment,
		SendDefaultPII: false,
		// The SDK's default telemetry buffer hands events to a scheduler
		// goroutine; Flush drains only what is still in the buffer, so an
		// event the scheduler has taken but not yet handed to the
		// transport is not waited for: a CI run saw Flush report success
		// with nothing sent. The plain transport queues an event when it
		// is captured, and Flush waits for what is queued.
		DisableTelemetryBuffer: true,
		Integrations:           func([]sentry.Integration) []sentry.Integration { return nil },
		// Belt and braces: nothing about the person, whatever the SDK
		// fills in one day.
		BeforeSend: func(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event {
			ev.User, ev.Request, ev.ServerName = sentry.User{}, nil, ""
			return ev
		},
	})
	if err != nil {
		return nil, fmt.Errorf("SENTRY_DSN: %w", err)
	}
	return &Sentry{hub: sentry.NewHub(c, sentry.NewScope()), client: c}, nil
}

// Send implements Sink: it queues the event in the SDK's transport (which
// sends in the background and drops when its buffer is full).
func (s *Sentry) Send(e Event) {
	typ, value, _ := strings.Cut(e.Title, ": ")
	ev := sentry.NewEvent()
	ev.Level = sentry.LevelError
	ev.Platform = "go"
	if e.Kind == Browser {
		ev.Platform = "javascript"
	}
	ev.Timestamp = e.At
	ev.Release = e.Release
	ev.Message = e.Message
	ev.Fingerprint = []string{e.Fingerprint}
	ev.Transaction = e.Route
	ev.Tags = map[string]string{"kind": string(e.Kind), "route": e.Route}
	if e.Method != "" {
		ev.Tags["method"] = e.Method
		ev.Tags["status"] = fmt.Sprint(e.Status)
	}
	if e.RequestID != "" {
		ev.Tags["request_id"] = e.RequestID
	}
	if e.TraceID != "" {
		ev.Contexts["trace"] = sentry.Context{"trace_id": e.TraceID}
	}
	ev.Exception = []sentry.Exception{{Type: typ, Value: value, Stacktrace: sentryStack(e.Stack)}}
	s.hub.CaptureEvent(ev)
}

// sentryStack turns FormatStack's text back into frames, oldest first as
// Sentry wants them.
func sentryStack(stack string) *sentry.Stacktrace {
	lines := strings.Split(strings.TrimRight(stack, "\n"), "\n")
	var fs []sentry.Frame
	for i := 0; i+1 < len(lines); i += 2 {
		fn := lines[i]
		file, line := strings.TrimPrefix(lines[i+1], "\t"), 0
		if j := strings.LastIndexByte(file, ':'); j > 0 {
			_, _ = fmt.Sscan(file[j+1:], &line)
			file = file[:j]
		}
		mod, name := fn, fn
		// "github.com/…/web.(*Web).product": the package is up to the
		// first dot after the last slash.
		slash := strings.LastIndexByte(fn, '/')
		if dot := strings.IndexByte(fn[slash+1:], '.'); dot > 0 {
			mod, name = fn[:slash+1+dot], fn[slash+2+dot:]
		}
		fs = append([]sentry.Frame{{Function: name, Module: mod, Filename: file, Lineno: line,
			InApp: strings.HasPrefix(fn, module) || strings.HasPrefix(file, "/static/")}}, fs...)
	}
	if len(fs) == 0 {
		return nil
	}
	return &sentry.Stacktrace{Frames: fs}
}

// Flush implements Sink: it waits up to timeout for queued events to go.
func (s *Sentry) Flush(timeout time.Duration) bool { return s.client.Flush(timeout) }

var _ Sink = (*Sentry)(nil)

// Sinks returns the sinks configured: Sentry when dsn is set, none
// otherwise.
func Sinks(dsn, release string) ([]Sink, error) {
	if dsn == "" {
		return nil, nil
	}
	s, err := NewSentry(dsn, release, "production")
	if err != nil {
		return nil, err
	}
	return []Sink{s}, nil
}
