// Package redis holds the Redis implementations of the ports that must be
// shared when several Ocean instances serve one shop: the two-tier catalog
// cache here; the lock framework and the rate limiter (issue 5) too.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	randv2 "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/local"
	"github.com/oceanshop/ocean/internal/observe"
)

// Cache is the catalog cache for a fleet, in two tiers: this instance's
// in-process cache (local.Cache), then values serialized in Redis that every
// instance reads (catalog.EncodeCacheValue). A local miss asks Redis (one
// request per key at a time per instance); a Redis miss is the caller's to
// load from the database, and Set stores the result in both tiers.
//
// Invalidation: Invalidate bumps a generation counter in Redis, clears this
// instance's tier and publishes the new generation on the channel, on which
// every other instance clears its own tier. Each Redis value carries the
// generation it was computed in and is ignored once the generation has moved
// past it, so a value a slow loader writes after a write is never served.
//
// Tags (catalog.Cache): InvalidateTags bumps the same Redis counter, drops
// the tags in this instance's tier, and publishes them with the new
// generation; every other instance drops them in its own. A Redis value
// carries its tags and the generation this instance had heard of when the
// value's load began, and is ignored once one of its tags was dropped at a
// later generation. An instance that starts reads the counter and ignores
// every value from before it, so it never serves a value whose tags were
// dropped before it could hear.
//
// A read of the Redis tier that fails (it timed out on a busy machine, or
// Redis is away) skips the Redis tier's reads and stores for a second; it
// does not change how writes invalidate, which try Redis with their own,
// longer timeout (decision 0230): a slow read turning every write into a
// fleet-wide flush emptied the fleet's caches under load.
//
// When Redis is unreachable (or the subscription is down, so invalidations
// from others could be missed) the Redis tier is skipped: reads go to the
// in-process tier and the database, and the in-process tier keeps what it
// stores for at most OutageTTL, which bounds how stale an instance can be
// while it cannot hear the fleet. The outage is logged once, not per request.
// When the subscription returns, the generation is bumped (a write may have
// gone unannounced) and the in-process tier starts clean.
type Cache struct {
	local     *local.Cache
	rdb       goredis.UniversalClient
	cfg       CacheConfig
	self      string
	log       *slog.Logger
	bumpGen   *goredis.Script
	live      atomic.Bool         // subscribed: invalidations from others arrive
	needBump  atomic.Bool         // a write could not bump the generation in Redis yet
	outage    atomic.Bool         // an outage is in progress (and was logged)
	downUntil atomic.Int64        // unix nanos: after a failed command, skip the Redis tier until then
	writeDown atomic.Int64        // unix nanos: after a failed write (not a slow read), invalidate locally until then
	slowLines *observe.LogLimiter // failed reads, logged a line a minute
	lastTry   atomic.Int64        // unix nanos of the last retried bump
	counts    catalog.CacheCounters
	fetches   singleflight.Group

	mu      sync.RWMutex      // held to move both tiers' generations together
	rgen    uint64            // Redis values from before this generation are ignored
	rseq    uint64            // the newest Redis generation heard of (full or tags)
	dropped map[string]uint64 // tag → the Redis generation it was last dropped in
	hist    [histLen]stamp    // local generation → rseq when it began

	ps     *goredis.PubSub
	cancel context.CancelFunc
	done   chan struct{}
}

// CacheConfig configures a Cache.
type CacheConfig struct {
	// Channel is the pub/sub channel on which the instances of one shop
	// announce invalidations.
	Channel string
	// Prefix starts every key the cache writes: Prefix+"gen" holds the
	// generation, Prefix+"v1:"+key the values. Default: Channel+":".
	Prefix string
	// Entries bounds the in-process tier (default 10000).
	Entries int
	// OutageTTL bounds how long the in-process tier keeps a value while
	// Redis is unreachable (default 1s).
	OutageTTL time.Duration
	// Timeout bounds one Redis command on the read path (default 250ms).
	Timeout time.Duration
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
	// Draw is the uniform draw in (0, 1] behind the probabilistic early
	// refresh of values read from Redis (default random). A contract test
	// that needs every shared read to hit fixes it at 1: refresh only
	// what has expired.
	Draw func() float64
}

