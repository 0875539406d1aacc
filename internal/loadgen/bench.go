package loadgen

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BenchOptions configure a closed-loop throughput run: Workers loop
// without think time for Duration, each on its own keep-alive connection,
// so the figure is what the server (and the machine) can do at most.
type BenchOptions struct {
	Target string
	// Kind: "get" (GET Path), "search" (uncached product searches: a
	// random word, sort and price cap each time), "add" (add to cart, a
	// new cart every 20 items), "checkout" (new cart, add, checkout with
	// the sandbox gateway; each worker buys its own variant: uncontended)
	// or "hot" (the same, every worker buying the same variant).
	Kind        string
	Path        string
	Workers     int
	Duration    time.Duration
	AllowRemote bool
	AdminEmail  string // tops up stock (checkout, hot)
	AdminPass   string
}

// BenchResult is one closed-loop run. Ops are requests (get, search, add)
// or completed purchases (checkout, hot: three requests each).
type BenchResult struct {
	Kind      string  `json:"kind"`
	Workers   int     `json:"workers"`
	Ops       int64   `json:"ops"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
	Errors    int64   `json:"errors"`
	Sample    string  `json:"error_sample,omitempty"`
	LoadAvg   string  `json:"load_average"`
}

func (b BenchResult) String() string {
	s := fmt.Sprintf("%-8s %4d workers %10.1f/s  p50 %7.2f ms  p99 %7.2f ms  errors %d  (load %s)", b.Kind, b.Workers, b.PerSecond, b.P50, b.P99, b.Errors, b.LoadAvg)
	if b.Sample != "" {
		s += "  e.g. " + b.Sample
	}
	return s
}

// Bench runs o. Set-up (the catalogue walk, stock) is not measured.
func Bench(ctx context.Context, o BenchOptions) (BenchResult, error) {
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	p := Plan{Targets: []string{o.Target}, Sessions: o.Workers, MaxConns: o.Workers, AllowRemote: o.AllowRemote, AdminEmail: o.AdminEmail, AdminPass: o.AdminPass, Mix: Mix{Category: 1}}
	if err := p.defaults(); err != nil {
		return BenchResult{}, err
	}
	r := &runner{plan: p, clients: []*http.Client{{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxConnsPerHost:     o.Workers,
		MaxIdleConnsPerHost: o.Workers,
		IdleConnTimeout:     90 * time.Second,
		// The same bytes as the bare handler's: no gzip asked for.
		DisableCompression: true,
	}}}}
	defer r.clients[0].CloseIdleConnections()
	switch o.Kind {
	case "get":
		if o.Path == "" {
			return BenchResult{}, fmt.Errorf("bench get: no path")
		}
	case "search", "add", "checkout", "hot":
		if _, err := r.setup(ctx); err != nil {
			return BenchResult{}, fmt.Errorf("set-up: %w", err)
		}
	default:
		return BenchResult{}, fmt.Errorf("bench %q: want get, search, add, checkout or hot", o.Kind)
	}
	s := newStats(o.Kind)
	var ops atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.Workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(w))) //nolint:gosec // which page or variant to ask for: no secret
			r.benchWorker(ctx, s, o, w, rng, &ops)
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	h := s.steps[StepCheckout]
	switch o.Kind {
	case "get", "search":
		h = s.steps[StepProduct]
	case "add":
		h = s.steps[StepAdd]
	}
	res := BenchResult{Kind: o.Kind, Workers: o.Workers, Ops: ops.Load(), Seconds: math.Round(secs*10) / 10,
		PerSecond: math.Round(float64(ops.Load())/secs*10) / 10, LoadAvg: loadAvg(),
		P50: float64(h.quantile(0.5).Microseconds()) / 1000, P99: float64(h.quantile(0.99).Microseconds()) / 1000}
	for _, st := range Steps {
		res.Errors += s.stepErrors[st].Load()
	}
	for k, v := range s.samples {
		res.Sample = k + ": " + strings.Join(strings.Fields(v), " ")
		if len(res.Sample) > 160 {
			res.Sample = res.Sample[:160]
		}
		break
	}
	return res, nil
}

var sorts = []string{"relevance", "price_asc", "price_desc", "newest"}

func (r *runner) benchWorker(ctx context.Context, s *stats, o BenchOptions, w int, rng *rand.Rand, ops *atomic.Int64) {
	cat := r.cat
	req := func(step, method, path string, hdr map[string]string, body any, want int, out any) bool {
		return ctx.Err() == nil && r.requestH(ctx, s, 0, step, method, path, "", hdr, body, want, out)
	}
	var cart struct {
		ID string `json:"id"`
	}
	items := 0
	for ctx.Err() == nil {
		switch o.Kind {
		case "get":
			if req(StepProduct, "GET", o.Path, nil, nil, 200, nil) {
				ops.Add(1)
			}
		case "search":
			q := url.Values{"q": {cat.words[rng.IntN(len(cat.words))]}, "sort": {sorts[rng.IntN(len(sorts))]},
				"max_price": {fmt.Sprint(10000 + rng.IntN(290000))}}
			if req(StepProduct, "GET", "/api/v1/products?"+q.Encode(), nil, nil, 200, nil) {
				ops.Add(1)
			}
		case "add":
			if cart.ID == "" || items >= 20 {
				cart.ID, items = "", 0
				if !req(StepNewCart, "POST", "/api/v1/carts", nil, nil, 201, &cart) {
					continue
				}
			}
			if req(StepAdd, "POST", "/api/v1/carts/"+cart.ID+"/items", nil, map[string]any{"variant_id": cat.variants[rng.IntN(len(cat.variants))], "quantity": 1}, 200, nil) {
				ops.Add(1)
				items++
			}
		case "checkout", "hot":
			v := cat.variants[w%len(cat.variants)]
			if o.Kind == "hot" {
				v = cat.variants[0]
			}
			if !req(StepNewCart, "POST", "/api/v1/carts", nil, nil, 201, &cart) ||
				!req(StepAdd, "POST", "/api/v1/carts/"+cart.ID+"/items", nil, map[string]any{"variant_id": v, "quantity": 1}, 200, nil) {
				continue
			}
			body := map[string]any{
				"email":            fmt.Sprintf("bench-%d@example.com", w),
				"shipping_address": map[string]string{"name": "Bench Buyer", "line1": "1 Dock Road", "city": "Cape Town", "postal_code": "8001", "country": "ZA"},
				"shipping_method":  "standard",
				"payment":          map[string]string{"gateway": "sandbox", "token": "tok_visa"},
			}
			key := map[string]string{"Idempotency-Key": fmt.Sprintf("bench-%s-%d", r.runID, r.seq.Add(1))}
			if req(StepCheckout, "POST", "/api/v1/carts/"+cart.ID+"/checkout", key, body, 201, nil) {
				ops.Add(1)
			}
		}
	}
}
