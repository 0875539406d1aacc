package redis_test

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

	oceanredis "github.com/oceanshop/ocean/internal/redis"
	"github.com/oceanshop/ocean/internal/redis/redistest"
	"github.com/oceanshop/ocean/internal/throttle"
	throttleredis "github.com/oceanshop/ocean/internal/throttle/redis"
	"github.com/oceanshop/ocean/internal/throttle/throttletest"
)

func client(t testing.TB) goredis.UniversalClient {
	t.Helper()
	rdb, err := oceanredis.Open(context.Background(), redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// prefix returns a key prefix of its own for a test, so tests sharing one
// Redis never see each other's keys.
func prefix() string { return redistest.Name("ocean-test-throttle-") + ":" }

func TestContract(t *testing.T) {
	rdb := client(t)
	throttletest.Contract(t, func(t *testing.T, p throttle.Policy, now func() time.Time) throttle.Limiter {
		// Calls time out only after seconds, so a busy test machine does
		// not turn into an outage answered by the in-process fallback.
		s := throttleredis.New(rdb, throttleredis.Options{Prefix: prefix(), Now: now, Timeout: 10 * time.Second})
		return s.Limiter(p)
	})
}

// TestSharedAcrossInstances: two instances, each with its own connection
// and the Redis server's clock, share one account's lockout: failures on one
// lock the account on the other, and a sign-in on either resets it for both.
func TestSharedAcrossInstances(t *testing.T) {
	ctx := context.Background()
	p := throttle.SignIn()
	pre := prefix()
	a := throttleredis.New(client(t), throttleredis.Options{Prefix: pre, Timeout: 10 * time.Second}).Limiter(p)
	b := throttleredis.New(client(t), throttleredis.Options{Prefix: pre, Timeout: 10 * time.Second}).Limiter(p)
	const key = "signin:acct:ann@example.com"

	for i := range p.Free {
		if d, err := a.Fail(ctx, key); err != nil || d != 0 {
			t.Fatalf("free failure %d on A: delay %v, %v", i+1, d, err)
		}
	}
	if d, err := b.Check(ctx, key); err != nil || d != 0 {
		t.Fatalf("Check on B after %d free failures on A = %v, %v; want 0", p.Free, d, err)
	}
	// The next failure, on B, is the account's sixth: locked on both.
	if d, err := b.Fail(ctx, key); err != nil || d != p.Base {
		t.Fatalf("failure %d, on B: delay %v, %v; want %v", p.Free+1, d, err, p.Base)
	}
	d, err := a.Check(ctx, key)
	if err != nil || d <= 0 || d > p.Base {
		t.Fatalf("Check on A after B's failure = %v, %v; want a lockout of up to %v", d, err, p.Base)
	}
	if d, err := a.Fail(ctx, key); err != nil || d != 2*p.Base {
		t.Fatalf("failure %d, on A: delay %v, %v; want %v (B's failures count)", p.Free+2, d, err, 2*p.Base)
	}

	// The key is one hash with a TTL: idle keys vanish.
	rdb := client(t)
	rkey := throttleredis.New(rdb, throttleredis.Options{Prefix: pre}).Key(key)
	if !strings.HasPrefix(rkey, pre+"{") || !strings.HasSuffix(rkey, "}") || strings.Contains(rkey, "ann@") {
		t.Fatalf("Redis key %q: want %s{<hash>}, without the address", rkey, pre)
	}
	if n, err := rdb.HLen(ctx, rkey).Result(); err != nil || n != 2 {
		t.Fatalf("HLEN %s = %d, %v; want 2 fields", rkey, n, err)
	}
	ttl, err := rdb.PTTL(ctx, rkey).Result()
	if err != nil || ttl <= p.Window || ttl > 2*p.Base+p.Window+time.Second {
		t.Fatalf("PTTL %s = %v, %v; want the lockout plus a window (plus a second)", rkey, ttl, err)
	}

	// A correct password on B resets the account for A too.
	if err := b.Reset(ctx, key); err != nil {
		t.Fatal(err)
	}
	if d, err := a.Check(ctx, key); err != nil || d != 0 {
		t.Fatalf("Check on A after Reset on B = %v, %v; want 0", d, err)
	}
	if n, err := rdb.Exists(ctx, rkey).Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS %s after Reset = %d, %v; want 0", rkey, n, err)
	}
}

// TestConcurrentInstances: failures spread over several instances all count.
func TestConcurrentInstances(t *testing.T) {
	ctx := context.Background()
	p := throttle.Policy{Free: 60, Base: time.Second, Max: time.Hour, Window: time.Hour}
	pre := prefix()
	var ls []throttle.Limiter
	for range 3 {
		ls = append(ls, throttleredis.New(client(t), throttleredis.Options{Prefix: pre, Timeout: 10 * time.Second}).Limiter(p))
	}
	const key = "signin:ip:192.0.2.1"
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			if _, err := ls[i%3].Fail(ctx, key); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d, err := ls[0].Fail(ctx, key); err != nil || d != p.Base {
		t.Fatalf("after 60 failures over 3 instances the next delay is %v, %v; want %v", d, err, p.Base)
	}
}

// records collects log records.
type records struct {
	mu   sync.Mutex
	msgs []string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Level.String()+" "+rec.Message)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }
