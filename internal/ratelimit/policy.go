package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Policy is the quota of one class of requests: at most Limit accepted
// requests per key in any rolling Window. A Policy with Limit 0 is off: every
// request passes and no headers are written.
type Policy struct {
	Name   string        // class name: lower-case letters, digits, '-' and '_'
	Limit  int           // requests per window; 0 means off
	Window time.Duration // whole seconds, 1s to 7 days

	// FailOpen says what to do when the shared store is unreachable:
	// true lets requests through (the Redis limiter then enforces the
	// policy per instance, in memory); false refuses them with a short
	// Retry-After until the store is back.
	FailOpen bool
}

// Bounds of a policy. MaxLimit bounds the log kept per key (each accepted
// request is one entry until it leaves the window).
const (
	MaxLimit  = 100_000
	MinWindow = time.Second
	MaxWindow = 7 * 24 * time.Hour
)

// Off reports whether the policy lets every request through.
func (p Policy) Off() bool { return p.Limit == 0 }

// Validate checks the name and, unless the policy is off, the bounds.
func (p Policy) Validate() error {
	if !validName(p.Name) {
		return fmt.Errorf("ratelimit: invalid class name %q: use 1 to 32 lower-case letters, digits, '-' or '_', starting with a letter", p.Name)
	}
	if p.Off() {
		return nil
	}
	switch {
	case p.Limit < 0 || p.Limit > MaxLimit:
		return fmt.Errorf("ratelimit: class %q: limit %d is outside 1 to %d", p.Name, p.Limit, MaxLimit)
	case p.Window < MinWindow || p.Window > MaxWindow:
		return fmt.Errorf("ratelimit: class %q: window %v is outside 1s to 7 days", p.Name, p.Window)
	case p.Window%time.Second != 0:
		return fmt.Errorf("ratelimit: class %q: window %v is not a whole number of seconds", p.Name, p.Window)
	}
	return nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// String formats the quota as ParsePolicy reads it: "off", "100/1m",
// "5/15m", "20/1h", "1000/1d", "3/90s".
func (p Policy) String() string {
	if p.Off() {
		return "off"
	}
	return strconv.Itoa(p.Limit) + "/" + formatWindow(p.Window)
}

func formatWindow(w time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		unit string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if w%u.d == 0 {
			return strconv.FormatInt(int64(w/u.d), 10) + u.unit
		}
	}
	return strconv.FormatInt(int64(w/time.Second), 10) + "s"
}

var units = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
}

// ParsePolicy reads a quota setting: "off", or "<requests>/<window>" where
// the window is a unit (s, sec, m, min, h, hour, d, day; plurals too) with an
// optional whole-number count in front: "100/min", "5/15m", "20/h",
// "1000/1d", "3/90s". Letter case and surrounding spaces do not matter. The
// result has no Name and FailOpen false; the caller sets them.
func ParsePolicy(s string) (Policy, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "off" {
		return Policy{}, nil
	}
	n, w, ok := strings.Cut(s, "/")
	if !ok {
		return Policy{}, fmt.Errorf("%q is not a rate limit: write requests/window like 100/min or 5/15m, or off", s)
	}
	n, w = strings.TrimSpace(n), strings.TrimSpace(w)
	limit, err := strconv.Atoi(n)
	if err != nil || limit < 1 || limit > MaxLimit || n[0] == '+' {
		if err == nil && limit == 0 {
			return Policy{}, fmt.Errorf("%q allows no requests at all: use off to disable the limit, or a count from 1 to %d", s, MaxLimit)
		}
		return Policy{}, fmt.Errorf("%q: the number of requests must be a whole number from 1 to %d", s, MaxLimit)
	}
	digits := 0
	for digits < len(w) && '0' <= w[digits] && w[digits] <= '9' {
		digits++
	}
	unit, ok := units[strings.TrimSpace(w[digits:])]
	if !ok {
		return Policy{}, fmt.Errorf("%q: the window must be a unit like s, min, h or d, optionally with a count in front (15m, 90s)", s)
	}
	count := int64(1)
	if digits > 0 {
		count, err = strconv.ParseInt(w[:digits], 10, 64)
		if err != nil || count < 1 || count > int64(MaxWindow/unit) {
			return Policy{}, fmt.Errorf("%q: the window must be from 1s to 7 days", s)
		}
	}
	return Policy{Limit: limit, Window: time.Duration(count) * unit}, nil
}

// Class names the shop uses.
const (
	API      = "api"      // every /api/v1 request, per client address
	SignIn   = "signin"   // sign-in form and token endpoints
	Reset    = "reset"    // password reset requests (each may send a mail)
	Checkout = "checkout" // placing an order / paying
)

// Defaults returns the shop's policies when no setting overrides them:
//
//	api       100/1m  fail open (per-instance limit while Redis is down)
//	signin     10/1m  fail open (per-instance limit while Redis is down)
//	reset      5/15m  fail closed
//	checkout   20/1m  fail open (per-instance limit while Redis is down)
//
// docs/decisions/0015-rate-limits.md explains the numbers and the choices.
func Defaults() []Policy {
	return []Policy{
		{Name: API, Limit: 100, Window: time.Minute, FailOpen: true},
		{Name: SignIn, Limit: 10, Window: time.Minute, FailOpen: true},
		{Name: Reset, Limit: 5, Window: 15 * time.Minute, FailOpen: false},
		{Name: Checkout, Limit: 20, Window: time.Minute, FailOpen: true},
	}
}

// EnvAll is the variable that turns every class off ("off") for load tests.
const EnvAll = "OCEAN_RATE_LIMITS"

// EnvVar is the variable that overrides the quota of a class:
// OCEAN_RATE_LIMIT_API, OCEAN_RATE_LIMIT_SIGNIN, …
func EnvVar(class string) string {
	return "OCEAN_RATE_LIMIT_" + strings.ToUpper(strings.ReplaceAll(class, "-", "_"))
}

// FromEnv returns the Defaults with the quotas from the environment applied:
// OCEAN_RATE_LIMITS=off turns every class off ("on" or empty keeps them), and
// OCEAN_RATE_LIMIT_<CLASS> sets one class's quota in ParsePolicy syntax. The
// fail-open choice of a class is not configurable. Errors name the variable.
func FromEnv(getenv func(string) string) ([]Policy, error) {
	all := strings.ToLower(strings.TrimSpace(getenv(EnvAll)))
	if all != "" && all != "off" && all != "on" {
		return nil, fmt.Errorf("%s=%q: want off (disable every rate limit) or on", EnvAll, getenv(EnvAll))
	}
	ps := Defaults()
	for i, p := range ps {
		v := getenv(EnvVar(p.Name))
		if strings.TrimSpace(v) == "" {
			continue
		}
		q, err := ParsePolicy(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvVar(p.Name), err)
		}
		ps[i].Limit, ps[i].Window = q.Limit, q.Window
	}
	if all == "off" {
		for i := range ps {
			ps[i].Limit, ps[i].Window = 0, 0
		}
	}
	return ps, nil
}
