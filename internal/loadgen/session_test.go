package loadgen

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// The histogram's quantiles stay within its 3% bucket width of the exact
// ones, and its maximum is exact.
func TestHistQuantiles(t *testing.T) {
	var h hist
	rng := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	for range 100000 {
		d := time.Duration(rng.ExpFloat64() * float64(20*time.Millisecond))
		all = append(all, d)
		h.add(d)
	}
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.95, 0.99} {
		exact := all[int(q*float64(len(all)))-1]
		got := h.quantile(q)
		if diff := float64(got-exact) / float64(exact); diff < -0.04 || diff > 0.04 {
			t.Errorf("p%v = %s, exact %s (%.1f%% off)", q*100, got, exact, diff*100)
		}
	}
	if h.quantile(1) != all[len(all)-1] || time.Duration(h.max.Load()) != all[len(all)-1] {
		t.Errorf("max %s, want %s", time.Duration(h.max.Load()), all[len(all)-1])
	}
	for i := range histBuckets - 1 {
		if bucketOf(upper(i)) != i || bucketOf(upper(i)+1) != i+1 {
			t.Fatalf("bucket %d: upper %d maps to %d, next to %d", i, upper(i), bucketOf(upper(i)), bucketOf(upper(i)+1))
		}
	}
}

// A run refuses a target that is not this machine unless told otherwise,
// and a mode it does not know.
func TestPlanRefusesRemoteTargets(t *testing.T) {
	for _, target := range []string{"http://192.0.2.1:8080", "http://10.1.2.3", "ftp://127.0.0.1"} {
		p := Plan{Targets: []string{target}}
		if err := p.defaults(); err == nil {
			t.Errorf("%s accepted", target)
		}
	}
	p := Plan{Targets: []string{"http://192.0.2.1:8080"}, AllowRemote: true}
	if err := p.defaults(); err != nil {
		t.Errorf("with AllowRemote: %v", err)
	}
	for _, target := range []string{"http://127.0.0.1:8080", "http://localhost:8080/", "http://[::1]:9"} {
		p := Plan{Targets: []string{target}}
		if err := p.defaults(); err != nil {
			t.Errorf("%s refused: %v", target, err)
		}
	}
	p = Plan{Targets: []string{"http://127.0.0.1:1"}, Mode: "forever"}
	if err := p.defaults(); err == nil || !strings.Contains(err.Error(), "forever") {
		t.Errorf("mode forever: %v", err)
	}
}

// Each mode's schedule is bounded and shaped as documented.
func TestPlanPhases(t *testing.T) {
	p := Plan{Targets: []string{"http://127.0.0.1:1"}, Sessions: 100, Mode: "spike", Ramp: time.Second, Steady: 10 * time.Second, Spike: 3 * time.Second, SpikeFactor: 3}
	if err := p.defaults(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ph := range p.phases() {
		names = append(names, ph.name)
		if ph.name == "spike" && ph.to != 300 {
			t.Errorf("spike to %d sessions, want 300", ph.to)
		}
	}
	if got := strings.Join(names, ","); got != "ramp,before spike,spike,after spike" {
		t.Errorf("phases %s", got)
	}
	if p.Duration() != 14*time.Second {
		t.Errorf("duration %s, want 14s", p.Duration())
	}
	if p.MaxConns != 300 {
		t.Errorf("pool %d, want the spike's 300", p.MaxConns)
	}
}