// stamp pairs a generation of the in-process tier with the Redis generation
// this instance had heard of when it began: what a value loaded in that
// local generation is stamped with in Redis.
type stamp struct{ local, redis uint64 }

// histLen is how many local generations keep their stamp: a load that
// takes longer than this many invalidations is stored in this process only.
const histLen = 4096

// maxDropped bounds the tags remembered; past it a tag invalidation counts
// as a full one for the Redis tier.
const maxDropped = 1 << 17

// retryAfter is how long the Redis tier is skipped after a failed command.
const retryAfter = time.Second

// bumpScript moves the generation on and returns it. The generation never
// goes backwards, even if the key was evicted or Redis restarted from an old
// snapshot: it is at least the time in microseconds.
const bumpScript = `
local g = redis.call('INCR', KEYS[1])
local t = tonumber(ARGV[1])
if g < t then
	redis.call('SET', KEYS[1], ARGV[1])
	g = t
end
return g`

// NewCache starts the subscriber and returns the cache. Close stops it.
func NewCache(rdb goredis.UniversalClient, cfg CacheConfig, log *slog.Logger) *Cache {
	if cfg.Prefix == "" {
		cfg.Prefix = cfg.Channel + ":"
	}
	if cfg.OutageTTL <= 0 {
		cfg.OutageTTL = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 250 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Draw == nil {
		cfg.Draw = func() float64 { return 1 - randv2.Float64() } //nolint:gosec // early-expiry draw; nothing to guess
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cache{
		local: local.New(local.Options{Entries: cfg.Entries, Now: cfg.Now}),
		rdb:   rdb, cfg: cfg, self: hex.EncodeToString(id[:]), log: log,
		bumpGen: goredis.NewScript(bumpScript),
		cancel:  cancel, done: make(chan struct{}),
		dropped:   map[string]uint64{},
		slowLines: observe.NewLogLimiter(time.Minute, 1),
	}
	// Subscribe connects lazily enough that an unreachable Redis does not
	// block here; Receive reports the error and the loop retries.
	c.ps = rdb.Subscribe(ctx, cfg.Channel)
	go c.subscribe(ctx)
	return c
}

// Live reports whether invalidations from other instances are arriving.
func (c *Cache) Live() bool { return c.live.Load() }

func (c *Cache) subscribe(ctx context.Context) {
	defer close(c.done)
	first := true
	backoff := 50 * time.Millisecond
	for {
		msg, err := c.ps.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if c.live.Swap(false) {
				// From now on another instance's write could go unheard:
				// forget what this one holds, keep new values only briefly.
				c.moveTo(ctx, 0)
			}
			c.failed(err)
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				if !c.resync(ctx, first) {
					return
				}
				first = false
				backoff = 50 * time.Millisecond
				if !c.live.Swap(true) {
					c.log.Info("catalog cache live: subscribed to invalidations", "channel", c.cfg.Channel)
				}
			}
		case *goredis.Message:
			c.heard(ctx, m.Payload)
		}
	}
}

