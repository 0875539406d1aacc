package httpx

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Limits bound what one client can make the server hold: time to send
// headers and a request, time to take a response, idle keep-alive time,
// header size and concurrent connections per client address.
type Limits struct {
	// ReadHeaderTimeout cuts off a client that has not finished its
	// request headers (slowloris); ReadTimeout one that has not finished
	// its whole request, body included (slow POST).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	// WriteTimeout bounds a response; IdleTimeout a keep-alive wait.
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
	// MaxHeaderBytes caps the request line and headers (431 beyond).
	MaxHeaderBytes int
	// MaxConnsPerClient caps the open connections of one client address
	// (see LimitListener); 0 means no cap.
	MaxConnsPerClient int
}

// DefaultLimits are the server's limits. A browser opens at most six
// connections per host (one with HTTP/2); 64 leaves room for a household
// or an office behind one address.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		MaxConnsPerClient: 64,
	}
}

// NewServer returns an http.Server for h with the limits l (zero fields
// take DefaultLimits' values) and server errors logged at warn level.
func NewServer(h http.Handler, l Limits, log *slog.Logger) *http.Server {
	d := DefaultLimits()
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = d.ReadTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = d.WriteTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = d.IdleTimeout
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout, MaxHeaderBytes: l.MaxHeaderBytes}
	if log != nil {
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return srv
}

// Listen listens on the TCP address with connections capped per client
// (LimitListener with l.MaxConnsPerClient). Trusted proxies carry many
// clients, and so may loopback (a proxy or load tester on this host):
// neither is capped.
func Listen(addr string, l Limits, trustedProxies []netip.Prefix) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return Limit(ln, l, trustedProxies), nil
}

// Limit applies Listen's per-client cap to a listener made elsewhere (one
// inherited from the previous process in an in-place upgrade).
func Limit(ln net.Listener, l Limits, trustedProxies []netip.Prefix) net.Listener {
	exempt := append([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}, trustedProxies...)
	return LimitListener(ln, l.MaxConnsPerClient, exempt)
}

// LimitListener caps the connections open at once from one client
// address: a connection beyond max is closed as soon as it is accepted, so
// one address cannot hold every slot while others wait. Peers in exempt
// (the trusted proxies, whose connections carry many clients) are not
// capped. IPv6 clients are counted per /64, which one host usually holds.
// max <= 0 returns ln unchanged.
func LimitListener(ln net.Listener, max int, exempt []netip.Prefix) net.Listener {
	if max <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, max: max, exempt: exempt, open: map[string]int{}}
}

type limitListener struct {
	net.Listener
	max    int
	exempt []netip.Prefix

	mu   sync.Mutex
	open map[string]int
}

// Accept returns the next connection within its client's cap, closing
// those over it.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, capped := l.key(c.RemoteAddr())
		if !capped {
			return c, nil
		}
		l.mu.Lock()
		if l.open[key] >= l.max {
			l.mu.Unlock()
			_ = c.Close() // refused: over this client's connection cap
			continue
		}
		l.open[key]++
		l.mu.Unlock()
		return &limitConn{Conn: c, l: l, key: key}, nil
	}
}

func (l *limitListener) key(a net.Addr) (string, bool) {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return "", false // not an IP peer (a Unix socket): nothing to count by
	}
	ip := ap.Addr().Unmap().WithZone("")
	for _, p := range l.exempt {
		if p.Contains(ip) {
			return "", false
		}
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String(), true
	}
	return ip.String(), true
}

type limitConn struct {
	net.Conn
	l    *limitListener
	key  string
	once sync.Once
}

func (c *limitConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		if c.l.open[c.key]--; c.l.open[c.key] <= 0 {
			delete(c.l.open, c.key)
		}
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// Body caps per class of route. A body over its cap is refused with a 413
// before a handler reads it (at once when Content-Length says so, else
// when the reader crosses the cap).
const (
	// MaxBodyBytes is the cap of ordinary requests: JSON, forms, sign-in.
	MaxBodyBytes = 64 << 10
	// MaxWebhookBytes is the cap of payment processors' event deliveries.
	MaxWebhookBytes = 256 << 10
	// MaxUploadBytes is the cap of multipart uploads in the admin and
	// the admin API: a few photos at once (each at most 20 MB, see
	// package media).
	MaxUploadBytes = 48 << 20
)

// BodyLimit returns the cap of r's body by route class.
func BodyLimit(r *http.Request) int64 {
	switch {
	case strings.HasPrefix(r.URL.Path, "/webhooks/"):
		return MaxWebhookBytes
	case (strings.HasPrefix(r.URL.Path, "/admin/") || strings.HasPrefix(r.URL.Path, "/api/v1/admin/")) && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data"):
		return MaxUploadBytes
	case r.URL.Path == "/admin/products/import" || r.URL.Path == "/api/v1/admin/products/import":
		// A catalog CSV file, sent as text/csv or (the admin page's
		// confirmation) as a form field.
		return MaxUploadBytes
	}
	return MaxBodyBytes
}

// LimitBodies caps every request body by its route class (BodyLimit),
// answering 413 the right way for the door.
func LimitBodies(page ErrorPage) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			max := BodyLimit(r)
			if r.ContentLength > max {
				// Do not read it: the connection closes after the answer.
				w.Header().Set("Connection", "close")
				Fail(w, r, page, &ocean.Error{Code: ocean.ETOOLARGE, Message: fmt.Sprintf("The request body is larger than %s.", sizeText(max))})
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, max)
			}
			next.ServeHTTP(w, r)
		})
	}
}
