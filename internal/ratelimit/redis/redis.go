// Package redis is the rate limiter shared by every instance of a shop: the
// sliding log of package ratelimit kept in Redis.
//
// # Data
//
// Each class and key has one sorted set, "<prefix>{<class>:<key>}" (the
// braces are a Redis Cluster hash tag; every call touches exactly one key).
// Its members are the accepted requests of the last window, scored by their
// time in microseconds by the Redis server's clock. One Lua script, atomic on
// the server, drops members older than the window (ZREMRANGEBYSCORE), counts
// the rest (ZCARD), and when there are fewer than the limit adds the request
// (ZADD) and sets the key to expire one window later (PEXPIRE). Only the
// server's clock is read, so instances whose clocks disagree still agree on
// every decision. Refused requests are not logged: a key holds at most Limit
// members, about 25 bytes each in Redis's compact encoding, plus ~100 bytes of
// key overhead, and disappears one window after its last accepted request.
//
// # When Redis is unreachable
//
// A call that fails or takes longer than Options.Timeout is answered by the
// class's policy: FailOpen classes are served by an in-process limiter (the
// same policy per instance, so a fleet of N instances admits at most N times
// the limit while Redis is down); other classes are refused with a short
// Retry-After. Either way the error (wrapping ratelimit.ErrUnavailable) is
// returned for the caller to log. After a failure Redis is left alone for
// Options.Backoff, so an outage does not add a timeout to every request;
// the first call after that probes it again, and the limiter recovers by
// itself when Redis is back.
package redis

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/ratelimit"
	"github.com/oceanshop/ocean/internal/ratelimit/local"
)

// Options tune a Limiter; the zero value is fine.
type Options struct {
	// Prefix starts every key ("ocean:rl:" if empty). Shops sharing one
	// Redis use different prefixes.
	Prefix string

	// Timeout bounds one call to Redis (250ms if 0).
	Timeout time.Duration

	// Backoff is how long Redis is not asked after a failure (1s if 0).
	Backoff time.Duration

	// Fallback answers FailOpen classes while Redis is unreachable. Nil:
	// an in-process local.Limiter with the same policies.
	Fallback ratelimit.Limiter
}

// Limiter is the Redis sliding-log limiter.
type Limiter struct {
	rdb      goredis.UniversalClient
	policies map[string]ratelimit.Policy
	opt      Options
	id       string        // this instance's member prefix
	seq      atomic.Uint64 // makes members unique
	down     atomic.Int64  // unix ns until which Redis is not asked
}

// New returns a limiter for the given policies over rdb.
func New(rdb goredis.UniversalClient, policies []ratelimit.Policy, opt Options) (*Limiter, error) {
	idx, err := ratelimit.Index(policies)
	if err != nil {
		return nil, err
	}
	if opt.Prefix == "" {
		opt.Prefix = "ocean:rl:"
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 250 * time.Millisecond
	}
	if opt.Backoff <= 0 {
		opt.Backoff = time.Second
	}
	if opt.Fallback == nil {
		if opt.Fallback, err = local.New(policies, local.Options{}); err != nil {
			return nil, err
		}
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	return &Limiter{rdb: rdb, policies: idx, opt: opt, id: hex.EncodeToString(id[:]) + ":"}, nil
}

// The script's arguments: KEYS[1] the log; ARGV[1] the limit, ARGV[2] the
// window in µs, ARGV[3] a unique member. It returns {allowed (0/1), logged
// requests, µs until the oldest leaves the window, µs until a refused request
// could pass}. Timestamps are formatted with %.0f: Lua's default number
// formatting keeps only 14 significant digits, and a µs clock has 16.
var script = goredis.NewScript(`
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.0f', now - window))
local n = redis.call('ZCARD', key)
local allowed = 0
if n < limit then
  redis.call('ZADD', key, string.format('%.0f', now), ARGV[3])
  redis.call('PEXPIRE', key, math.floor(window / 1000) + 1)
  n = n + 1
  allowed = 1
end
local oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
local retry = 0
if allowed == 0 then
  local i = n - limit
  retry = tonumber(redis.call('ZRANGE', key, i, i, 'WITHSCORES')[2]) + window - now
end
return {allowed, n, oldest + window - now, retry}
`)

// Key returns the Redis key of a class and client key. Client keys longer
// than 64 bytes are replaced by a hash, so a caller's key cannot make Redis
// keys arbitrarily long.
func (l *Limiter) Key(class, key string) string {
	if len(key) > 64 {
		sum := sha256.Sum256([]byte(key))
		key = "#" + hex.EncodeToString(sum[:16])
	}
	return l.opt.Prefix + "{" + class + ":" + key + "}"
}

// Allow implements ratelimit.Limiter.
func (l *Limiter) Allow(ctx context.Context, class, key string) (ratelimit.Decision, error) {
	p, ok := l.policies[class]
	if !ok {
		return ratelimit.UnknownClass(class)
	}
	if p.Off() {
		return ratelimit.Unlimited(p), nil
	}
	if until := l.down.Load(); until != 0 && time.Now().UnixNano() < until {
		return l.unavailable(ctx, p, key, errors.New("redis failed recently; retrying after backoff"))
	}
	cctx, cancel := context.WithTimeout(ctx, l.opt.Timeout)
	defer cancel()
	member := l.id + strconv.FormatUint(l.seq.Add(1), 36)
	window := p.Window.Microseconds()
	res, err := script.Run(cctx, l.rdb, []string{l.Key(class, key)}, p.Limit, window, member).Int64Slice()
	if err == nil && len(res) != 4 {
		err = fmt.Errorf("unexpected script reply %v", res)
	}
	if err != nil {
		if ctx.Err() != nil {
			// The caller gave up: not Redis's fault.
			return ratelimit.Decision{Policy: p}, fmt.Errorf("ratelimit: %w", ctx.Err())
		}
		l.down.Store(time.Now().Add(l.opt.Backoff).UnixNano())
		return l.unavailable(ctx, p, key, err)
	}
	l.down.Store(0)
	d := ratelimit.Decision{
		Policy:    p,
		Allowed:   res[0] == 1,
		Remaining: max(p.Limit-int(res[1]), 0),
		Reset:     clamp(res[2], p.Window),
	}
	if !d.Allowed {
		d.RetryAfter = clamp(res[3], p.Window)
	}
	return d, nil
}

func (l *Limiter) unavailable(ctx context.Context, p ratelimit.Policy, key string, cause error) (ratelimit.Decision, error) {
	err := fmt.Errorf("%w: redis: %w", ratelimit.ErrUnavailable, cause)
	if !p.FailOpen {
		return ratelimit.Offline(p), err
	}
	d, ferr := l.opt.Fallback.Allow(ctx, p.Name, key)
	if ferr != nil {
		// A fallback that cannot answer: open means open.
		return ratelimit.Decision{Allowed: true, Policy: p, Remaining: p.Limit, Reset: p.Window}, errors.Join(err, ferr)
	}
	return d, err
}

// clamp turns µs from the script into a wait within (0, window]: a logged
// request stays in the window until strictly after its time + window, and a
// Redis clock that stepped back must not produce a wait beyond a window.
func clamp(us int64, window time.Duration) time.Duration {
	return min(max(time.Duration(us)*time.Microsecond, time.Microsecond), window)
}
