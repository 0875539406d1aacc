package seed

import (
	"slices"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	f, rest, err := ParseFlags([]string{"--scale", "1_000", "--force", "--database-url", "x"})
	if err != nil || f.Scale != 1000 || !f.Force || !slices.Equal(rest, []string{"--database-url", "x"}) {
		t.Fatalf("--scale 1_000 --force: %+v %v %v", f, rest, err)
	}
	if f, _, err := ParseFlags([]string{"-scale=5"}); err != nil || f.Scale != 5 || f.Force {
		t.Fatalf("-scale=5: %+v %v", f, err)
	}
	for _, bad := range [][]string{{"--scale"}, {"--scale", "0"}, {"--scale=many"}, {"--scale", "100000001"}, {"--force"}} {
		if _, _, err := ParseFlags(bad); err == nil || !strings.Contains(err.Error(), "-") {
			t.Errorf("%q: %v, want a refusal naming the flag", bad, err)
		}
	}
	r := &Report{Products: 2, Variants: 6, Customers: 1, Orders: 2, Lines: 3}
	if s := r.Summary(); !strings.Contains(s, "2 products (6 variants)") || !strings.Contains(s, Password) {
		t.Errorf("summary: %q", s)
	}
}
