// Package redis is the sign-in throttle shared by every instance of a shop:
// the counters of package throttle kept in Redis, so that an attacker who
// spreads guesses over N instances gets no more of them than against one.
//
// # Data
//
// Each throttle key is one Redis hash, "<prefix>{<hash of the key>}", with
// two fields: f, the failures counted, and u, the time in microseconds until
// which the key is locked (the time of the last failure when it was not
// locked). The key is hashed (SHA-256, 128 bits, hex) so that email
// addresses are not stored in Redis and a caller cannot make Redis keys
// arbitrarily long; [Store.Key] names the Redis key of a throttle key for an
// operator who needs to look. The braces are a Redis Cluster hash tag; every
// call touches exactly one key.
//
// Check, Fail and Reset are one command each: two Lua scripts (atomic on
// the server) and a DEL. Fail reads the hash, forgets the failures if the
// quiet Window has passed since u, counts the new failure, works out the
// delay from the [throttle.Policy] exactly as [throttle.Policy.Delay] does,
// moves u to now + delay (never backwards) and sets the key to expire once
// its failures would be forgotten (plus a second), so idle keys vanish by
// themselves. The scripts read the time from the Redis server (TIME), so
// instances whose clocks disagree still agree on every lockout. Tests may
// inject a clock instead ([Options.Now]); expiry is then judged by that
// clock from the stored times, and the TTL only removes keys later.
//
// # When Redis is unreachable
//
// Sign-in must stay possible for the owner, so the limiter fails over to an
// in-process [throttle.Local] with the same policy, one per instance: a
// fleet of N instances allows up to N times the free failures per account
// while Redis is down, and every instance still applies the growing delays
// itself. Errors are not returned to the caller (the accounts service would
// refuse the sign-in); the outage is logged once, when it starts, and once
// when Redis answers again. After a failure Redis is left alone for
// Options.Backoff so an outage does not add a timeout to every attempt.
// Lockouts an instance recorded during an outage are still honoured after
// Redis returns (Check takes the longer of the two), so recovery hands out no
// fresh guesses; Reset clears both.
package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/throttle"
)

// Options tune a Store; the zero value is fine.
type Options struct {
	// Prefix starts every key ("ocean:throttle:" if empty). Shops sharing
	// one Redis use different prefixes.
	Prefix string

	// Timeout bounds one call to Redis (1s if 0: a sign-in already spends
	// a good part of that hashing the password, and a Redis that is merely
	// slow should not split the fleet's counters).
	Timeout time.Duration

	// Backoff is how long Redis is not asked after a failure (1s if 0).
	Backoff time.Duration

	// Now is the clock, for tests. Nil (the default, and what a fleet must
	// use): the Redis server's clock.
	Now func() time.Time

	// Log receives one warning when an outage starts and one message when
	// it ends. Nil: nothing is logged.
	Log *slog.Logger
}

// Store is a connection to Redis shared by the limiters of one shop, with
// the state of an outage: when Redis fails, every limiter of the Store falls
// back at once and the outage is logged once, not per limiter.
type Store struct {
	rdb    goredis.UniversalClient
	opt    Options
	down   atomic.Int64 // unix ns until which Redis is not asked
	outage atomic.Bool  // an outage is in progress and was logged
}

