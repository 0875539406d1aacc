package ratelimit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ratelimit"
)

func TestParsePolicy(t *testing.T) {
	for _, c := range []struct {
		in     string
		limit  int
		window time.Duration
	}{
		{"100/min", 100, time.Minute},
		{"100/m", 100, time.Minute},
		{" 100 / Minute ", 100, time.Minute},
		{"5/15m", 5, 15 * time.Minute},
		{"5/15min", 5, 15 * time.Minute},
		{"20/h", 20, time.Hour},
		{"20/hour", 20, time.Hour},
		{"1000/1d", 1000, 24 * time.Hour},
		{"3/90s", 3, 90 * time.Second},
		{"1/sec", 1, time.Second},
		{"100000/7d", 100000, 7 * 24 * time.Hour},
		{"off", 0, 0},
		{"OFF", 0, 0},
	} {
		p, err := ratelimit.ParsePolicy(c.in)
		if err != nil {
			t.Errorf("ParsePolicy(%q): %v", c.in, err)
			continue
		}
		if p.Limit != c.limit || p.Window != c.window {
			t.Errorf("ParsePolicy(%q) = %d/%v, want %d/%v", c.in, p.Limit, p.Window, c.limit, c.window)
		}
	}
}

func TestParsePolicyErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "not a rate limit"},
		{"100", "not a rate limit"},
		{"on", "not a rate limit"},
		{"0/min", "use off"},
		{"-1/min", "whole number from 1"},
		{"+1/min", "whole number from 1"},
		{"1.5/min", "whole number from 1"},
		{"100001/min", "whole number from 1"},
		{"x/min", "whole number from 1"},
		{"100/", "window must be a unit"},
		{"100/ms", "window must be a unit"},
		{"100/1h30m", "window must be a unit"},
		{"100/fortnight", "window must be a unit"},
		{"100/0m", "1s to 7 days"},
		{"100/8d", "1s to 7 days"},
		{"100/99999999999999999999s", "1s to 7 days"},
		{"1/2/3", "window must be a unit"},
	} {
		_, err := ratelimit.ParsePolicy(c.in)
		if err == nil {
			t.Errorf("ParsePolicy(%q) succeeded", c.in)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParsePolicy(%q) error %q does not say %q", c.in, err, c.want)
		}
	}
}

func TestPolicyString(t *testing.T) {
	for in, want := range map[string]string{
		"100/min": "100/1m", "5/15m": "5/15m", "20/h": "20/1h", "3/90s": "3/90s",
		"1/120m": "1/2h", "7/1d": "7/1d", "off": "off",
	} {
		p, err := ratelimit.ParsePolicy(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.String(); got != want {
			t.Errorf("ParsePolicy(%q).String() = %q, want %q", in, got, want)
		}
	}
}

// FuzzParsePolicy: whatever the setting, parsing never panics, and what it
// accepts is valid and survives a round trip through String.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"100/min", "5/15m", "20/h", "off", "1000/1d", "3/90s", "0/min", "1/0s", "100/", "/", "9/9999999999999999999h", " 7 / 2 hours "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ratelimit.ParsePolicy(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		p.Name = "fuzz"
		if err := p.Validate(); err != nil {
			t.Fatalf("ParsePolicy(%q) = %+v, which is invalid: %v", s, p, err)
		}
		q, err := ratelimit.ParsePolicy(p.String())
		if err != nil {
			t.Fatalf("ParsePolicy(%q) fails on its own String %q: %v", s, p.String(), err)
		}
		if q.Limit != p.Limit || q.Window != p.Window {
			t.Fatalf("round trip of %q: %v became %v", s, p, q)
		}
	})
}

func TestDefaults(t *testing.T) {
	want := map[string]string{"api": "100/1m", "signin": "10/1m", "reset": "5/15m", "checkout": "20/1m"}
	open := map[string]bool{"api": true, "signin": true, "reset": false, "checkout": true}
	ps := ratelimit.Defaults()
	if len(ps) != len(want) {
		t.Fatalf("%d default classes, want %d", len(ps), len(want))
	}
	for _, p := range ps {
		if p.String() != want[p.Name] || p.FailOpen != open[p.Name] {
			t.Errorf("default %s = %s fail-open %v, want %s fail-open %v", p.Name, p, p.FailOpen, want[p.Name], open[p.Name])
		}
	}
	if _, err := ratelimit.Index(ps); err != nil {
		t.Fatal(err)
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	ps, err := ratelimit.FromEnv(env(map[string]string{"OCEAN_RATE_LIMIT_API": "50/min", "OCEAN_RATE_LIMIT_RESET": "off"}))
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := ratelimit.Index(ps)
	if p := idx["api"]; p.String() != "50/1m" || !p.FailOpen {
		t.Errorf("api = %v fail-open %v", p, p.FailOpen)
	}
	if !idx["reset"].Off() || idx["signin"].String() != "10/1m" {
		t.Errorf("reset = %v, signin = %v", idx["reset"], idx["signin"])
	}

	ps, err = ratelimit.FromEnv(env(map[string]string{"OCEAN_RATE_LIMITS": "off", "OCEAN_RATE_LIMIT_API": "50/min"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if !p.Off() {
			t.Errorf("OCEAN_RATE_LIMITS=off left %s at %v", p.Name, p)
		}
	}

	for vars, name := range map[string]string{"OCEAN_RATE_LIMIT_SIGNIN": "OCEAN_RATE_LIMIT_SIGNIN", "OCEAN_RATE_LIMITS": "OCEAN_RATE_LIMITS"} {
		_, err := ratelimit.FromEnv(env(map[string]string{vars: "lots"}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=lots: error %v does not name the variable", vars, err)
		}
	}
}
