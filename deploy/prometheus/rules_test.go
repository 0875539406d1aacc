// Package prometheus holds Ocean's Prometheus rules, their promtool unit
// tests and the example configuration: tests only. The tests run
// Debian's promtool and amtool (scripts/ops-setup.sh installs them) and a
// real Prometheus scraping a real Ocean.
package prometheus

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// need skips (or, under make test and CI, fails) when a program is
// missing.
func need(t *testing.T, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("OCEAN_REQUIRE_SERVICES") != "" || os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed: make test installs it (scripts/ops-setup.sh)", p)
			}
			t.Skipf("%s is not installed (scripts/ops-setup.sh installs it: apt-get install prometheus prometheus-alertmanager)", p)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func ruleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("rules/*.yml")
	if err != nil || len(files) < 2 {
		t.Fatalf("rule files: %v %v", files, err)
	}
	return files
}

// TestRulesAreValid: promtool accepts the rules and the example
// configuration, amtool the Alertmanager example.
func TestRulesAreValid(t *testing.T) {
	need(t, "promtool", "amtool")
	run(t, "promtool", append([]string{"check", "rules"}, ruleFiles(t)...)...)
	run(t, "promtool", "check", "config", "--syntax-only", "prometheus.yml")
	run(t, "amtool", "check-config", "../alertmanager/alertmanager.yml")
}

// TestRuleUnitTests runs the promtool unit tests in tests/.
func TestRuleUnitTests(t *testing.T) {
	need(t, "promtool")
	tests, _ := filepath.Glob("tests/*.yml")
	if len(tests) == 0 {
		t.Fatal("no rule unit tests in tests/")
	}
	out := run(t, "promtool", append([]string{"test", "rules"}, tests...)...)
	if strings.Count(out, "SUCCESS") != len(tests) {
		t.Fatalf("promtool test rules:\n%s", out)
	}
}

type ruleFile struct {
	Groups []struct {
		Name     string `json:"name"`
		Interval string `json:"interval"`
		Rules    []rule `json:"rules"`
	} `json:"groups"`
}

type rule struct {
	Record      string            `json:"record"`
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// loadRules reads every rule of the rule files.
func loadRules(t *testing.T) []rule {
	t.Helper()
	var all []rule
	for _, f := range ruleFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rf ruleFile
		if err := yaml.UnmarshalStrict(b, &rf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range rf.Groups {
			all = append(all, g.Rules...)
		}
	}
	return all
}

type unitTests struct {
	Tests []struct {
		Name          string `json:"name"`
		AlertRuleTest []struct {
			Alertname string `json:"alertname"`
			ExpAlerts []any  `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

const runbookBase = "https://github.com/oceanshop/ocean/blob/main/docs/runbooks/"

// TestEveryAlertHasRunbookAndTests: every alert has a severity, a summary,
// a description and a runbook_url that names its own runbook, which
// exists in docs/runbooks and is about that alert; every alert has a
// promtool test where it fires and one where it does not; and no runbook
// is left for an alert that is gone.
func TestEveryAlertHasRunbookAndTests(t *testing.T) {
	fires, silent := map[string]bool{}, map[string]bool{}
	tests, _ := filepath.Glob("tests/*.yml")
	for _, f := range tests {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ut unitTests
		if err := yaml.Unmarshal(b, &ut); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tc := range ut.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					silent[a.Alertname] = true
				}
			}
		}
	}
	alerts := map[string]bool{}
	for _, r := range loadRules(t) {
		if r.Alert == "" {
			continue
		}
		name := r.Alert
		alerts[name] = true
		if s := r.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("%s: severity %q, want critical (pages) or warning (ticket)", name, s)
		}
		for _, a := range []string{"summary", "description", "runbook_url"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s: no %s annotation", name, a)
			}
		}
		if want := runbookBase + name + ".md"; r.Annotations["runbook_url"] != want {
			t.Errorf("%s: runbook_url %q, want %q", name, r.Annotations["runbook_url"], want)
		}
		b, err := os.ReadFile(filepath.Join("..", "..", "docs", "runbooks", name+".md"))
		if err != nil {
			t.Errorf("%s: no runbook: %v", name, err)
		} else {
			for _, part := range []string{"# " + name + "\n", "## What it means", "## Confirm", "## What to do"} {
				if !bytes.Contains(b, []byte(part)) {
					t.Errorf("docs/runbooks/%s.md has no %q", name, strings.TrimSpace(part))
				}
			}
		}
		if !fires[name] {
			t.Errorf("%s: no promtool test in tests/ where it fires", name)
		}
		if !silent[name] {
			t.Errorf("%s: no promtool test in tests/ where it stays silent", name)
		}
	}
	if len(alerts) < 10 {
		t.Errorf("only %d alerts", len(alerts))
	}
	runbooks, _ := filepath.Glob("../../docs/runbooks/Ocean*.md")
	for _, f := range runbooks {
		if name := strings.TrimSuffix(filepath.Base(f), ".md"); !alerts[name] {
			t.Errorf("docs/runbooks/%s.md: no alert of that name", name)
		}
	}
}

// metricName matches the names of Ocean's own series in an expression:
// exported metrics (ocean_…) and recording rules (ocean:…).
var metricName = regexp.MustCompile(`\bocean[_:][a-zA-Z0-9_:]*`)

// exprNames returns the ocean_ metric names and ocean: recorded series an
// expression reads.
func exprNames(expr string) (metrics, recorded []string) {
	for _, n := range metricName.FindAllString(expr, -1) {
		if strings.HasPrefix(n, "ocean:") {
			recorded = append(recorded, n)
		} else {
			metrics = append(metrics, n)
		}
	}
	return metrics, recorded
}

// TestRecordedSeriesAreDefined: every ocean:… series an alert or a
// recording rule reads is recorded by a rule (a typo there would leave an
// alert that can never fire).
func TestRecordedSeriesAreDefined(t *testing.T) {
	rules := loadRules(t)
	defined := map[string]bool{}
	for _, r := range rules {
		if r.Record != "" {
			if !strings.HasPrefix(r.Record, "ocean:") {
				t.Errorf("recording rule %s: want the level:metric:operations form starting with ocean:", r.Record)
			}
			defined[r.Record] = true
		}
	}
	for _, r := range rules {
		_, recorded := exprNames(r.Expr)
		for _, n := range recorded {
			if !defined[n] {
				t.Errorf("%s%s reads %s, which no rule records", r.Alert, r.Record, n)
			}
		}
	}
	if !defined["ocean:sli_errors:ratio_rate5m"] || !defined["ocean:sli_slow:ratio_rate5m"] {
		t.Error("the availability and latency SLIs are not recorded")
	}
}
