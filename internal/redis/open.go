package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	goredis "github.com/redis/go-redis/v9"
)

// Timeouts of every client Open returns, unless the URL sets its own
// (redis:// and rediss:// accept go-redis's dial_timeout, read_timeout and
// write_timeout parameters). They are short because a request waits on
// them: a Redis that stopped answering must turn into an error the callers
// handle (the lock falls back or answers 503, the cache skips its Redis
// tier) within a few seconds, not hang the request. Context deadlines are
// honoured as well (ContextTimeoutEnabled), so a caller with a shorter
// deadline never waits for these.
const (
	DialTimeout  = 2 * time.Second
	ReadTimeout  = 2 * time.Second
	WriteTimeout = 2 * time.Second

	// pingTimeout bounds Open's check that Redis answers.
	pingTimeout = 5 * time.Second
	// sentinelPort is the port of a Sentinel address given without one.
	sentinelPort = "26379"
)

// SentinelScheme starts an OCEAN_REDIS_URL that names a primary through
// Sentinel rather than a server.
const SentinelScheme = "redis-sentinel"

// Open connects to the Redis that url names and checks it answers:
//
//	redis://[[user]:password@]host:6379[/db]      one server
//	rediss://…                                     the same over TLS
//	redis-sentinel://[[user]:password@]host1:26379,host2:26379,host3:26379/master-name[/db][?sentinel_password=…&sentinel_username=…]
//
// A redis-sentinel URL gives a go-redis failover client: it asks the
// Sentinels (any of them answers) where the primary called master-name is,
// and follows a failover on its own — connections to the old primary are
// closed when the Sentinels announce a new one, and new connections go to
// the promoted replica. The user info is the password (and ACL user) of
// the Redis servers; sentinel_password (and sentinel_username) are the
// Sentinels' own, when they have requirepass set. Sentinel ports default
// to 26379.
//
// Every client gets short timeouts (DialTimeout, ReadTimeout, WriteTimeout)
// and honours context deadlines.
func Open(ctx context.Context, url string) (goredis.UniversalClient, error) {
	var (
		rdb   goredis.UniversalClient
		where string
	)
	if strings.HasPrefix(url, SentinelScheme+"://") {
		opt, err := ParseSentinelURL(url)
		if err != nil {
			return nil, errors.New("OCEAN_REDIS_URL: " + err.Error())
		}
		rdb = goredis.NewFailoverClient(opt)
		where = fmt.Sprintf("primary %q through Sentinel at %s", opt.MasterName, strings.Join(opt.SentinelAddrs, ","))
	} else {
		opt, err := goredis.ParseURL(url)
		if err != nil {
			return nil, errors.New("OCEAN_REDIS_URL: " + redactParseError(err))
		}
		setTimeouts(&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout)
		opt.ContextTimeoutEnabled = true
		rdb = goredis.NewClient(opt)
		where = opt.Addr
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close() // the failed ping is what the caller needs to hear about
		return nil, errors.New("connect to Redis " + where + ": " + err.Error())
	}
	return rdb, nil
}

// setTimeouts fills in the timeouts the URL left at zero (go-redis's
// "default"; a negative value, "none", is kept).
func setTimeouts(dial, read, write *time.Duration) {
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{dial, DialTimeout}, {read, ReadTimeout}, {write, WriteTimeout}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
}

// redactParseError keeps go-redis's message about a redis:// URL unless it
// may quote the URL, password included.
func redactParseError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) || strings.Contains(err.Error(), "%") {
		return "not a valid redis:// URL (check that special characters in the password are percent-encoded)"
	}
	return err.Error()
}