// New returns a Store over rdb. It panics if rdb is nil.
func New(rdb goredis.UniversalClient, opt Options) *Store {
	if rdb == nil {
		panic("throttle/redis: nil client")
	}
	if opt.Prefix == "" {
		opt.Prefix = "ocean:throttle:"
	}
	if opt.Timeout <= 0 {
		opt.Timeout = time.Second
	}
	if opt.Backoff <= 0 {
		opt.Backoff = time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Store{rdb: rdb, opt: opt}
}

// Key returns the Redis key that holds the counters of a throttle key.
func (s *Store) Key(key string) string {
	sum := sha256.Sum256([]byte(key))
	return s.opt.Prefix + "{" + hex.EncodeToString(sum[:16]) + "}"
}

// Limiter returns a [throttle.Limiter] with policy p whose counters live in
// the Store's Redis. Limiters of one Store share the key space, so they must
// be given distinct keys (the action and the kind of key are part of every
// key that [throttle.AccountKey] and [throttle.IPKey] build). It panics if p
// is invalid, like [throttle.NewLocal].
func (s *Store) Limiter(p throttle.Policy) *Limiter {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	return &Limiter{s: s, p: p, local: throttle.NewLocal(p, s.opt.Now)}
}

// Limiter is a [throttle.Limiter] over Redis. It is safe for concurrent use.
type Limiter struct {
	s     *Store
	p     throttle.Policy
	local *throttle.Local // while Redis is unreachable
}

var _ throttle.Limiter = (*Limiter)(nil)

// Both scripts take KEYS[1] the hash and ARGV[1] the time in µs, or -1 for
// the Redis server's clock. Numbers written to Redis are formatted with
// %.0f: Lua's default formatting keeps only 14 significant digits, and a µs
// clock has 16.
const clock = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
`

// checkScript returns the µs until the key may try again (0 when not
// locked). It writes nothing: a key whose failures are forgotten is never
// locked, and its TTL removes it.
var checkScript = goredis.NewScript(clock + `
local u = tonumber(redis.call('HGET', KEYS[1], 'u'))
if not u or u <= now then
  return 0
end
return u - now
`)

// failScript: ARGV[2..5] the policy's Free, and Base, Max and Window in µs.
// It counts a failure and returns the µs the key is now locked for.
var failScript = goredis.NewScript(clock + `
local free = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
local v = redis.call('HMGET', KEYS[1], 'f', 'u')
local f = tonumber(v[1]) or 0
local u = tonumber(v[2]) or 0
if now >= u + window then
  f = 0
end
f = f + 1
local d = 0
local over = f - free
if over > 0 then
  d = base
  for i = 2, over do
    if d > max / 2 then
      d = max
      break
    end
    d = d * 2
  end
  if d > max then
    d = max
  end
end
local lock = now + d
if u > lock then
  lock = u
end
redis.call('HSET', KEYS[1], 'f', string.format('%.0f', f), 'u', string.format('%.0f', lock))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil((lock + window - now) / 1000) + 1000))
return lock - now
`)

// Check implements [throttle.Limiter].
func (l *Limiter) Check(ctx context.Context, key string) (time.Duration, error) {
	local, err := l.local.Check(ctx, key)
	if err != nil {
		return 0, err
	}
	var us int64
	err = l.s.do(ctx, func(ctx context.Context) error {
		var err error
		us, err = checkScript.Run(ctx, l.s.rdb, []string{l.s.Key(key)}, l.s.now()).Int64()
		return err
	})
	if err != nil {
		if errors.Is(err, errUnavailable) {
			return local, nil
		}
		return 0, err
	}
	return max(l.clamp(us), local), nil
}

// Fail implements [throttle.Limiter].
func (l *Limiter) Fail(ctx context.Context, key string) (time.Duration, error) {
	var us int64
	err := l.s.do(ctx, func(ctx context.Context) error {
		var err error
		us, err = failScript.Run(ctx, l.s.rdb, []string{l.s.Key(key)}, l.s.now(),
			l.p.Free, l.p.Base.Microseconds(), l.p.Max.Microseconds(), l.p.Window.Microseconds()).Int64()
		return err
	})
	if err != nil {
		if errors.Is(err, errUnavailable) {
			return l.local.Fail(ctx, key)
		}
		return 0, err
	}
	return l.clamp(us), nil
}

// Reset implements [throttle.Limiter]. While Redis is unreachable only this
// instance's counters are reset; the shared ones remain.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if err := l.local.Reset(ctx, key); err != nil {
		return err
	}
	err := l.s.do(ctx, func(ctx context.Context) error {
		return l.s.rdb.Del(ctx, l.s.Key(key)).Err()
	})
	if errors.Is(err, errUnavailable) {
		return nil
	}
	return err
}

// clamp turns µs from a script into a delay within [0, Max]: a Redis clock
// that stepped back must not lock a key for longer than the policy allows.
func (l *Limiter) clamp(us int64) time.Duration {
	return min(max(time.Duration(us)*time.Microsecond, 0), l.p.Max)
}

// errUnavailable marks a call that Redis did not answer.
var errUnavailable = errors.New("throttle/redis: redis unavailable")

// now is the time argument of the scripts.
func (s *Store) now() int64 {
	if s.opt.Now == nil {
		return -1
	}
	return s.opt.Now().UnixMicro()
}

// do runs one call to Redis within the timeout. It returns an error wrapping
// errUnavailable when Redis failed or is in its backoff, the caller's
// context error when the caller gave up, and logs the start and the end of
// an outage.
func (s *Store) do(ctx context.Context, call func(context.Context) error) error {
	if until := s.down.Load(); until != 0 && time.Now().UnixNano() < until {
		return errUnavailable
	}
	cctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	err := call(cctx)
	if err == nil {
		s.down.Store(0)
		if s.outage.Swap(false) {
			s.opt.Log.Info("sign-in throttling: Redis answers again; failures are counted for the whole fleet", "prefix", s.opt.Prefix)
		}
		return nil
	}
	if ctx.Err() != nil {
		// The caller gave up: not Redis's fault.
		return fmt.Errorf("throttle/redis: %w", ctx.Err())
	}
	s.down.Store(time.Now().Add(s.opt.Backoff).UnixNano())
	if !s.outage.Swap(true) {
		s.opt.Log.Warn("sign-in throttling: Redis unreachable; each instance counts failures in its own memory until it is back", "prefix", s.opt.Prefix, "err", err)
	}
	return fmt.Errorf("%w: %w", errUnavailable, err)
}
