// Package ratelimit caps how many requests one client may make per class of
// request ("api", "signin", "reset", "checkout") in any rolling time window,
// and holds that cap across every instance of the shop.
//
// # Exactness
//
// A [Policy] of Limit requests per Window means: in every interval of length
// Window, wherever it starts, at most Limit requests of one client are
// accepted. Fixed windows (2×Limit across a boundary) and token buckets or
// GCRA with a burst (Limit at once, then more as tokens drip back in) break
// that promise, so both implementations keep a sliding log: the times of the
// accepted requests of the last Window, at most Limit of them per client. A
// request is accepted while fewer than Limit logged times are younger than
// Window; denied requests are not logged, so a client hammering a closed door
// costs no memory and does not push its own reopening further away.
//
// Package ratelimit/redis keeps the log in a Redis sorted set updated by one
// Lua script that reads the Redis server's clock (so instances whose clocks
// disagree still agree on the log); package ratelimit/local keeps it in
// process memory for a single instance. Both pass the contract suite in
// package ratelimit/ratelimittest.
//
// # HTTP
//
// [Middleware] asks a [Limiter] before every request, writes the
// RateLimit-Policy and RateLimit header fields of
// draft-ietf-httpapi-ratelimit-headers-11 on every response (and Retry-After
// on refusals), and hands refusals to a callback that writes the body; the
// shop passes one that writes an ocean.ERATELIMITED problem (429) or, when a
// fail-closed class could not be checked, an ocean.EUNAVAILABLE problem (503)
// through httpx.WriteProblem. [ClientIP] finds the client address, believing
// X-Forwarded-For only from configured trusted proxies.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limiter decides whether one more request of a class may pass for a key
// (usually the client address). Implementations are safe for concurrent use.
type Limiter interface {
	// Allow records a request for key under the policy of class and says
	// whether it may proceed. An accepted request counts against the
	// quota; a refused one does not.
	//
	// Errors: an unknown class returns an error wrapping ErrUnknownClass
	// and a refusal. When the shared store cannot be reached the error
	// wraps ErrUnavailable and the Decision is the policy's fallback:
	// accepted (FailOpen, possibly limited per instance) or refused with
	// a short RetryAfter. Callers log the error and act on the Decision.
	Allow(ctx context.Context, class, key string) (Decision, error)
}

// Decision is the answer to one Allow call.
type Decision struct {
	Allowed bool
	Policy  Policy // the class's policy (Name, Limit, Window)

	// Remaining is how many more requests the key may make now (after
	// this one, if it was accepted).
	Remaining int

	// Reset is how long until Remaining next grows: until the oldest
	// logged request leaves the window (Window when the log is empty).
	// Within Reset the key can make at most Remaining more requests.
	// It is the "t" parameter of the RateLimit field.
	Reset time.Duration

	// RetryAfter is, for a refused request, how long until a request
	// would be accepted; 0 when Allowed.
	RetryAfter time.Duration
}

// Limit is the policy's quota: the most requests accepted in any window.
func (d Decision) Limit() int { return d.Policy.Limit }

var (
	// ErrUnknownClass: Allow was asked about a class that has no policy.
	ErrUnknownClass = errors.New("ratelimit: unknown class")

	// ErrUnavailable: the shared store (Redis) could not be asked; the
	// Decision is the policy's fail-open or fail-closed answer.
	ErrUnavailable = errors.New("ratelimit: limiter store unavailable")
)

// UnknownClass returns the refusal and error for a class without a policy.
func UnknownClass(class string) (Decision, error) {
	return Decision{}, fmt.Errorf("%w %q", ErrUnknownClass, class)
}

// Offline is the decision for a request whose quota could not be checked
// because the shared store is unreachable and the policy fails closed: a
// refusal with a short RetryAfter (5s, at most the window), so clients come
// back soon rather than a whole window later.
func Offline(p Policy) Decision {
	return Decision{Policy: p, RetryAfter: min(offlineRetry, p.Window), Reset: min(offlineRetry, p.Window)}
}

const offlineRetry = 5 * time.Second

// Unlimited is the decision for a class whose policy is off.
func Unlimited(p Policy) Decision { return Decision{Allowed: true, Policy: p} }

// Index checks a set of policies (valid, unique names) and indexes them by
// name. Implementations call it in their constructors.
func Index(policies []Policy) (map[string]Policy, error) {
	m := make(map[string]Policy, len(policies))
	for _, p := range policies {
		if err := p.Validate(); err != nil {
			return nil, err
		}
		if _, dup := m[p.Name]; dup {
			return nil, fmt.Errorf("ratelimit: two policies for class %q", p.Name)
		}
		m[p.Name] = p
	}
	return m, nil
}
