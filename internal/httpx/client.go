package httpx

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/oceanshop/ocean/internal/ratelimit"
)

// client is what WithClientAddr learned about the request's origin.
type client struct {
	addr     string // the client's address (ratelimit.ClientIP)
	viaProxy bool   // the connection's peer is a trusted proxy
}

// WithClientAddr resolves, once per request, the address of the client
// behind it: the connection's peer, or, when the peer is one of the trusted
// proxies (OCEAN_TRUSTED_PROXIES), the address X-Forwarded-For names (see
// ratelimit.ClientIP for the exact walk). Everything that counts, throttles
// or records clients — the rate limiter, the sign-in and reset throttles,
// the audit log — reads it through ClientAddr, so they all agree on who the
// client is.
func WithClientAddr(trusted []netip.Prefix) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, s := claim(r, haveClient)
			c := &s.client
			*c = client{addr: ratelimit.ClientIP(r, trusted)}
			c.viaProxy = len(trusted) > 0 && viaProxy(r.RemoteAddr, trusted) // none trusted: nothing to parse
			next.ServeHTTP(w, r)
		})
	}
}

// ClientAddr returns the address of the client that sent r, as resolved by
// WithClientAddr. Outside that middleware (a handler tested on its own) it
// is the connection's peer: X-Forwarded-For is never believed by default.
func ClientAddr(r *http.Request) string {
	if s := stateOf(r.Context()); s != nil && s.set&haveClient != 0 {
		return s.client.addr
	}
	return ratelimit.ClientIP(r, nil)
}

// FromTrustedProxy reports whether r arrived through one of the trusted
// proxies, so headers such as X-Forwarded-Proto may be believed.
func FromTrustedProxy(r *http.Request) bool {
	s := stateOf(r.Context())
	return s != nil && s.set&haveClient != 0 && s.client.viaProxy
}

// viaProxy reports whether the connection's peer is one of the trusted
// proxies.
func viaProxy(remote string, trusted []netip.Prefix) bool {
	peer, err := netip.ParseAddr(peerHost(remote))
	if err != nil {
		return false
	}
	peer = peer.Unmap().WithZone("")
	for _, p := range trusted {
		if p.Contains(peer) {
			return true
		}
	}
	return false
}

func peerHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