// resync learns the Redis generation after (re)subscribing, retrying until
// it can. After an outage it bumps the generation: a write may have gone
// unannounced while Redis was away, and the Redis tier may hold values
// computed before it (or Redis may have restarted from an old snapshot).
func (c *Cache) resync(ctx context.Context, first bool) bool {
	backoff := 50 * time.Millisecond
	for {
		var g uint64
		var err error
		if first && !c.needBump.Load() {
			g, err = c.readGen(ctx)
		} else {
			g, err = c.bump(ctx)
		}
		if err == nil {
			c.needBump.Store(false)
			c.moveTo(ctx, g)
			c.recovered()
			if !first {
				c.publish(ctx, g)
			}
			return true
		}
		c.failed(err)
		if !sleep(ctx, backoff) {
			return false
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// heard handles another instance's invalidation: "<instance> <generation>
// <prefix>" for everything, "<instance> <generation> <prefix> <tag>,<tag>…"
// for tags, with "?" for the generation when that instance could not bump
// it (then this one must not trust the Redis tier until someone does). A
// message about another shop's keys (another prefix on the same channel)
// clears the in-process tier and nothing else; a message without a prefix
// comes from an older release and is treated as this shop's, generation
// unknown.
func (c *Cache) heard(ctx context.Context, payload string) {
	f := strings.Fields(payload)
	if len(f) == 0 || f[0] == c.self {
		return
	}
	if len(f) >= 3 && f[2] != c.cfg.Prefix {
		c.moveTo(ctx, 0)
		return
	}
	var g uint64
	err := strconv.ErrSyntax
	if len(f) >= 2 {
		g, err = strconv.ParseUint(f[1], 10, 64)
	}
	if err != nil {
		c.needBump.Store(true)
	} else if len(f) >= 4 {
		c.dropTags(ctx, g, strings.Split(f[3], ","))
		return
	}
	c.moveTo(ctx, g)
}

// moveTo clears the in-process tier and moves on to Redis generation g (if
// it is newer), both under mu: a value read from Redis or loaded under the
// old generations is not stored after this.
func (c *Cache) moveTo(ctx context.Context, g uint64) {
	c.mu.Lock()
	if g > c.rgen {
		c.rgen = g
		clear(c.dropped)
	}
	c.rseq = max(c.rseq, g)
	c.local.Invalidate(ctx)
	c.record(ctx)
	c.mu.Unlock()
}

// dropTags drops tags, dropped in Redis generation g, from the in-process
// tier and from what this instance accepts from Redis.
func (c *Cache) dropTags(ctx context.Context, g uint64, tags []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rseq = max(c.rseq, g)
	if len(c.dropped)+len(tags) > maxDropped {
		c.rgen = max(c.rgen, g)
		clear(c.dropped)
	} else {
		for _, t := range tags {
			c.dropped[t] = max(c.dropped[t], g)
		}
	}
	c.local.InvalidateTags(ctx, tags...)
	c.record(ctx)
}

// record notes the Redis generation heard of as the stamp of the local
// generation just begun (mu held).
func (c *Cache) record(ctx context.Context) {
	l := c.local.Gen(ctx)
	c.hist[l%histLen] = stamp{local: l, redis: c.rseq}
}

// stampOf returns the Redis stamp for a value loaded in local generation
// gen (mu held); false when it is too old to know.
func (c *Cache) stampOf(gen uint64) (uint64, bool) {
	s := c.hist[gen%histLen]
	return s.redis, s.local == gen
}

// stale reports whether a Redis value stamped gen with tags must be
// ignored: from before the last full invalidation, or one of its tags
// dropped after it.
func (c *Cache) stale(gen uint64, tags []string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if gen < c.rgen {
		return true
	}
	for _, t := range tags {
		if c.dropped[t] > gen {
			return true
		}
	}
	return false
}

func (c *Cache) genKey() string             { return c.cfg.Prefix + "gen" }
func (c *Cache) valueKey(key string) string { return c.cfg.Prefix + "v1:" + key }

func (c *Cache) readGen(ctx context.Context) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	g, err := c.rdb.Get(ctx, c.genKey()).Uint64()
	if errors.Is(err, goredis.Nil) {
		return c.bump(ctx)
	}
	return g, err
}

func (c *Cache) bump(ctx context.Context) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	now := strconv.FormatInt(time.Now().UnixMicro(), 10)
	g, err := c.bumpGen.Run(ctx, c.rdb, []string{c.genKey()}, now).Int64()
	return uint64(g), err //nolint:gosec // INCR counts up from 0: never negative
}

func (c *Cache) publish(ctx context.Context, g uint64, tags ...string) {
	gen := "?"
	if g != 0 {
		gen = strconv.FormatUint(g, 10)
	}
	msg := c.self + " " + gen + " " + c.cfg.Prefix
	if len(tags) > 0 {
		msg += " " + strings.Join(tags, ",")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := c.rdb.Publish(ctx, c.cfg.Channel, msg).Err(); err != nil {
		c.failed(err)
	}
}

// failed notes a Redis error outside the read path (a generation bump, a
// publish, the subscription): the Redis tier is skipped for a while, writes
// drop everything here instead of announcing tags, and the first error of
// an outage is logged.
func (c *Cache) failed(err error) {
	until := time.Now().Add(retryAfter).UnixNano()
	c.downUntil.Store(until)
	c.writeDown.Store(until)
	if !c.outage.Swap(true) {
		c.log.Warn("catalog cache: Redis unreachable; serving from this process and the database until it returns", "err", err)
	}
}

// slowRead notes a failed read or store of the Redis tier, with its short
// timeout: the tier is skipped for a while (a busy Redis gets a rest, a
// request does not wait for it again). Writes still announce their tags: a
// bump or publish that fails is failed's. Logged at most once a minute,
// with how many failed since the last line.
func (c *Cache) slowRead(err error) {
	c.downUntil.Store(time.Now().Add(retryAfter).UnixNano())
	if log, unsaid := c.slowLines.Note(time.Now()); log {
		c.log.Warn("catalog cache: Redis reads failed; each time, reading from this process and the database for a second",
			"failed", unsaid+1, "err", err, "timeout", c.cfg.Timeout)
	}
}

// writable reports whether a write may announce itself through Redis.
func (c *Cache) writable() bool {
	return c.live.Load() && time.Now().UnixNano() >= c.writeDown.Load()
}

// recovered notes a Redis command that worked.
func (c *Cache) recovered() {
	if c.outage.Load() && c.outage.CompareAndSwap(true, false) {
		c.downUntil.Store(0)
		c.writeDown.Store(0)
		c.log.Info("catalog cache: Redis reachable again")
	}
}

// shared reports whether the Redis tier may be used now.
func (c *Cache) shared(ctx context.Context) bool {
	if !c.live.Load() || time.Now().UnixNano() < c.downUntil.Load() {
		return false
	}
	if c.needBump.Load() {
		return c.retryBump(ctx)
	}
	return true
}

// retryBump tries again, at most once a second, to bump the generation that
// a write could not. Until it succeeds the Redis tier may hold values from
// before that write and is not used.
func (c *Cache) retryBump(ctx context.Context) bool {
	now, last := time.Now().UnixNano(), c.lastTry.Load()
	if now-last < int64(time.Second) || !c.lastTry.CompareAndSwap(last, now) {
		return false
	}
	g, err := c.bump(ctx)
	if err != nil {
		c.failed(err)
		return false
	}
	c.recovered()
	c.needBump.Store(false)
	c.moveTo(ctx, g)
	c.publish(ctx, g)
	return true
}

// A Redis value: version byte (2), generation, expiry (Unix ms), the tags
// (a count, then each as a length byte and its bytes), payload. Values of
// version 1 (no tags) are ignored.
const headerLen = 17

func encodeValue(gen uint64, exp time.Time, tags []string, payload []byte) []byte {
	n := headerLen + 2 + len(payload)
	for _, t := range tags {
		n += 1 + len(t)
	}
	b := make([]byte, headerLen, n)
	b[0] = 2
	binary.BigEndian.PutUint64(b[1:], gen)
	binary.BigEndian.PutUint64(b[9:], uint64(exp.UnixMilli()))
	b = binary.BigEndian.AppendUint16(b, uint16(len(tags))) //nolint:gosec // a page holds at most a few hundred products
	for _, t := range tags {
		b = append(b, byte(len(t))) //nolint:gosec // tags are short names ("p:123")
		b = append(b, t...)
	}
	return append(b, payload...)
}

func decodeValue(b []byte) (gen uint64, exp time.Time, tags []string, payload []byte, ok bool) {
	if len(b) < headerLen+2 || b[0] != 2 {
		return 0, time.Time{}, nil, nil, false
	}
	gen = binary.BigEndian.Uint64(b[1:])
	exp = time.UnixMilli(int64(binary.BigEndian.Uint64(b[9:]))) //nolint:gosec // the bits encodeValue wrote from an int64
	n := int(binary.BigEndian.Uint16(b[headerLen:]))
	rest := b[headerLen+2:]
	if n > 0 {
		tags = make([]string, 0, n)
	}
	for range n {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return 0, time.Time{}, nil, nil, false
		}
		l := int(rest[0])
		tags = append(tags, string(rest[1:1+l]))
		rest = rest[1+l:]
	}
	return gen, exp, tags, rest, true
}

// Gen implements catalog.Cache.
func (c *Cache) Gen(ctx context.Context) uint64 { return c.local.Gen(ctx) }

type fetched struct {
	v       any
	ok      bool // a hit
	refresh bool // a miss because the entry is due for early refresh
	asked   bool // Redis was asked (and answered)
}

// Get implements catalog.Cache: the in-process tier, then Redis.
func (c *Cache) Get(ctx context.Context, key string) (any, bool) {
	if v, ok := c.local.Get(ctx, key); ok {
		return v, true
	}
	if !c.shared(ctx) {
		return nil, false
	}
	c.mu.RLock()
	lgen, rgen := c.local.Gen(ctx), c.rgen
	c.mu.RUnlock()
	r, _, _ := c.fetches.Do(key+"\x00"+strconv.FormatUint(lgen, 10), func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.Timeout)
		defer cancel()
		b, err := c.rdb.Get(ctx, c.valueKey(key)).Bytes()
		return c.accept(ctx, key, b, err, lgen, rgen), nil
	})
	f := r.(fetched)
	c.count(key, f)
	return f.v, f.ok
}

