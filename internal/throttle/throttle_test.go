package throttle_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/throttle"
)

func TestPolicyDelay(t *testing.T) {
	p := throttle.Policy{Free: 2, Base: 3 * time.Second, Max: time.Minute, Window: time.Hour}
	want := []time.Duration{0, 0, 0, 3 * time.Second, 6 * time.Second, 12 * time.Second, 24 * time.Second, 48 * time.Second, time.Minute, time.Minute}
	for n, w := range want {
		if got := p.Delay(n); got != w {
			t.Errorf("Delay(%d) = %v, want %v", n, got, w)
		}
	}
	// Huge counts and a Max near the limit of time.Duration do not overflow.
	big := throttle.Policy{Free: 0, Base: time.Second, Max: 1<<63 - 1, Window: time.Hour}
	for _, n := range []int{62, 63, 64, 100, 1 << 40} {
		if got := big.Delay(n); got <= 0 {
			t.Errorf("Delay(%d) with a huge Max = %v, want > 0", n, got)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := throttle.SignIn().Validate(); err != nil {
		t.Fatalf("SignIn policy: %v", err)
	}
	bad := []throttle.Policy{
		{Free: -1, Base: time.Second, Max: time.Minute, Window: time.Minute},
		{Free: 1, Base: 0, Max: time.Minute, Window: time.Minute},
		{Free: 1, Base: time.Minute, Max: time.Second, Window: time.Minute},
		{Free: 1, Base: time.Second, Max: time.Minute, Window: 0},
	}
	for _, p := range bad {
		if p.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", p)
		}
	}
}

func TestAccountKeyIgnoresCaseAndSpace(t *testing.T) {
	if a, b := throttle.AccountKey("signin", " Ann@Example.COM"), throttle.AccountKey("signin", "ann@example.com"); a != b {
		t.Fatalf("%q != %q", a, b)
	}
	if got := throttle.AccountKey("signin", "ann@example.com"); got != "signin:acct:ann@example.com" {
		t.Fatalf("AccountKey = %q", got)
	}
	if throttle.AccountKey("signin", "a@x.com") == throttle.AccountKey("reset", "a@x.com") {
		t.Fatal("sign-in and reset share a key")
	}
}

func TestIPKey(t *testing.T) {
	key := func(s string) string { return throttle.IPKey("signin", netip.MustParseAddr(s)) }
	if got := key("192.0.2.7"); got != "signin:ip:192.0.2.7" {
		t.Errorf("IPv4 key = %q", got)
	}
	if key("::ffff:192.0.2.7") != key("192.0.2.7") {
		t.Error("an IPv4-mapped address gets its own key")
	}
	if key("192.0.2.7") == key("192.0.2.8") {
		t.Error("two IPv4 addresses share a key")
	}
	if key("2001:db8:1:2::1") != key("2001:db8:1:2:ffff::9") {
		t.Error("addresses in one IPv6 /64 get different keys")
	}
	if key("2001:db8:1:2::1") == key("2001:db8:1:3::1") {
		t.Error("different IPv6 /64s share a key")
	}
	if got := key("fe80::1%eth0"); got != "signin:ip:fe80::/64" {
		t.Errorf("zoned key = %q", got)
	}
}
