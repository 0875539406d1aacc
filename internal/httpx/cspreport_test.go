package httpx

import (
	"strings"
	"testing"
	"time"
)

func TestParseCSPReports(t *testing.T) {
	for body, want := range map[string]int{
		`{"csp-report":{"violated-directive":"img-src https:"}}`:                              1,
		`[{"type":"csp-violation","body":{"effectiveDirective":"script-src-elem"}}]`:          1,
		`[{"type":"deprecation","body":{}},{"type":"csp-violation","body":{}}]`:               1,
		`[{"type":"deprecation","body":{}}]`:                                                  0,
		`[` + strings.TrimSuffix(strings.Repeat(`{"type":"csp-violation"},`, 101), ",") + `]`: -1,
		`[]`: -1, `{}`: -1, `null`: -1, `"x"`: -1, ``: -1,
	} {
		vs, ok := parseCSPReports([]byte(body))
		if (want < 0) == ok || (ok && len(vs) != want) {
			t.Errorf("%.60s: %d reports, ok %v; want %d", body, len(vs), ok, want)
		}
	}
}

func FuzzParseCSPReports(f *testing.F) {
	f.Add([]byte(`{"csp-report":{"effective-directive":"img-src"}}`))
	f.Add([]byte(`[{"type":"csp-violation","body":{"effectiveDirective":"x"}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, ok := parseCSPReports(b)
		if !ok && len(vs) > 0 || len(vs) > 100 {
			t.Fatalf("%q: %d reports, ok %v", b, len(vs), ok)
		}
	})
}

// TestLogLimiter: at most max lines per period, then again after it.
func TestLogLimiter(t *testing.T) {
	l := NewLogLimiter(time.Minute, 3)
	now := time.Unix(1000, 0)
	n := 0
	for range 10 {
		if l.Allow(now) {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d lines in one minute, want 3", n)
	}
	if !l.Allow(now.Add(time.Minute)) {
		t.Fatal("no line after the minute")
	}
}