// accept turns a Redis answer into a result, storing a hit in the
// in-process tier.
func (c *Cache) accept(ctx context.Context, key string, b []byte, err error, lgen, rgen uint64) fetched {
	if errors.Is(err, goredis.Nil) {
		c.recovered()
		return fetched{asked: true}
	}
	if err != nil {
		c.slowRead(err)
		return fetched{}
	}
	c.recovered()
	gen, exp, tags, payload, ok := decodeValue(b)
	if !ok || gen < rgen || c.stale(gen, tags) {
		return fetched{asked: true} // from before a write: never served
	}
	now := c.cfg.Now()
	localTTL, _ := catalog.CacheTTL(key)
	if catalog.RefreshEarly(now, exp, localTTL, c.cfg.Draw()) {
		// It would expire before this instance asks again: reload it.
		return fetched{asked: true, refresh: true}
	}
	v, err := catalog.DecodeCacheValue(key, payload)
	if err != nil {
		return fetched{asked: true}
	}
	c.local.Put(ctx, key, v, lgen, min(catalog.Jitter(localTTL), exp.Sub(now)), tags...)
	return fetched{v: v, ok: true, asked: true}
}

func (c *Cache) count(key string, f fetched) {
	if !f.asked {
		return
	}
	c.counts.Shared(key, f.ok)
	if f.refresh {
		c.counts.Refresh(key)
	}
}