// ParseSentinelURL turns a redis-sentinel:// URL (see Open) into go-redis
// failover options with Ocean's timeouts. Its errors never quote a
// password.
func ParseSentinelURL(raw string) (*goredis.FailoverOptions, error) {
	rest, ok := strings.CutPrefix(raw, SentinelScheme+"://")
	if !ok {
		return nil, errors.New("a Sentinel URL starts with " + SentinelScheme + "://")
	}
	if strings.ContainsAny(rest, "# \t\r\n") {
		return nil, errors.New("a " + SentinelScheme + ":// URL has no fragment and no spaces (percent-encode them in passwords)")
	}
	opt := &goredis.FailoverOptions{
		DialTimeout:           DialTimeout,
		ReadTimeout:           ReadTimeout,
		WriteTimeout:          WriteTimeout,
		ContextTimeoutEnabled: true,
	}
	rest, query, _ := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user, pass, err := userinfo(authority[:at])
		if err != nil {
			return nil, err
		}
		opt.Username, opt.Password = user, pass
		authority = authority[at+1:]
	}
	addrs, err := sentinelAddrs(authority)
	if err != nil {
		return nil, err
	}
	opt.SentinelAddrs = addrs
	if opt.MasterName, opt.DB, err = masterPath(path); err != nil {
		return nil, err
	}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return nil, errors.New("the query is not percent-encoded correctly")
		}
		for k, vs := range q {
			switch k {
			case "sentinel_password":
				opt.SentinelPassword = vs[len(vs)-1]
			case "sentinel_username":
				opt.SentinelUsername = vs[len(vs)-1]
			default:
				return nil, fmt.Errorf("unknown parameter %q (a %s:// URL takes sentinel_password and sentinel_username)", k, SentinelScheme)
			}
		}
	}
	return opt, nil
}

// userinfo decodes "user:password", "user" or ":password".
func userinfo(s string) (user, pass string, err error) {
	u, p, hasPass := strings.Cut(s, ":")
	if user, err = url.PathUnescape(u); err == nil && hasPass {
		pass, err = url.PathUnescape(p)
	}
	if err != nil {
		return "", "", errors.New("the user name or password is not percent-encoded correctly")
	}
	return user, pass, nil
}

// sentinelAddrs parses "host1:26379,host2:26379,[::1]:26379".
func sentinelAddrs(s string) ([]string, error) {
	if s == "" {
		return nil, errors.New("name at least one Sentinel: " + SentinelScheme + "://host1:26379,host2:26379,host3:26379/master-name")
	}
	var addrs []string
	for _, a := range strings.Split(s, ",") {
		host, port, err := net.SplitHostPort(a)
		if err != nil && (!strings.Contains(a, ":") || strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]")) {
			// No port: "sentinel1" or "[::1]".
			host, port, err = strings.TrimSuffix(strings.TrimPrefix(a, "["), "]"), sentinelPort, nil
		}
		if err != nil || host == "" || strings.ContainsAny(host, "[]@/") {
			return nil, fmt.Errorf("Sentinel address %q is not host:port", a) //nolint:staticcheck // Sentinel is a proper name (Redis Sentinel)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("Sentinel address %q has a bad port", a) //nolint:staticcheck // Sentinel is a proper name (Redis Sentinel)
		}
		addrs = append(addrs, net.JoinHostPort(host, port))
	}
	return addrs, nil
}

// masterPath parses "master-name" or "master-name/db".
func masterPath(path string) (name string, db int, err error) {
	path = strings.TrimSuffix(path, "/")
	seg := strings.Split(path, "/")
	if path == "" || len(seg) > 2 {
		return "", 0, errors.New("the path must be the Sentinel master name and an optional database number: /mymaster or /mymaster/0")
	}
	if name, err = url.PathUnescape(seg[0]); err != nil || name == "" || strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", 0, errors.New("the master name (the path, as in /mymaster) must not be empty or contain spaces")
	}
	if len(seg) == 2 {
		if db, err = strconv.Atoi(seg[1]); err != nil || db < 0 {
			return "", 0, errors.New("the database number after the master name must be a number, as in /mymaster/0")
		}
	}
	return name, db, nil
}
