package ratelimit

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads a comma- or space-separated list of proxy
// addresses and networks whose X-Forwarded-For ClientIP believes:
// "10.0.0.0/8, 192.168.1.5, fd00::/8". A bare address is a single host. Two
// names stand for common sets: "loopback" (127.0.0.0/8, ::1) and "private"
// (10/8, 172.16/12, 192.168/16, fc00::/7). An empty list trusts no proxy.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		switch strings.ToLower(f) {
		case "loopback":
			out = append(out, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
			continue
		case "private":
			out = append(out, netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
				netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fc00::/7"))
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is not an address or network like 10.0.0.0/8", f)
			}
			if p.Addr().Is4In6() {
				// ::ffff:10.0.0.0/104 → 10.0.0.0/8: ClientIP unmaps
				// addresses before matching.
				if p.Bits() < 96 {
					return nil, fmt.Errorf("trusted proxy %q: an IPv4-mapped network needs at least 96 bits", f)
				}
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("trusted proxy %q is not an address or network like 10.0.0.0/8", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the address of the client that sent r. The connection's
// peer (r.RemoteAddr) is the client unless it is one of the trusted proxies;
// then X-Forwarded-For (every field line, in order) is read from the right,
// skipping trusted proxies, and the first address that is not one is the
// client: the rightmost untrusted address, the only one a client cannot
// forge. If every listed address is trusted, the leftmost one is returned. An
// entry that is not an address (a forged or garbled header behind a proxy
// that appends without checking) ends the walk and the nearest trusted hop to
// its right is returned, so garbage cannot mint fresh rate limit keys.
//
// Addresses are returned in canonical form, IPv4-mapped IPv6 unmapped and
// zones dropped. A peer that is not an IP address (a Unix socket) is returned
// as is, without consulting X-Forwarded-For.
func ClientIP(r *http.Request, trustedProxies []netip.Prefix) string {
	peer, ok := parseHost(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !trusted(peer, trustedProxies) {
		return addrText(r.RemoteAddr, peer)
	}
	client := peer
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for v != "" {
			j := strings.LastIndexByte(v, ',')
			item := strings.TrimSpace(v[j+1:])
			if j < 0 {
				v = ""
			} else {
				v = v[:j]
			}
			if item == "" {
				continue // "a, , b": empty list members are skipped
			}
			a, ok := parseHost(item)
			if !ok {
				return client.String()
			}
			client = a
			if !trusted(a, trustedProxies) {
				return a.String()
			}
		}
	}
	return client.String()
}

// addrText is a.String(), without allocating when s (an address with or
// without a port, as parseHost reads) already holds that text: the
// connection's peer on every request.
func addrText(s string, a netip.Addr) string {
	var buf [64]byte
	b := a.AppendTo(buf[:0])
	h := s
	if !strings.HasPrefix(h, "[") {
		if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h, ':') == i {
			h = h[:i] // "1.2.3.4:80"
		}
	} else if i := strings.LastIndex(h, "]"); i >= 0 {
		h = h[1:i] // "[::1]:80"
	}
	if string(b) == h {
		return h
	}
	return string(b)
}

// parseHost reads an address, with or without a port ("1.2.3.4",
// "1.2.3.4:80", "::1", "[::1]:80", "[::1]").
func parseHost(s string) (netip.Addr, bool) {
	if i := strings.LastIndexByte(s, ':'); i > 0 && (s[0] == '[' || strings.IndexByte(s, ':') == i) {
		// An address and a port, as the connection's peer always is:
		// read as such first (a failed ParseAddr allocates its error).
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return ap.Addr().Unmap().WithZone(""), true
		}
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap().WithZone(""), true
		}
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap().WithZone(""), true
		}
	}
	return netip.Addr{}, false
}

// KeyByIP returns a key function for Middleware: the ClientIP, with IPv6
// addresses grouped by /64 (one subscriber's allocation, which a client can
// walk through freely).
func KeyByIP(trustedProxies []netip.Prefix) func(*http.Request) string {
	return func(r *http.Request) string { return IPKey(ClientIP(r, trustedProxies)) }
}

// IPKey turns a client address into a rate limit key: IPv4 as is, IPv6 as
// its /64 network. Anything else is returned unchanged.
func IPKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return addrText(addr, a)
}

// FromTrustedProxy reports whether r came straight from one of the trusted
// proxies (its connection's peer is one), whose forwarding headers
// (X-Forwarded-For, X-Forwarded-Proto) may then be believed.
func FromTrustedProxy(r *http.Request, trustedProxies []netip.Prefix) bool {
	peer, ok := parseHost(r.RemoteAddr)
	return ok && trusted(peer, trustedProxies)
}
