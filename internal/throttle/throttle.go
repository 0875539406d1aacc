// Package throttle slows down password guessing against sign-in and password
// reset.
//
// # Policy
//
// Every failed attempt is recorded against one or more keys, typically the
// account ("signin:acct:<email>") and the client address ("signin:ip:<ip>").
// A [Policy] says how failures turn into waiting time:
//
//   - The first Free failures cost nothing, so a person who mistypes a
//     password a few times is never slowed down.
//   - Each further failure locks the key for twice as long as the previous
//     one, starting at Base and capped at Max: with Free 5 and Base 1s the
//     delays after failures 1, 2, 3 … are 0, 0, 0, 0, 0, 1s, 2s, 4s, 8s … Max.
//   - A key's failures are forgotten once Window has passed since its last
//     lockout ended (for a key that is not locked: since its last failure)
//     without a new failure.
//
// Exponential delays instead of a hard lock-out keep the account usable for
// its owner (an attacker cannot lock someone out for longer than Max) while
// making online guessing hopeless: at the cap an attacker gets one guess per
// Max per key. Measuring Window from the end of the lockout rather than from
// the failure means that waiting out a lockout does not also wipe the slate:
// an attacker who waits Max and guesses again finds the key still counting
// and is locked for Max again, instead of receiving Free new guesses.
//
// # Using a Limiter
//
// A caller checks every key before it verifies the password, and refuses the
// attempt while any key is locked, even if the password would be right;
// otherwise a lockout would leak whether a guess was correct. After a wrong
// password it calls Fail on every key; after a right one it calls Reset on
// the account key only, so one successful sign-in from a shared address does
// not clear the address's record of failures against other accounts.
//
// Keys are opaque to a Limiter. [AccountKey] and [IPKey] build them so that
// trivial variations (letter case, IPv6 addresses within one /64) do not
// count as different keys.
//
// [Local] keeps the counters in process memory. A Redis implementation for
// several instances satisfies the same [Limiter] interface and is held to the
// same behaviour by the contract tests in package throttletest.
package throttle

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Limiter records failed attempts per key and says how long a key must wait
// before its next attempt. Implementations are safe for concurrent use.
type Limiter interface {
	// Check returns 0 if an attempt for key is allowed now, otherwise how
	// long until the next attempt is allowed. It does not count as an
	// attempt. Call it before verifying a password.
	Check(ctx context.Context, key string) (retryAfter time.Duration, err error)

	// Fail records a failed attempt for key and returns the delay that the
	// failure caused: 0 while the key is within its free failures.
	Fail(ctx context.Context, key string) (retryAfter time.Duration, err error)

	// Reset forgets every failure recorded for key.
	Reset(ctx context.Context, key string) error
}

// Policy says how failures turn into delays. See the package documentation.
type Policy struct {
	Free   int           // failures that cost nothing
	Base   time.Duration // lockout after failure Free+1
	Max    time.Duration // longest lockout
	Window time.Duration // quiet time after which failures are forgotten
}

// SignIn is the policy for sign-in and password reset: five free failures,
// then 1s, 2s, 4s … up to 15 minutes, forgotten after 15 quiet minutes.
func SignIn() Policy {
	return Policy{Free: 5, Base: time.Second, Max: 15 * time.Minute, Window: 15 * time.Minute}
}

// Validate reports whether p is usable.
func (p Policy) Validate() error {
	switch {
	case p.Free < 0:
		return fmt.Errorf("throttle: policy Free is %d, want >= 0", p.Free)
	case p.Base <= 0:
		return fmt.Errorf("throttle: policy Base is %v, want > 0", p.Base)
	case p.Max < p.Base:
		return fmt.Errorf("throttle: policy Max %v is less than Base %v", p.Max, p.Base)
	case p.Window <= 0:
		return fmt.Errorf("throttle: policy Window is %v, want > 0", p.Window)
	}
	return nil
}

// Delay returns the lockout that the failures-th failure within a window
// causes: 0 for the first Free failures, then Base, 2·Base, 4·Base … capped
// at Max.
func (p Policy) Delay(failures int) time.Duration {
	over := failures - p.Free
	if over <= 0 {
		return 0
	}
	d := p.Base
	for range over - 1 {
		if d > p.Max/2 { // also keeps d*2 from overflowing
			return p.Max
		}
		d *= 2
	}
	return min(d, p.Max)
}

// AccountKey returns the key for attempts at action ("signin", "reset")
// against the account with the given email address. The address is trimmed
// and lower-cased so that "Ann@Example.com " and "ann@example.com" share a
// counter.
func AccountKey(action, email string) string {
	return action + ":acct:" + strings.ToLower(strings.TrimSpace(email))
}

// IPKey returns the key for attempts at action from the client address ip.
// IPv4 addresses (also IPv4-mapped IPv6) are keyed individually; IPv6
// addresses by their /64 prefix, because a single subscriber usually owns a
// whole /64 and could otherwise rotate through it for fresh counters.
func IPKey(action string, ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64) // cannot fail for a valid IPv6 address
		return action + ":ip:" + p.String()
	}
	return action + ":ip:" + ip.String()
}
