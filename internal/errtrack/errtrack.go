// Package errtrack is the shop's own error tracker: every 5xx answer, every
// recovered panic and every JavaScript error a shopper's browser reports
// becomes an Event, scrubbed of personal data and secrets (package scrub),
// given a fingerprint, and stored in its Group in the database, where the
// admin browses them (/admin/errors) and marks them resolved or ignored.
//
// Capture never blocks a request and never fails one: events go through a
// bounded queue to one writer goroutine; when the queue is full the event
// is dropped and counted (ocean_errors_dropped_total). When SENTRY_DSN is
// set, the writer also sends every event to Sentry (see Sentry).
package errtrack

import (
	"context"
	"time"
)

// Kind says where an event came from.
type Kind string

// The kinds of event.
const (
	Server  Kind = "server"  // a 5xx answer
	Panic   Kind = "panic"   // a handler panicked
	Browser Kind = "browser" // a shopper's browser reported a JavaScript error
)

// Status is a group's state in the admin's hands.
type Status string

// The statuses of a group. A resolved group that recurs is open again; an
// ignored group stays ignored, still counted.
const (
	Open     Status = "open"
	Resolved Status = "resolved"
	Ignored  Status = "ignored"
)

// ValidStatus reports whether s is a status.
func ValidStatus(s Status) bool { return s == Open || s == Resolved || s == Ignored }

// Event is one occurrence, already scrubbed: nothing in it may identify a
// shopper or carry a secret.
type Event struct {
	Kind        Kind
	Fingerprint string // groups events (see Fingerprint)
	Title       string // "type: message", short
	Culprit     string // the top in-app frame, or the route
	Message     string
	Stack       string // one frame a line pair: "function\n\tfile:line"
	Route       string // the route template ("GET /p/{slug}"), never the raw path
	Method      string
	Status      int // the HTTP status answered; 0 for browser events
	TraceID     string
	RequestID   string
	Release     string
	At          time.Time
	// Request holds the harmless request details: a few headers, the
	// page's template for browser events.
	Request map[string]string
}

// Group is every event with one fingerprint.
type Group struct {
	ID          int64
	Fingerprint string
	Kind        Kind
	Title       string
	Culprit     string
	Status      Status
	FirstSeen   time.Time
	LastSeen    time.Time
	Count       int64
	Release     string // of the latest event
}

// Filter selects groups to list: by status ("" for all), newest last seen
// first, at most Limit, before the cursor (the last seen time and id of
// the previous page's last group).
type Filter struct {
	Status     Status
	Limit      int
	BeforeSeen time.Time
	BeforeID   int64
}

// Store keeps groups and their sample events. A fleet shares it.
type Store interface {
	// Record adds events to their groups in one transaction: a new
	// fingerprint makes a group (open); a known one counts the event,
	// moves last seen and the release, and reopens a resolved group.
	// Each group keeps at most samples events, the newest.
	Record(ctx context.Context, events []Event, samples int) error
	// Groups lists groups (see Filter).
	Groups(ctx context.Context, f Filter) ([]Group, error)
	// Group returns one group and its sample events, newest first;
	// ENOTFOUND if there is none.
	Group(ctx context.Context, id int64) (Group, []Event, error)
	// SetStatus sets a group's status; ENOTFOUND if there is none.
	SetStatus(ctx context.Context, id int64, s Status) error
	// Prune deletes groups last seen before before, and beyond the keep
	// most recently seen, with their events; it returns how many went.
	Prune(ctx context.Context, before time.Time, keep int) (int, error)
}
