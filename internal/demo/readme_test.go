package demo_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	ocean "github.com/oceanshop/ocean"
	"github.com/oceanshop/ocean/internal/demo"
)

// TestREADMEMatchesTheDemo: the README's first-start paragraph gives the
// number of demo products the start logs, and its `ocean …` commands can
// be run as written by someone who has only the source.
func TestREADMEMatchesTheDemo(t *testing.T) {
	b, err := ocean.Docs.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	m := regexp.MustCompile(`seeds (?:about )?(\d+) demo products`).FindStringSubmatch(readme)
	if m == nil {
		t.Fatal("the README does not say how many demo products are seeded")
	}
	_, items := demo.Catalog()
	if n, _ := strconv.Atoi(m[1]); n != len(items) {
		t.Errorf("the README says %d demo products, the seed has %d", n, len(items))
	}
	// A command line that starts with a bare `ocean` needs the binary the
	// README builds first.
	build := strings.Index(readme, "go build -o ocean ./cmd/ocean")
	first := regexp.MustCompile(`(?m)^ocean `).FindStringIndex(readme)
	if build < 0 || first != nil && first[0] < build {
		t.Errorf("the README runs `ocean` before it shows how to build it (build step at %d, first command at %v)", build, first)
	}
}
