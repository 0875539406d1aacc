package ratelimit_test

import (
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/ratelimit"
)

func TestParseTrustedProxies(t *testing.T) {
	ps, err := ratelimit.ParseTrustedProxies("10.0.0.0/8,192.168.1.5 , fd00::/8\t::ffff:172.16.0.0/108, 10.1.2.3/8")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.5/32", "fd00::/8", "172.16.0.0/12", "10.0.0.0/8"}
	if len(ps) != len(want) {
		t.Fatalf("got %v, want %v", ps, want)
	}
	for i, p := range ps {
		if p.String() != want[i] {
			t.Errorf("entry %d = %v, want %v", i, p, want[i])
		}
	}
	if ps, err := ratelimit.ParseTrustedProxies(""); err != nil || len(ps) != 0 {
		t.Errorf(`ParseTrustedProxies("") = %v, %v`, ps, err)
	}
	if ps, err := ratelimit.ParseTrustedProxies("loopback,private"); err != nil || len(ps) != 6 {
		t.Errorf("loopback,private = %v, %v", ps, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0", "fe80::1%eth0", "::ffff:1.2.3.4/8", "1.2.3.4/"} {
		_, err := ratelimit.ParseTrustedProxies("10.0.0.1," + bad)
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseTrustedProxies(%q): error %v does not name the entry", bad, err)
		}
	}
}

func TestClientIP(t *testing.T) {
	trusted, err := ratelimit.ParseTrustedProxies("10.0.0.0/8, 192.168.1.5, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"direct client", "203.0.113.9:5555", nil, "203.0.113.9"},
		{"untrusted peer's XFF is ignored", "203.0.113.9:5555", []string{"1.1.1.1"}, "203.0.113.9"},
		{"trusted proxy, one hop", "10.0.0.2:80", []string{"198.51.100.4"}, "198.51.100.4"},
		{"forged left entries are skipped", "10.0.0.2:80", []string{"6.6.6.6, 198.51.100.4"}, "198.51.100.4"},
		{"chain of trusted proxies", "10.0.0.2:80", []string{"6.6.6.6, 198.51.100.4, 192.168.1.5, 10.9.9.9"}, "198.51.100.4"},
		{"several field lines", "10.0.0.2:80", []string{"6.6.6.6, 198.51.100.4", "10.3.3.3"}, "198.51.100.4"},
		{"all trusted: leftmost", "10.0.0.2:80", []string{"10.1.1.1, 10.2.2.2"}, "10.1.1.1"},
		{"no header from a trusted proxy", "10.0.0.2:80", nil, "10.0.0.2"},
		{"garbage stops the walk", "10.0.0.2:80", []string{"198.51.100.4, nonsense, 10.5.5.5"}, "10.5.5.5"},
		{"garbage next to the peer", "10.0.0.2:80", []string{"unknown"}, "10.0.0.2"},
		{"entries with ports", "10.0.0.2:80", []string{"[2001:db8::1]:4711, 10.4.4.4:80"}, "2001:db8::1"},
		{"empty members", "10.0.0.2:80", []string{" , 198.51.100.4 ,, "}, "198.51.100.4"},
		{"IPv6 proxy", "[fd00::1]:443", []string{"2001:db8::7"}, "2001:db8::7"},
		{"mapped IPv4 peer", "[::ffff:10.0.0.2]:80", []string{"::ffff:198.51.100.4"}, "198.51.100.4"},
		{"zone dropped", "[fe80::1%eth0]:80", nil, "fe80::1"},
		{"unix socket peer", "@", []string{"1.2.3.4"}, "@"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ratelimit.ClientIP(r, trusted); got != c.want {
				t.Errorf("ClientIP = %q, want %q", got, c.want)
			}
		})
	}
}

func TestIPKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":          "203.0.113.9",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"::ffff:203.0.113.9":   "203.0.113.9",
		"@":                    "@",
	} {
		if got := ratelimit.IPKey(in); got != want {
			t.Errorf("IPKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzClientIP: whatever the headers, ClientIP returns a canonical address
// (or an unparseable peer verbatim); an untrusted peer is never overridden;
// the answer is the peer or listed in X-Forwarded-For; and once the answer is
// an untrusted address, nothing a client prepends to the header changes it.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.0/8,192.168.1.5", "10.0.0.2:80", "6.6.6.6, 198.51.100.4, 10.9.9.9")
	f.Add("10.0.0.0/8", "203.0.113.9:1", "1.1.1.1")
	f.Add("fd00::/8", "[fd00::1]:443", "[2001:db8::1]:4711, garbage")
	f.Add("0.0.0.0/0", "1.2.3.4:5", ",,,")
	f.Add("::/0,0.0.0.0/0", "[::ffff:1.2.3.4]:5", "::ffff:10.0.0.1, [fe80::1%eth0]:80, 1.2.3.4:")
	f.Add("private", "10.0.0.1:1", "[1.2.3.4]:80")
	f.Fuzz(func(t *testing.T, trustedList, remote, xff string) {
		trusted, err := ratelimit.ParseTrustedProxies(trustedList)
		if err != nil {
			return
		}
		for _, p := range trusted {
			if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() {
				t.Fatalf("ParseTrustedProxies(%q) returned %v", trustedList, p)
			}
		}
		clientIP := func(xff string) string {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = remote
			r.Header.Set("X-Forwarded-For", xff)
			return ratelimit.ClientIP(r, trusted)
		}
		got := clientIP(xff)
		peer := clientIP("")
		a, err := netip.ParseAddr(got)
		if err != nil {
			if got != remote {
				t.Fatalf("ClientIP = %q: neither an address nor the peer %q", got, remote)
			}
			return
		}
		if a.Zone() != "" || a.Is4In6() || a.String() != got {
			t.Fatalf("ClientIP = %q is not canonical", got)
		}
		isTrusted := func(a netip.Addr) bool {
			for _, p := range trusted {
				if p.Contains(a) {
					return true
				}
			}
			return false
		}
		if pa, err := netip.ParseAddr(peer); err == nil && !isTrusted(pa) && got != peer {
			t.Fatalf("untrusted peer %q overridden by X-Forwarded-For: %q", peer, got)
		}
		if got != peer && !strings.Contains(xff, strings.Trim(got, "[]")) && !listed(xff, a) {
			t.Fatalf("ClientIP = %q is neither the peer %q nor in X-Forwarded-For %q", got, peer, xff)
		}
		if !isTrusted(a) {
			if forged := clientIP("203.0.113.66, " + xff); forged != got {
				t.Fatalf("prepending a forged entry changed ClientIP from %q to %q", got, forged)
			}
		}
	})
}

// listed reports whether a appears in the comma-separated list in one of the
// spellings a proxy may use (with a port, in brackets, IPv4-mapped).
func listed(list string, a netip.Addr) bool {
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if h, _, err := net.SplitHostPort(item); err == nil {
			item = h
		}
		item = strings.TrimSuffix(strings.TrimPrefix(item, "["), "]")
		if b, err := netip.ParseAddr(item); err == nil && b.Unmap().WithZone("") == a {
			return true
		}
	}
	return false
}

// The client's address is its canonical text whatever form the peer's
// address came in, so one client is one rate limit key.
func TestClientIPIsCanonicalText(t *testing.T) {
	for remote, want := range map[string]string{
		"203.0.113.7:4242":            "203.0.113.7",
		"203.0.113.7":                 "203.0.113.7",
		"[::1]:80":                    "::1",
		"::1":                         "::1",
		"[::ffff:203.0.113.7]:80":     "203.0.113.7",
		"::ffff:203.0.113.7":          "203.0.113.7",
		"[fe80::1%eth0]:80":           "fe80::1",
		"[2001:DB8:0:0:0:0:0:1]:8080": "2001:db8::1",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if got := ratelimit.ClientIP(r, nil); got != want {
			t.Errorf("ClientIP with peer %q = %q, want %q", remote, got, want)
		}
		if got := ratelimit.IPKey(want); strings.Contains(want, ".") && got != want {
			t.Errorf("IPKey(%q) = %q, want it unchanged", want, got)
		}
	}
}
