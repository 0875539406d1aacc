package httpx

import (
	"strings"
	"testing"
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