// GetMany implements catalog.BatchCache: in-process hits, then the rest from
// Redis in one pipelined round trip.
func (c *Cache) GetMany(ctx context.Context, keys []string) []any {
	out := make([]any, len(keys))
	var miss []int
	for i, k := range keys {
		if v, ok := c.local.Get(ctx, k); ok {
			out[i] = v
		} else {
			miss = append(miss, i)
		}
	}
	if len(miss) == 0 || !c.shared(ctx) {
		return out
	}
	c.mu.RLock()
	lgen, rgen := c.local.Gen(ctx), c.rgen
	c.mu.RUnlock()
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.Timeout)
	defer cancel()
	cmds := make([]*goredis.StringCmd, len(miss))
	_, _ = c.rdb.Pipelined(pctx, func(p goredis.Pipeliner) error {
		for j, i := range miss {
			cmds[j] = p.Get(pctx, c.valueKey(keys[i]))
		}
		return nil
	})
	for j, i := range miss {
		b, err := cmds[j].Bytes()
		f := c.accept(pctx, keys[i], b, err, lgen, rgen)
		c.count(keys[i], f)
		if f.ok {
			out[i] = f.v
		}
	}
	return out
}

// Set implements catalog.Cache: both tiers, if neither the cache nor one
// of tags was invalidated since gen.
func (c *Cache) Set(ctx context.Context, key string, v any, gen uint64, tags ...string) {
	c.SetMany(ctx, []string{key}, []any{v}, gen, tags)
}

