// Package redis is the Redis implementation of lock.Locker, for a fleet of
// Ocean instances sharing one Redis (single node or Sentinel; the key design
// is Redis Cluster-safe). Import it as lockredis.
//
// Keys, for a lock named K in namespace N (default "ocean:lock"):
//
//	N:{K}           hash: v = random per-grant value, h = holder, t = token, a = grant time (µs); PX = TTL
//	N:{K}:fence     last token of K (kept 24h after its last grant)
//	N:{K}:released  pub/sub channel the releaser publishes to
//
// K is escaped (% { } as %25 %7B %7D) so it never ends the tag early. The
// hash tag {K} puts all three in one cluster slot, so each script
// touches a single slot. Grant, extend and release are Lua scripts: the
// grant sets the key and increments the fence in one atomic step, extend and
// release compare the per-grant value first (compare-and-set/-delete).
//
// Waiters subscribe (one shared pub/sub connection per Locker, reference
// counted per key) before their second attempt, so a release wakes them at
// once; the jittered backoff and the holder's remaining TTL bound the wait
// when a message is missed or the holder's key simply expires.
//
// Every Redis call is bounded by its context, even when the client was
// built without ContextTimeoutEnabled, so a stalled connection cannot hold a
// watchdog past the lease's validity.
package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/lock"
)

// DefaultNamespace prefixes every key.
const DefaultNamespace = "ocean:lock"

// fenceTTL is how long a key's last token is remembered after its last
// grant. Tokens also never fall below the Redis clock in µs, so forgetting
// is safe: it only loses protection against the server clock stepping back.
const fenceTTL = 24 * time.Hour

// Locker is a lock.Locker over Redis. Close it to drop its pub/sub
// connection.
type Locker struct {
	*lock.Client
	backend *Backend
}

// New returns a Locker over rdb. namespace "" means DefaultNamespace; opts
// are the defaults for every grant.
func New(rdb goredis.UniversalClient, namespace string, opts ...lock.Option) *Locker {
	b := NewBackend(rdb, namespace)
	return &Locker{Client: lock.New(b, opts...), backend: b}
}

// Backend returns the Redis backend (key names, direct operations).
func (l *Locker) Backend() *Backend { return l.backend }

// Close stops waking waiters through pub/sub (they fall back to polling).
// It does not release leases.
func (l *Locker) Close() error { return l.backend.Close() }

// Backend is the Redis lock.Backend.
type Backend struct {
	rdb goredis.UniversalClient
	ns  string
	hub hub
}

var _ lock.Backend = (*Backend)(nil)

// NewBackend returns a Backend with keys under namespace ("" for the default).
func NewBackend(rdb goredis.UniversalClient, namespace string) *Backend {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if strings.ContainsAny(namespace, "{}") {
		panic("lock/redis: namespace " + namespace + " contains a brace, which would break the keys' hash tags")
	}
	b := &Backend{rdb: rdb, ns: namespace}
	b.hub.rdb = rdb
	return b
}

// Lock names are escaped so that the hash tag is exactly the name: a '}' in
// a name would end the tag early (or leave it empty, which makes Redis hash
// the whole key and split a lock from its fence across slots).
var (
	nameEscaper   = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")
	nameUnescaper = strings.NewReplacer("%25", "%", "%7B", "{", "%7D", "}")
)

// Key returns the Redis key of lock name.
func (b *Backend) Key(name string) string { return b.ns + ":{" + nameEscaper.Replace(name) + "}" }

func (b *Backend) fenceKey(name string) string { return b.Key(name) + ":fence" }
func (b *Backend) channel(name string) string  { return b.Key(name) + ":released" }

// Close closes the pub/sub connection.
func (b *Backend) Close() error { return b.hub.close() }

// KEYS[1] lock, KEYS[2] fence; ARGV value, holder, ttl ms, fence ttl ms.
// Returns {1, token} or {0, pttl of the holder}.
var grabScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('PTTL', KEYS[1])}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tok = tonumber(redis.call('GET', KEYS[2]) or '0') + 1
if now > tok then tok = now end
local s = string.format('%.0f', tok)
redis.call('SET', KEYS[2], s, 'PX', ARGV[4])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'h', ARGV[2], 't', s, 'a', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, s}
`)

// KEYS[1] lock; ARGV value, ttl ms. 1 extended, 0 not ours.
var extendScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'v') == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// KEYS[1] lock; ARGV value, channel. 1 deleted, 0 not ours.
var releaseScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'v') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], '1')
  return 1
end
return 0
`)

