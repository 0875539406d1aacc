package redis_test

import (
	"context"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/redis"
	"github.com/oceanshop/ocean/internal/redis/redistest"
)

func TestParseSentinelURL(t *testing.T) {
	for _, tc := range []struct {
		url                      string
		addrs                    []string
		master                   string
		db                       int
		user, pass, suser, spass string
	}{
		{url: "redis-sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/mymaster",
			addrs: []string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"}, master: "mymaster"},
		{url: "redis-sentinel://:s3cr%40t@s1:5000,s2,[::1]:26380,[fe80::1]/shop/3",
			addrs: []string{"s1:5000", "s2:26379", "[::1]:26380", "[fe80::1]:26379"}, master: "shop", db: 3, pass: "s3cr@t"},
		{url: "redis-sentinel://ocean:pw@s1:26379/shop%2Deu/?sentinel_password=sp%26x&sentinel_username=watch",
			addrs: []string{"s1:26379"}, master: "shop-eu", user: "ocean", pass: "pw", suser: "watch", spass: "sp&x"},
	} {
		opt, err := redis.ParseSentinelURL(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if !reflect.DeepEqual(opt.SentinelAddrs, tc.addrs) || opt.MasterName != tc.master || opt.DB != tc.db ||
			opt.Username != tc.user || opt.Password != tc.pass || opt.SentinelUsername != tc.suser || opt.SentinelPassword != tc.spass {
			t.Errorf("%s: addrs %q master %q db %d user %q pass %q sentinel user %q pass %q", tc.url,
				opt.SentinelAddrs, opt.MasterName, opt.DB, opt.Username, opt.Password, opt.SentinelUsername, opt.SentinelPassword)
		}
		if opt.DialTimeout != redis.DialTimeout || opt.ReadTimeout != redis.ReadTimeout || opt.WriteTimeout != redis.WriteTimeout || !opt.ContextTimeoutEnabled {
			t.Errorf("%s: timeouts %v %v %v, context timeouts %v", tc.url, opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.ContextTimeoutEnabled)
		}
	}
	for _, bad := range []string{
		"redis://s1:26379/mymaster",
		"redis-sentinel:///mymaster",
		"redis-sentinel://s1:26379",
		"redis-sentinel://s1:26379/",
		"redis-sentinel://s1:26379,/mymaster",
		"redis-sentinel://s1:26379,s2:0/mymaster",
		"redis-sentinel://s1:port/mymaster",
		"redis-sentinel://s1:26379/my%20master",
		"redis-sentinel://s1:26379/mymaster/zero",
		"redis-sentinel://s1:26379/mymaster/0/extra",
		"redis-sentinel://s1:26379/mymaster?password=s3cret",
		"redis-sentinel://:s3cr%et@s1:26379/mymaster",
		"redis-sentinel://s1:26379/mymaster?sentinel_password=s3cr%et",
	} {
		if _, err := redis.ParseSentinelURL(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		} else if strings.Contains(err.Error(), "s3cr") {
			t.Errorf("%s: the error shows the password: %v", bad, err)
		}
	}
}

// TestOpenPlainClient: redis:// gives a plain client with Ocean's short
// timeouts, unless the URL sets its own.
func TestOpenPlainClient(t *testing.T) {
	u := redistest.URL(t)
	rdb, err := redis.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	c, ok := rdb.(*goredis.Client)
	if !ok {
		t.Fatalf("Open(%s) = %T, want *redis.Client", u, rdb)
	}
	if o := c.Options(); o.DialTimeout != redis.DialTimeout || o.ReadTimeout != redis.ReadTimeout || o.WriteTimeout != redis.WriteTimeout || !o.ContextTimeoutEnabled {
		t.Fatalf("timeouts %v %v %v, context timeouts %v", o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.ContextTimeoutEnabled)
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	rdb2, err := redis.Open(context.Background(), u+sep+"read_timeout=7s")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb2.Close()
	if got := rdb2.(*goredis.Client).Options().ReadTimeout; got != 7*time.Second {
		t.Fatalf("read_timeout=7s in the URL gave %v", got)
	}
}

// TestOpenDoesNotHangOnAFrozenServer: a server (or Sentinel) that accepts
// connections and never answers makes Open fail after its timeouts instead
// of hanging the start.
func TestOpenDoesNotHangOnAFrozenServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn // accept and never answer
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	addr := ln.Addr().String()
	for _, u := range []string{"redis://" + addr + "/0", "redis-sentinel://" + addr + "/mymaster"} {
		done := make(chan error, 1)
		go func() {
			rdb, err := redis.Open(context.Background(), u)
			if err == nil {
				rdb.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "connect to Redis") {
				t.Errorf("Open(%s) = %v, want a connect error", u, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("Open(%s) still waits for a server that never answers after 30s", u)
		}
	}
}

func TestOpenBadURL(t *testing.T) {
	for _, u := range []string{"redis://:s3cr%et@cache:6379/0", "redis-sentinel://:s3cr%et@s1/m", "redis-sentinel://s1/"} {
		_, err := redis.Open(context.Background(), u)
		if err == nil || !strings.HasPrefix(err.Error(), "OCEAN_REDIS_URL: ") || strings.Contains(err.Error(), "s3cr") {
			t.Errorf("Open(%s) = %v; want an OCEAN_REDIS_URL error without the password", u, err)
		}
	}
}