// SetMany implements catalog.BatchCache.
func (c *Cache) SetMany(ctx context.Context, keys []string, vals []any, gen uint64, tags ...[]string) {
	live := c.live.Load()
	type item struct {
		key  string
		v    any
		tags []string
		val  []byte
		ttl  time.Duration
	}
	items := make([]item, 0, len(keys))
	c.mu.RLock()
	rgen, known := c.stampOf(gen)
	for i, key := range keys {
		localTTL, sharedTTL := catalog.CacheTTL(key)
		ttl := catalog.Jitter(localTTL)
		if !live {
			ttl = min(ttl, c.cfg.OutageTTL)
		}
		var t []string
		if i < len(tags) {
			t = tags[i]
		}
		if c.local.Put(ctx, key, vals[i], gen, ttl, t...) {
			items = append(items, item{key: key, v: vals[i], tags: t, ttl: catalog.Jitter(sharedTTL)})
		}
	}
	c.mu.RUnlock()
	if len(items) == 0 || !live || !known || !c.shared(ctx) {
		return
	}
	now := c.cfg.Now()
	kept := items[:0]
	for _, it := range items {
		payload, err := catalog.EncodeCacheValue(it.key, it.v)
		if err != nil {
			continue // no shared form: this instance only
		}
		it.val = encodeValue(rgen, now.Add(it.ttl), it.tags, payload)
		kept = append(kept, it)
	}
	if len(kept) == 0 {
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.Timeout)
	defer cancel()
	_, err := c.rdb.Pipelined(pctx, func(p goredis.Pipeliner) error {
		for _, it := range kept {
			p.Set(pctx, c.valueKey(it.key), it.val, it.ttl)
		}
		return nil
	})
	if err != nil {
		c.slowRead(err)
		return
	}
	c.recovered()
}

// Invalidate clears this instance at once, bumps the Redis generation and
// tells the others. If Redis cannot be reached the bump is retried later and
// the Redis tier is not used until it succeeds; the other instances, whose
// subscriptions fail too, bump it themselves when they resubscribe.
func (c *Cache) Invalidate(ctx context.Context) {
	var g uint64
	err := errors.New("redis tier unavailable")
	if c.writable() {
		g, err = c.bump(ctx)
	}
	if err != nil {
		c.needBump.Store(true)
		c.lastTry.Store(0)
		if c.live.Load() {
			c.failed(err)
		}
	} else {
		c.recovered()
	}
	c.moveTo(ctx, g)
	if c.live.Load() {
		c.publish(ctx, g)
	}
}

// InvalidateTags drops the entries tagged with one of tags: here at once,
// on the other instances when they hear of it (a published message, well
// within a second). Without Redis (an outage, or the subscription down)
// it drops everything instead, as Invalidate does, so that the fleet
// resynchronises when Redis returns.
func (c *Cache) InvalidateTags(ctx context.Context, tags ...string) {
	if len(tags) == 0 {
		return
	}
	if !c.writable() || c.needBump.Load() {
		c.Invalidate(ctx)
		return
	}
	g, err := c.bump(ctx)
	if err != nil {
		c.failed(err)
		c.Invalidate(ctx)
		return
	}
	c.recovered()
	c.dropTags(ctx, g, tags)
	c.publish(ctx, g, tags...)
}

// Stats returns hit and miss counts per keyspace for both tiers.
func (c *Cache) Stats() catalog.CacheStats { return c.local.Stats().Add(c.counts.Stats()) }

// Close stops the subscriber. A blocked Receive does not watch its context,
// so closing the subscription is what unblocks it.
func (c *Cache) Close() error {
	c.cancel()
	err := c.ps.Close()
	<-c.done
	return err
}
