package archtest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBusinessPackagesImportNoAdapter is the layering rule: every package in
// Business, with everything it imports (test files aside), reaches none of
// Forbidden.
func TestBusinessPackagesImportNoAdapter(t *testing.T) {
	pkgs := make([]string, len(Business))
	for i, p := range Business {
		pkgs[i] = Module + "/" + p
	}
	imports := goList(t, pkgs)
	found := map[[2]string]bool{}
	for _, p := range pkgs {
		if _, ok := imports[p]; !ok {
			t.Errorf("business package %s does not exist: update archtest.Business", p)
			continue
		}
		for _, v := range Check(p, imports, Forbidden) {
			key := [2]string{strings.TrimPrefix(v.Pkg, Module+"/"), v.Rule.Path}
			if why, ok := Known[key]; ok {
				if !found[key] {
					t.Logf("known, being removed (%s): %s", why, v)
				}
				found[key] = true
				continue
			}
			t.Errorf("%s", v)
		}
	}
	for key := range Known {
		if !found[key] {
			t.Logf("archtest.Known[%q] no longer happens: delete the entry", key)
		}
	}
}

// TestCheckFindsViolations runs the checker on a made-up import graph, so
// the rule above is known to be able to fail.
func TestCheckFindsViolations(t *testing.T) {
	imports := map[string][]string{
		"m/cart":     {"context", "m/pricing"},
		"m/pricing":  {"m/lock"},
		"m/lock":     {"github.com/prometheus/client_golang/prometheus", "time"},
		"m/order":    {"database/sql", "m/sqldb"},
		"m/sqldb":    {"database/sql"},
		"m/clean":    {"strings"},
		"m/httpish":  {"net/http/httptest"},
		"m/httplike": {"net/httpx"},
	}
	rules := []Rule{
		{"database/sql", "sql"},
		{"github.com/prometheus", "metrics"},
		{"m/sqldb", "adapter"},
		{"net/http", "http"},
	}
	for pkg, want := range map[string][]string{
		"m/cart":     {"m/cart reaches (through m/pricing) github.com/prometheus/client_golang/prometheus: metrics"},
		"m/order":    {"m/order imports database/sql: sql", "m/order imports m/sqldb: adapter"},
		"m/clean":    nil,
		"m/httpish":  {"m/httpish imports net/http/httptest: http"},
		"m/httplike": nil, // net/httpx is not below net/http
	} {
		var got []string
		for _, v := range Check(pkg, imports, rules) {
			got = append(got, v.String())
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("Check(%s) = %q, want %q", pkg, got, want)
		}
	}
}

// goList returns the direct imports of pkgs and of every package they
// reach, as the go command resolves them for this platform. It also reads
// the directories of Ocean's packages among them, so that go test's cache
// knows this result depends on those files.
func goList(t *testing.T, pkgs []string) map[string][]string {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", `{{.ImportPath}} {{if not .Standard}}{{.Dir}}{{else}}-{{end}}{{range .Imports}} {{.}}{{end}}`}, pkgs...)
	cmd := exec.Command("go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	imports := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		imports[f[0]] = f[2:]
		if Under(f[0], Module) {
			watch(t, f[1])
		}
	}
	return imports
}

// watch reads dir and stats its Go files: go test caches a test's result
// only while the files it consulted are unchanged.
func watch(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") {
			if _, err := os.Stat(filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
}