func (r *records) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestFallbackWhenRedisUnreachable: with Redis down, sign-in stays possible
// and is still throttled, by this instance alone; the outage is logged once.
// It needs no Redis server, so it runs everywhere.
func TestFallbackWhenRedisUnreachable(t *testing.T) {
	ctx := context.Background()
	rdb := goredis.NewClient(&goredis.Options{Addr: closedAddr(t), MaxRetries: -1, DialerRetries: 1})
	defer rdb.Close()
	log := &records{}
	clock := throttletest.NewClock()
	p := throttle.SignIn()
	// Backoff is tiny so Redis is asked (and fails) on every call.
	s := throttleredis.New(rdb, throttleredis.Options{Log: slog.New(log), Now: clock.Now, Backoff: time.Nanosecond})
	signIn, client := s.Limiter(p), s.Limiter(throttle.Policy{Free: 20, Base: time.Second, Max: time.Minute, Window: time.Minute})
	const acct, ip = "signin:acct:ann@example.com", "signin:ip:192.0.2.1"

	for i := range p.Free {
		if d, err := signIn.Check(ctx, acct); err != nil || d != 0 {
			t.Fatalf("Check before attempt %d = %v, %v; want 0 and no error", i+1, d, err)
		}
		if d, err := signIn.Fail(ctx, acct); err != nil || d != 0 {
			t.Fatalf("free failure %d = %v, %v; want 0 and no error", i+1, d, err)
		}
		if _, err := client.Fail(ctx, ip); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := signIn.Fail(ctx, acct); err != nil || d != p.Base {
		t.Fatalf("failure %d with Redis down = %v, %v; want %v", p.Free+1, d, err, p.Base)
	}
	if d, err := signIn.Check(ctx, acct); err != nil || d != p.Base {
		t.Fatalf("Check during the lockout = %v, %v; want %v: a correct password must not get in", d, err, p.Base)
	}
	// The owner waits out the lockout, signs in, and the key is reset.
	clock.Advance(p.Base)
	if d, err := signIn.Check(ctx, acct); err != nil || d != 0 {
		t.Fatalf("Check after the lockout = %v, %v; want 0", d, err)
	}
	if err := signIn.Reset(ctx, acct); err != nil {
		t.Fatalf("Reset with Redis down: %v", err)
	}
	for i := range p.Free {
		if d, err := signIn.Fail(ctx, acct); err != nil || d != 0 {
			t.Fatalf("failure %d after Reset = %v, %v; want 0", i+1, d, err)
		}
	}

	got := log.all()
	if len(got) != 1 || !strings.HasPrefix(got[0], "WARN ") || !strings.Contains(got[0], "Redis unreachable") {
		t.Fatalf("log during one outage = %q; want one warning", got)
	}

	// A caller that gives up gets its own error, not the fallback.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := signIn.Check(cctx, acct); err == nil {
		t.Fatal("Check with a cancelled context: no error")
	}
}

// proxy forwards TCP connections to Redis until cut.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		go func() { io.Copy(u, c); u.Close() }()
		go func() { io.Copy(c, u); c.Close() }()
	}
}

// setCut breaks every connection and refuses new ones, or lets them through.
func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

// TestOutageAndRecovery: an instance whose Redis goes away keeps throttling
// on its own, logs the outage once, goes back to the shared counters when
// Redis returns, and still honours the lockout it imposed meanwhile.
func TestOutageAndRecovery(t *testing.T) {
	ctx := context.Background()
	opt, err := goredis.ParseURL(redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, opt.Addr)
	opt.Addr = px.ln.Addr().String()
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	rdb := goredis.NewClient(opt)
	defer rdb.Close()

	log := &records{}
	p := throttle.Policy{Free: 2, Base: time.Hour, Max: time.Hour, Window: time.Hour}
	pre := prefix()
	s := throttleredis.New(rdb, throttleredis.Options{Prefix: pre, Log: slog.New(log), Timeout: 10 * time.Second, Backoff: time.Nanosecond})
	l := s.Limiter(p)
	other := throttleredis.New(client(t), throttleredis.Options{Prefix: pre, Timeout: 10 * time.Second}).Limiter(p)
	const key = "signin:acct:ann@example.com"

	if d, err := l.Fail(ctx, key); err != nil || d != 0 {
		t.Fatalf("first failure = %v, %v", d, err)
	}
	px.setCut(true)
	// The instance counts on its own from zero: Free more failures are free,
	// the next locks.
	for i := range p.Free + 1 {
		if d, err := l.Fail(ctx, key); err != nil {
			t.Fatalf("failure %d during the outage: %v", i+1, err)
		} else if i == p.Free && d != p.Base {
			t.Fatalf("failure %d during the outage = %v; want the instance's own lockout of %v", i+1, d, p.Base)
		}
	}
	// The other instance, whose Redis is fine, saw only the first failure.
	if d, err := other.Check(ctx, key); err != nil || d != 0 {
		t.Fatalf("Check on the other instance = %v, %v; want 0", d, err)
	}

	px.setCut(false)
	d, err := l.Check(ctx, key)
	if err != nil || d < p.Base-time.Minute {
		t.Fatalf("Check after Redis returned = %v, %v; want the lockout imposed during the outage", d, err)
	}
	// Back on the shared counters: one failure in Redis so far, so the next
	// is free there.
	if d, err := l.Fail(ctx, key); err != nil || d != 0 {
		t.Fatalf("failure after recovery = %v, %v; want 0 (the shared count was 1)", d, err)
	}
	if d, err := other.Fail(ctx, key); err != nil || d != p.Base {
		t.Fatalf("the other instance's failure after recovery = %v, %v; want %v (shared again)", d, err, p.Base)
	}

	got := log.all()
	if len(got) != 2 || !strings.HasPrefix(got[0], "WARN ") || !strings.HasPrefix(got[1], "INFO ") {
		t.Fatalf("log of one outage = %q; want one warning and one recovery message", got)
	}
}
