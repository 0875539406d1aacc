package redis

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/redis/redistest"
)

var ctx = context.Background()

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newLive(t *testing.T, rdb goredis.UniversalClient, channel string, log *slog.Logger) *Cache {
	t.Helper()
	c := NewCache(rdb, CacheConfig{Channel: channel}, log)
	t.Cleanup(func() { c.Close() })
	waitFor(t, "subscribe", c.Live)
	return c
}

func openTest(t *testing.T) goredis.UniversalClient {
	rdb, err := Open(ctx, redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestValueFromBeforeAWriteIsNeverServed: a slow loader on b read the
// product before a's write and stores it in Redis after the write, before b
// has heard of it. The value is tagged with the old generation, so no
// instance serves it.
func TestValueFromBeforeAWriteIsNeverServed(t *testing.T) {
	rdb := openTest(t)
	ch := redistest.Name("ocean-test-")
	a, b := newLive(t, rdb, ch, discard), newLive(t, rdb, ch, discard)
	b.mu.RLock()
	old := b.rgen
	b.mu.RUnlock()
	a.Invalidate(ctx)
	payload, err := catalog.EncodeCacheValue("product:tee", &catalog.Product{ID: 1, Name: "stale"})
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, b.valueKey("product:tee"), encodeValue(old, time.Now().Add(time.Minute), nil, payload), time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b hears the write", func() bool { b.mu.RLock(); defer b.mu.RUnlock(); return b.rgen > old })
	c := newLive(t, rdb, ch, discard)
	for i, x := range []*Cache{a, b, c} {
		if v, ok := x.Get(ctx, "product:tee"); ok {
			t.Errorf("instance %d serves %q, computed before the write", i, v.(*catalog.Product).Name)
		}
	}
	// The same value tagged with the current generation is served: the
	// test above fails for the right reason.
	c.mu.RLock()
	cur := c.rgen
	c.mu.RUnlock()
	if err := rdb.Set(ctx, b.valueKey("product:tee"), encodeValue(cur, time.Now().Add(10*time.Minute), nil, payload), 10*time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get(ctx, "product:tee"); !ok {
		t.Error("a current value in Redis is not served")
	}
}

// proxy stands between a cache and Redis so a test can cut the line.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.down {
				p.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() { p.mu.Lock(); p.down = false; p.mu.Unlock() }

type logCount struct {
	mu   sync.Mutex
	msgs []string
}

func (h *logCount) Enabled(context.Context, slog.Level) bool { return true }
func (h *logCount) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.msgs = append(h.msgs, r.Level.String()+" "+r.Message)
	h.mu.Unlock()
	return nil
}
func (h *logCount) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCount) WithGroup(string) slog.Handler      { return h }
func (h *logCount) count(prefix string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.msgs {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}

// TestOutageAndRecovery: Redis goes away under an instance, which writes
// meanwhile; reads carry on from the process and the database, the outage
// is logged once, and when Redis returns the value Redis held from before
// the write is not served by this instance or any other.
func TestOutageAndRecovery(t *testing.T) {
	url := redistest.URL(t)
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, opt.Addr)
	opt.Addr = p.ln.Addr().String()
	opt.DialTimeout = 200 * time.Millisecond
	rdb := goredis.NewClient(opt)
	defer rdb.Close()
	logs := &logCount{}
	ch := redistest.Name("ocean-test-")
	a := newLive(t, rdb, ch, slog.New(logs))
	a.Set(ctx, "product:tee", &catalog.Product{ID: 1, Name: "before"}, a.Gen(ctx))

	p.cut()
	waitFor(t, "a notices the outage", func() bool { return !a.Live() })
	for range 100 {
		if _, ok := a.Get(ctx, "product:tee"); ok {
			t.Fatal("a serves a value from before the outage it may have missed a write in")
		}
		a.Set(ctx, "card:1", catalog.Card{ID: 1}, a.Gen(ctx))
	}
	a.Invalidate(ctx) // a product changes while Redis is away

	p.restore()
	waitFor(t, "a resubscribes", a.Live)
	other := newLive(t, openTest(t), ch, discard)
	for i, x := range []*Cache{a, other} {
		if v, ok := x.Get(ctx, "product:tee"); ok {
			t.Errorf("instance %d serves %q, stored before a write made during the outage", i, v.(*catalog.Product).Name)
		}
	}
	a.Set(ctx, "product:tee", &catalog.Product{ID: 1, Name: "after"}, a.Gen(ctx))
	if v, ok := other.Get(ctx, "product:tee"); !ok || v.(*catalog.Product).Name != "after" {
		t.Errorf("after recovery the Redis tier is not shared: %v %v", v, ok)
	}
	if n := logs.count("WARN"); n != 1 {
		t.Errorf("the outage was logged %d times, want once: %q", n, logs.msgs)
	}
}

// TestSlowReadDoesNotFlushTheFleet: a read of the Redis tier that times out
// (a busy machine, not an outage) skips the tier for a while, but a write
// on that instance still drops only its tags on every instance. It used to
// drop everything everywhere: under the fleet's load test, half of the
// catalog lookups missed.
func TestSlowReadDoesNotFlushTheFleet(t *testing.T) {
	rdb := openTest(t)
	ch := redistest.Name("ocean-test-")
	logs := &logCount{}
	slow := NewCache(rdb, CacheConfig{Channel: ch, Timeout: time.Nanosecond}, slog.New(logs))
	t.Cleanup(func() { slow.Close() })
	waitFor(t, "subscribe", slow.Live)
	other := newLive(t, rdb, ch, discard)
	other.Set(ctx, "product:tee", &catalog.Product{ID: 1, Name: "tee"}, other.Gen(ctx), "p:1")
	other.Set(ctx, "product:mug", &catalog.Product{ID: 2, Name: "mug"}, other.Gen(ctx), "p:2")

	for range 3 {
		if _, ok := slow.Get(ctx, "product:cap"); ok {
			t.Fatal("a read that timed out answered")
		}
	}
	if slow.shared(ctx) {
		t.Fatal("after a read timed out, the Redis tier is still read at once")
	}
	slow.InvalidateTags(ctx, "p:1") // the tee changes on the slow instance

	waitFor(t, "the other instance drops the tee", func() bool {
		_, ok := other.local.Get(ctx, "product:tee")
		return !ok
	})
	if _, ok := other.local.Get(ctx, "product:mug"); !ok {
		t.Error("a write on an instance whose read timed out dropped every entry of the fleet, not only its tag's")
	}
	if n := logs.count("WARN"); n != 1 {
		t.Errorf("%d warnings for three failed reads, want one line: %q", n, logs.msgs)
	}
}
