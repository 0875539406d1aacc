// Package redis holds the Redis implementations of the ports that must be
// shared when several Ocean instances serve one shop. Now: cross-instance
// invalidation of the in-process catalog cache. The lock framework, the
// shared cache tier and the rate limiter (issue 5) belong here too.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/local"
)

// Cache is the catalog cache for a fleet: values live in this instance's
// in-process cache, and Invalidate reaches every instance through Redis
// pub/sub. It trades a millisecond of staleness after a write (the publish
// latency) for reads that never leave the process.
//
// It prefers correctness to speed when Redis is unreachable: while the
// subscription is down the cache is bypassed (every Get misses, Set is
// dropped), because invalidations from other instances could be missed; on
// every (re)subscription the local tier is cleared before it is used again.
type Cache struct {
	local   *local.Cache
	rdb     goredis.UniversalClient
	channel string
	self    string
	log     *slog.Logger
	live    atomic.Bool // subscribed: invalidations from others arrive
	ps      *goredis.PubSub
	cancel  context.CancelFunc
	done    chan struct{}
}

// NewCache starts the subscriber and returns the cache. channel names the
// shop (all instances of one shop use the same one). Close stops it.
func NewCache(rdb goredis.UniversalClient, channel string, max int, log *slog.Logger) *Cache {
	var id [8]byte
	_, _ = rand.Read(id[:])
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cache{local: local.NewCache(max), rdb: rdb, channel: channel, self: hex.EncodeToString(id[:]), log: log, cancel: cancel, done: make(chan struct{})}
	// Subscribe connects lazily enough that an unreachable Redis does not
	// block here; Receive reports the error and the loop retries.
	c.ps = rdb.Subscribe(ctx, channel)
	go c.subscribe(ctx)
	return c
}

// Live reports whether invalidations from other instances are arriving.
func (c *Cache) Live() bool { return c.live.Load() }

func (c *Cache) subscribe(ctx context.Context) {
	defer close(c.done)
	ps := c.ps
	backoff := 50 * time.Millisecond
	for {
		msg, err := ps.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if c.live.Swap(false) {
				c.log.Warn("catalog cache bypassed: Redis subscription lost", "err", err)
			}
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return
			}
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				// Anything published while we were away is lost: start clean.
				c.local.Invalidate(ctx)
				backoff = 50 * time.Millisecond
				if !c.live.Swap(true) {
					c.log.Info("catalog cache live: subscribed to invalidations", "channel", c.channel)
				}
			}
		case *goredis.Message:
			if m.Payload != c.self {
				c.local.Invalidate(ctx)
			}
		}
	}
}

// Gen implements catalog.Cache.
func (c *Cache) Gen(ctx context.Context) uint64 { return c.local.Gen(ctx) }

// Get implements catalog.Cache; it always misses while not live.
func (c *Cache) Get(ctx context.Context, key string) (any, bool) {
	if !c.live.Load() {
		return nil, false
	}
	return c.local.Get(ctx, key)
}

// Set implements catalog.Cache; it stores nothing while not live.
func (c *Cache) Set(ctx context.Context, key string, v any, gen uint64) {
	if c.live.Load() {
		c.local.Set(ctx, key, v, gen)
	}
}

// Invalidate clears this instance at once and tells the others. If the
// publish fails, Redis is unreachable and the other instances' subscriptions
// fail too: they bypass their caches and clear them when they resubscribe.
func (c *Cache) Invalidate(ctx context.Context) {
	c.local.Invalidate(ctx)
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := c.rdb.Publish(pctx, c.channel, c.self).Err(); err != nil {
		c.log.Warn("catalog cache invalidation not published", "err", err)
	}
}

// Close stops the subscriber. A blocked Receive does not watch its context,
// so closing the subscription is what unblocks it.
func (c *Cache) Close() error {
	c.cancel()
	err := c.ps.Close()
	<-c.done
	return err
}

// Open connects to the Redis at url (redis://[:password@]host:port/db or
// rediss://) and checks it answers.
func Open(ctx context.Context, url string) (goredis.UniversalClient, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, errors.New("OCEAN_REDIS_URL: " + err.Error())
	}
	rdb := goredis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, errors.New("connect to Redis at " + opt.Addr + ": " + err.Error())
	}
	return rdb, nil
}