// bounded runs f but returns when ctx ends even if f is blocked on a
// connection that ignores deadlines; f then finishes in the background.
func bounded[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	if ctx.Done() == nil {
		return f(ctx)
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}

func ms(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

// Grab implements lock.Backend.
func (b *Backend) Grab(ctx context.Context, name, value, holder string, ttl time.Duration) (int64, time.Duration, error) {
	res, err := bounded(ctx, func(ctx context.Context) ([]any, error) {
		return grabScript.Run(ctx, b.rdb, []string{b.Key(name), b.fenceKey(name)},
			value, holder, ms(ttl), fenceTTL.Milliseconds()).Slice()
	})
	if err != nil {
		return 0, 0, err
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("grab script: unexpected reply %v", res)
	}
	if ok, _ := res[0].(int64); ok != 1 {
		pttl, _ := res[1].(int64)
		return 0, time.Duration(max(pttl, 0)) * time.Millisecond, lock.ErrNotAcquired
	}
	s, _ := res[1].(string)
	tok, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("grab script: bad token %q", s)
	}
	return tok, 0, nil
}

// Extend implements lock.Backend.
func (b *Backend) Extend(ctx context.Context, name, value string, ttl time.Duration) error {
	n, err := bounded(ctx, func(ctx context.Context) (int64, error) {
		return extendScript.Run(ctx, b.rdb, []string{b.Key(name)}, value, ms(ttl)).Int64()
	})
	if err != nil {
		return err
	}
	if n != 1 {
		return lock.ErrLockLost
	}
	return nil
}

// Release implements lock.Backend.
func (b *Backend) Release(ctx context.Context, name, value string) error {
	n, err := bounded(ctx, func(ctx context.Context) (int64, error) {
		return releaseScript.Run(ctx, b.rdb, []string{b.Key(name)}, value, b.channel(name)).Int64()
	})
	if err != nil {
		return err
	}
	if n != 1 {
		return lock.ErrLockLost
	}
	return nil
}

// Watch implements lock.Backend.
func (b *Backend) Watch(ctx context.Context, name string) (<-chan struct{}, func()) {
	return b.hub.watch(ctx, b.channel(name))
}

// Held implements lock.Backend: SCAN on every primary.
func (b *Backend) Held(ctx context.Context) ([]lock.Info, error) {
	return bounded(ctx, b.held)
}

func (b *Backend) held(ctx context.Context) ([]lock.Info, error) {
	var (
		mu  sync.Mutex
		out []lock.Info
	)
	scan := func(ctx context.Context, c goredis.UniversalClient) error {
		infos, err := b.scan(ctx, c)
		mu.Lock()
		out = append(out, infos...)
		mu.Unlock()
		return err
	}
	var err error
	if cc, ok := b.rdb.(*goredis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, b.rdb)
	}
	return out, err
}

var globEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)

func (b *Backend) scan(ctx context.Context, c goredis.UniversalClient) ([]lock.Info, error) {
	now, err := c.Time(ctx).Result()
	if err != nil {
		return nil, err
	}
	prefix := b.ns + ":{"
	pattern := globEscaper.Replace(prefix) + "*}"
	var out []lock.Info
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, pattern, 500).Result()
		if err != nil {
			return out, err
		}
		if len(keys) > 0 {
			pipe := c.Pipeline()
			fields := make([]*goredis.SliceCmd, len(keys))
			ttls := make([]*goredis.DurationCmd, len(keys))
			for i, k := range keys {
				fields[i] = pipe.HMGet(ctx, k, "h", "t", "a")
				ttls[i] = pipe.PTTL(ctx, k)
			}
			_, _ = pipe.Exec(ctx)
			for i := range keys {
				// A reply error (WRONGTYPE on a foreign key) skips the key;
				// a connection error stops the scan.
				for _, err := range []error{fields[i].Err(), ttls[i].Err()} {
					var rerr goredis.Error
					if err != nil && !errors.Is(err, goredis.Nil) && !errors.As(err, &rerr) {
						return out, err
					}
				}
			}
			for i, k := range keys {
				vals, err := fields[i].Result()
				ttl := ttls[i].Val()
				if err != nil || len(vals) != 3 || vals[1] == nil || ttl <= 0 {
					continue // released meanwhile, or not a lock
				}
				holder, _ := vals[0].(string)
				tok, _ := strconv.ParseInt(fmt.Sprint(vals[1]), 10, 64)
				at, _ := strconv.ParseInt(fmt.Sprint(vals[2]), 10, 64)
				acquired := time.UnixMicro(at)
				out = append(out, lock.Info{
					Key:    nameUnescaper.Replace(strings.TrimSuffix(strings.TrimPrefix(k, prefix), "}")),
					Holder: holder, Token: tok, Acquired: acquired,
					Age: now.Sub(acquired), TTL: ttl,
				})
			}
		}
		if next == 0 {
			return out, nil
		}
		cursor = next
	}
}
