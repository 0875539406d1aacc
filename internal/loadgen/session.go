package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The steps of a shopper session, in the order a session takes them.
// Browsing pages are the storefront's HTML (what a person's browser asks
// for); the cart, checkout, sign-in and order history go through the JSON
// API (what the storefront's scripts, a mobile app or a headless front end
// call).
const (
	StepHome     = "home"          // GET /
	StepSignIn   = "sign_in"       // POST /api/v1/auth/login
	StepCategory = "category"      // GET /c/{slug}
	StepSearch   = "search"        // GET /search?q=
	StepProduct  = "product"       // GET /p/{slug}
	StepNewCart  = "new_cart"      // POST /api/v1/carts
	StepAdd      = "add_to_cart"   // POST /api/v1/carts/{id}/items
	StepCart     = "cart"          // GET /api/v1/carts/{id}
	StepCheckout = "checkout"      // POST /api/v1/carts/{id}/checkout, sandbox gateway
	StepOrders   = "order_history" // GET /api/v1/orders
)

// Steps lists every step in session order (the report's row order).
var Steps = []string{StepHome, StepSignIn, StepCategory, StepSearch, StepProduct, StepNewCart, StepAdd, StepCart, StepCheckout, StepOrders}

// Mix is the share of sessions that take each optional step (0..1). Every
// session opens the home page. The default is stated in docs/performance.md.
type Mix struct {
	SignIn    float64 // signs in (with an account Setup registered)
	Category  float64 // opens a category page
	Search    float64 // searches
	Product   float64 // opens 1-3 product pages
	AddToCart float64 // adds a product to a cart (a new cart), then views the cart
	Checkout  float64 // of those with a cart: checks out with the sandbox gateway
	Orders    float64 // of those signed in: opens the order history
}

// DefaultMix: of 100 sessions, 100 see the home page, 70 a category, 50
// search, 95 open product pages (two on average), 30 add to a cart and view
// it, 12 check out (40% of carts), 10 sign in (a returning shopper whose
// session cookie had expired: signing in hashes a password, the costliest
// request there is), and 5 open their order history (half of those signed
// in).
var DefaultMix = Mix{SignIn: 0.10, Category: 0.70, Search: 0.50, Product: 0.95, AddToCart: 0.30, Checkout: 0.40, Orders: 0.50}

// Plan is a session run: how many shoppers, over what shape of time.
type Plan struct {
	Targets  []string // base URLs (http://127.0.0.1:8080); sessions go round-robin
	Sessions int      // concurrent shoppers in the steady phase
	// Mode: "steady" (ramp, then Steady at Sessions), "ramp" (Ramp only:
	// 0 → Sessions), "spike" (ramp, half of Steady, Spike at SpikeFactor ×
	// Sessions, the other half) or "endurance" (ramp, then Endurance).
	Mode        string
	Ramp        time.Duration
	Steady      time.Duration
	Spike       time.Duration
	SpikeFactor float64
	Endurance   time.Duration
	Think       time.Duration // mean think time between a session's steps (exponential, capped at 4×)
	Timeout     time.Duration // per request
	// MaxConns caps each target's connection pool (the generator's own:
	// keep-alive connections shared by the sessions sending to it).
	MaxConns    int
	AllowRemote bool // talk to a non-loopback target (refused otherwise)
	Accounts    int  // shopper accounts Setup registers for the sign-in step
	Mix         Mix
	AdminEmail  string // tops up stock so checkouts do not run out (optional)
	AdminPass   string
	Seed        uint64
	Progress    io.Writer // a line every ProgressEvery while it runs (nil: none)
	// Profile is a server's pprof base URL (OCEAN_DEBUG_ADDR:
	// http://127.0.0.1:6060): during the judged phase (steady, endurance
	// or spike) the run takes a CPU profile of up to 30 s, and at its end
	// the mutex, block and allocation profiles, into files named
	// ProfilePrefix-cpu.pprof and so on.
	Profile       string
	ProfilePrefix string
	// ProgressEvery defaults to 10 s.
	ProgressEvery time.Duration
}

func (p *Plan) defaults() error {
	if len(p.Targets) == 0 {
		return errors.New("no target")
	}
	if p.Sessions <= 0 {
		p.Sessions = 100
	}
	if p.Mode == "" {
		p.Mode = "steady"
	}
	if p.Ramp <= 0 {
		p.Ramp = 30 * time.Second
	}
	if p.Steady <= 0 {
		p.Steady = 2 * time.Minute
	}
	if p.Spike <= 0 {
		p.Spike = 20 * time.Second
	}
	if p.SpikeFactor <= 1 {
		p.SpikeFactor = 2
	}
	if p.Endurance <= 0 {
		p.Endurance = 30 * time.Minute
	}
	if p.Think <= 0 {
		p.Think = 5 * time.Second
	}
	if p.Timeout <= 0 {
		p.Timeout = 10 * time.Second
	}
	if p.MaxConns <= 0 {
		peak := float64(p.Sessions)
		if p.Mode == "spike" {
			peak *= p.SpikeFactor
		}
		p.MaxConns = int(math.Ceil(peak / float64(len(p.Targets))))
	}
	if p.Mix == (Mix{}) {
		p.Mix = DefaultMix
	}
	if p.ProgressEvery <= 0 {
		p.ProgressEvery = 10 * time.Second
	}
	if p.Seed == 0 {
		p.Seed = uint64(time.Now().UnixNano())
	}
	switch p.Mode {
	case "steady", "ramp", "spike", "endurance":
	default:
		return fmt.Errorf("mode %q: want steady, ramp, spike or endurance", p.Mode)
	}
	if p.Profile != "" {
		if err := checkLoopback(p.Profile, false); err != nil {
			return fmt.Errorf("profile: %w", err)
		}
	}
	for i, t := range p.Targets {
		t = strings.TrimRight(t, "/")
		p.Targets[i] = t
		if err := checkLoopback(t, p.AllowRemote); err != nil {
			return err
		}
	}
	return nil
}

// phase is one stretch of a schedule: from Sessions at its start to
// Sessions at its end (linearly), for a duration.
type phase struct {
	name     string
	d        time.Duration
	from, to int
}

func (p Plan) phases() []phase {
	n := p.Sessions
	ramp := phase{"ramp", p.Ramp, 0, n}
	switch p.Mode {
	case "ramp":
		return []phase{ramp}
	case "spike":
		s := int(math.Round(float64(n) * p.SpikeFactor))
		return []phase{ramp, {"before spike", p.Steady / 2, n, n}, {"spike", p.Spike, s, s}, {"after spike", p.Steady - p.Steady/2, n, n}}
	case "endurance":
		return []phase{ramp, {"endurance", p.Endurance, n, n}}
	}
	return []phase{ramp, {"steady", p.Steady, n, n}}
}

// Duration is how long the plan's load runs (set-up and the last
// requests' drain come on top, bounded by Timeout).
func (p Plan) Duration() time.Duration {
	var d time.Duration
	for _, ph := range p.phases() {
		d += ph.d
	}
	return d
}

// checkLoopback refuses a target that is not this machine unless allowed:
// a load run pointed at someone else's shop by a typo is an attack.
func checkLoopback(target string, allow bool) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("target %q: want http://host:port", target)
	}
	if allow {
		return nil
	}
	host := u.Hostname()
	ips, err := net.DefaultResolver.LookupIPAddr(context.Background(), host)
	if err != nil {
		return fmt.Errorf("target %q: %w", target, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return fmt.Errorf("target %q is not loopback (%s): a load run talks to this machine only unless -allow-remote is given", target, ip.IP)
		}
	}
	return nil
}

// stats are one phase's counts.
type stats struct {
	name            string
	start, end      time.Time
	steps           map[string]*hist
	stepErrors      map[string]*atomic.Int64
	errMu           sync.Mutex
	errors          map[string]int64 // "step: kind" → count
	samples         map[string]string
	sessionsStarted atomic.Int64
	sessionsDone    atomic.Int64
	orders          atomic.Int64
	peak            atomic.Int64
}

func newStats(name string) *stats {
	s := &stats{name: name, steps: map[string]*hist{}, stepErrors: map[string]*atomic.Int64{}, errors: map[string]int64{}, samples: map[string]string{}}
	for _, st := range Steps {
		s.steps[st] = &hist{}
		s.stepErrors[st] = &atomic.Int64{}
	}
	return s
}

func (s *stats) fail(step, kind, detail string) {
	s.stepErrors[step].Add(1)
	k := step + ": " + kind
	s.errMu.Lock()
	s.errors[k]++
	if _, ok := s.samples[k]; !ok {
		s.samples[k] = detail
	}
	s.errMu.Unlock()
}

// catalogue is what Setup found in the shop for sessions to visit.
type catalogue struct {
	categories []string
	products   []string // slugs
	variants   []string // ids in stock
	words      []string
	accounts   []account
}

type account struct{ email, password string }

// Report is a run's outcome, as the text and the JSON report show it.
type Report struct {
	Targets      []string      `json:"targets"`
	Mode         string        `json:"mode"`
	Sessions     int           `json:"sessions"`
	Think        string        `json:"think_time_mean"`
	Mix          Mix           `json:"mix"`
	MaxConns     int           `json:"max_conns_per_target"`
	LoadAvgStart string        `json:"load_average_start"`
	LoadAvgEnd   string        `json:"load_average_end"`
	CPUs         int           `json:"cpus"`
	FDLimit      uint64        `json:"client_fd_limit"`
	ClientCPU    float64       `json:"client_cpu_seconds"`
	Phases       []PhaseReport `json:"phases"`
	Goal         Goal          `json:"goal"`
	Profiles     []string      `json:"profiles,omitempty"`
	SetupNote    string        `json:"setup_note,omitempty"`
}

// PhaseReport is one phase's figures.
type PhaseReport struct {
	Name              string            `json:"name"`
	Seconds           float64           `json:"seconds"`
	TargetSessions    int               `json:"target_sessions"`
	PeakSessions      int64             `json:"peak_sessions"`
	SessionsStarted   int64             `json:"sessions_started"`
	SessionsCompleted int64             `json:"sessions_completed"`
	Requests          int64             `json:"requests"`
	RPS               float64           `json:"requests_per_second"`
	Errors            int64             `json:"errors"`
	ErrorRate         float64           `json:"error_rate"`
	Orders            int64             `json:"orders"`
	Steps             []StepReport      `json:"steps"`
	ErrorKinds        map[string]int64  `json:"errors_by_kind"`
	ErrorSamples      map[string]string `json:"error_samples,omitempty"`
}

// StepReport is one step's latency in a phase (milliseconds).
type StepReport struct {
	Step   string  `json:"step"`
	Count  int64   `json:"count"`
	RPS    float64 `json:"requests_per_second"`
	Errors int64   `json:"errors"`
	P50    float64 `json:"p50_ms"`
	P95    float64 `json:"p95_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

// Goal is the brief's target, judged on the steady (or endurance, or
// after-spike) phase: p99 under 200 ms at every step, under 0.1% errors.
type Goal struct {
	Phase     string   `json:"phase"`
	P99Ms     float64  `json:"p99_limit_ms"`
	ErrorRate float64  `json:"error_rate_limit"`
	Met       bool     `json:"met"`
	Missed    []string `json:"missed,omitempty"`
}

// RunSessions prepares the shop (Setup's catalogue walk, accounts, stock)
// and runs the plan. It returns when the plan's time is up and the
// requests in flight have ended (each bounded by Timeout).
func RunSessions(ctx context.Context, p Plan) (Report, error) {
	if err := p.defaults(); err != nil {
		return Report{}, err
	}
	r := &runner{plan: p, clients: make([]*http.Client, len(p.Targets))}
	for i := range p.Targets {
		r.clients[i] = &http.Client{Timeout: p.Timeout, Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxConnsPerHost:     p.MaxConns,
			MaxIdleConns:        p.MaxConns,
			MaxIdleConnsPerHost: p.MaxConns,
			IdleConnTimeout:     90 * time.Second,
		}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	defer func() {
		for _, c := range r.clients {
			c.CloseIdleConnections()
		}
	}()
	rep := Report{Targets: p.Targets, Mode: p.Mode, Sessions: p.Sessions, Think: p.Think.String(), Mix: p.Mix, MaxConns: p.MaxConns,
		LoadAvgStart: loadAvg(), CPUs: runtime.NumCPU(), FDLimit: fdLimit()}
	note, err := r.setup(ctx)
	if err != nil {
		return rep, fmt.Errorf("set-up: %w", err)
	}
	rep.SetupNote = note
	cpu0 := cpuSeconds()
	r.run(ctx)
	r.profWG.Wait()
	rep.Profiles = r.profiles
	rep.ClientCPU = cpuSeconds() - cpu0
	rep.LoadAvgEnd = loadAvg()
	for i, s := range r.stats {
		rep.Phases = append(rep.Phases, s.report(r.phases[i]))
	}
	rep.Goal = goal(rep.Phases)
	return rep, nil
}

type runner struct {
	plan    Plan
	clients []*http.Client
	cat     catalogue
	phases  []phase
	stats   []*stats
	cur     atomic.Pointer[stats]
	target  atomic.Int64 // sessions wanted now
	active  atomic.Int64
	total   atomic.Int64 // requests, for progress
	failed  atomic.Int64
	seq     atomic.Int64
	runID   string

	profWG   sync.WaitGroup
	profMu   sync.Mutex
	profiles []string
}

// profile fetches the server's profiles in phase ph (see Plan.Profile):
// a CPU profile from a quarter of the way in (at most 10 s) for up to
// 30 s, then the contention and allocation profiles at the phase's end.
func (r *runner) profile(ctx context.Context, ph phase) {
	p := r.plan
	if p.Profile == "" {
		return
	}
	wait := min(ph.d/4, 10*time.Second)
	secs := int(min(ph.d/2, 30*time.Second) / time.Second)
	fetch := func(kind, query string) {
		c := &http.Client{Timeout: time.Duration(secs+30) * time.Second}
		res, err := c.Get(strings.TrimRight(p.Profile, "/") + "/debug/pprof/" + kind + query)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ocean-load: %s profile: %v\n", kind, err)
			return
		}
		defer func() { _ = res.Body.Close() }()
		b, err := io.ReadAll(res.Body)
		if err == nil && res.StatusCode != 200 {
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		name := p.ProfilePrefix + "-" + kind + ".pprof"
		if err == nil {
			err = os.WriteFile(name, b, 0o600)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "ocean-load: %s profile: %v\n", kind, err)
			return
		}
		r.profMu.Lock()
		r.profiles = append(r.profiles, name)
		r.profMu.Unlock()
	}
	r.profWG.Go(func() {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if secs >= 1 {
			fetch("profile", fmt.Sprintf("?seconds=%d", secs))
		}
	})
	r.profWG.Go(func() {
		t := time.NewTimer(ph.d - time.Second)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		for _, k := range []string{"mutex", "block", "allocs"} {
			fetch(k, "")
		}
	})
}

func (r *runner) run(ctx context.Context) {
	p := r.plan
	r.phases = p.phases()
	for _, ph := range r.phases {
		r.stats = append(r.stats, newStats(ph.name))
	}
	ctx, cancel := context.WithTimeout(ctx, p.Duration())
	defer cancel()
	var (
		mu      sync.Mutex
		running = map[int]bool{}
		wg      sync.WaitGroup
	)
	spawn := func(want int) {
		mu.Lock()
		defer mu.Unlock()
		for i := range want {
			if !running[i] {
				running[i] = true
				wg.Go(func() {
					defer func() { mu.Lock(); delete(running, i); mu.Unlock() }()
					r.shopper(ctx, i)
				})
			}
		}
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var prog <-chan time.Time
	if p.Progress != nil {
		pt := time.NewTicker(p.ProgressEvery)
		defer pt.Stop()
		prog = pt.C
	}
	start := time.Now()
	var last int64
	lastT := start
	for i, ph := range r.phases {
		s := r.stats[i]
		s.start = time.Now()
		r.cur.Store(s)
		end := s.start.Add(ph.d)
		if ph.name == "steady" || ph.name == "endurance" || ph.name == "spike" || (p.Mode == "ramp" && ph.name == "ramp") {
			r.profile(context.WithoutCancel(ctx), ph)
		}
	phaseLoop:
		for {
			now := time.Now()
			f := min(1, float64(now.Sub(s.start))/float64(max(ph.d, 1)))
			want := ph.from + int(math.Round(f*float64(ph.to-ph.from)))
			r.target.Store(int64(want))
			spawn(want)
			if a := r.active.Load(); a > s.peak.Load() {
				s.peak.Store(a)
			}
			if !now.Before(end) {
				break
			}
			select {
			case <-ctx.Done():
				break phaseLoop
			case <-tick.C:
			case t := <-prog:
				n := r.total.Load()
				fmt.Fprintf(p.Progress, "%6.0fs %-13s sessions %6d  %7.0f req/s  errors %d  orders %d  load %s\n",
					t.Sub(start).Seconds(), ph.name, r.active.Load(), float64(n-last)/t.Sub(lastT).Seconds(), r.failed.Load(), r.ordersTotal(), loadAvg())
				last, lastT = n, t
			}
		}
		s.end = time.Now()
	}
	cancel()
	wg.Wait()
	// Requests in flight at the end belong to the last phase; its clock
	// stops when the schedule did, not when they drained.
}

func (r *runner) ordersTotal() int64 {
	var n int64
	for _, s := range r.stats {
		n += s.orders.Load()
	}
	return n
}

// shopper is virtual user i: one session after another (a new shopper
// takes the place of one who left) while i is below the wanted count.
func (r *runner) shopper(ctx context.Context, i int) {
	r.active.Add(1)
	defer r.active.Add(-1)
	rng := rand.New(rand.NewPCG(r.plan.Seed, uint64(i))) //nolint:gosec // think times and page choices: repeatable with -seed, no secret
	target := i % len(r.plan.Targets)
	// Shoppers arrive spread out, not all in the same millisecond.
	if !r.think(ctx, rng, i) {
		return
	}
	for ctx.Err() == nil && int64(i) < r.target.Load() {
		r.session(ctx, rng, i, target)
		if !r.think(ctx, rng, i) {
			return
		}
	}
}

// think waits a think time; false when the run is over or this shopper is
// no longer wanted.
func (r *runner) think(ctx context.Context, rng *rand.Rand, i int) bool {
	d := time.Duration(min(rng.ExpFloat64(), 4) * float64(r.plan.Think))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return int64(i) < r.target.Load()
	}
}

func (r *runner) session(ctx context.Context, rng *rand.Rand, i, target int) {
	s := r.cur.Load()
	s.sessionsStarted.Add(1)
	m, cat := r.plan.Mix, r.cat
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	ok := true
	step := func(name, method, path, bearer string, body any, want int, out any) bool {
		if !ok {
			return false
		}
		if ctx.Err() != nil || int64(i) >= r.target.Load() {
			ok = false
			return false
		}
		ok = r.request(ctx, r.cur.Load(), target, name, method, path, bearer, body, want, out)
		if ok && name != StepHome {
			ok = r.think(ctx, rng, i)
		}
		return ok
	}
	// Every session opens the home page; the first think comes after it.
	if !step(StepHome, "GET", "/", "", nil, 200, nil) || !r.think(ctx, rng, i) {
		return
	}
	var bearer string
	if len(cat.accounts) > 0 && rng.Float64() < m.SignIn {
		a := cat.accounts[rng.IntN(len(cat.accounts))]
		var tk struct {
			AccessToken string `json:"access_token"`
		}
		if !step(StepSignIn, "POST", "/api/v1/auth/login", "", map[string]string{"email": a.email, "password": a.password}, 200, &tk) {
			return
		}
		bearer = tk.AccessToken
	}
	if len(cat.categories) > 0 && rng.Float64() < m.Category {
		step(StepCategory, "GET", "/c/"+pick(cat.categories), "", nil, 200, nil)
	}
	if rng.Float64() < m.Search {
		step(StepSearch, "GET", "/search?q="+url.QueryEscape(pick(cat.words)), "", nil, 200, nil)
	}
	if rng.Float64() < m.Product {
		for range 1 + rng.IntN(3) {
			step(StepProduct, "GET", "/p/"+pick(cat.products), "", nil, 200, nil)
		}
	}
	if len(cat.variants) > 0 && rng.Float64() < m.AddToCart {
		var cart struct {
			ID string `json:"id"`
		}
		if step(StepNewCart, "POST", "/api/v1/carts", bearer, nil, 201, &cart) &&
			step(StepAdd, "POST", "/api/v1/carts/"+cart.ID+"/items", bearer, map[string]any{"variant_id": pick(cat.variants), "quantity": 1 + rng.IntN(2)}, 200, nil) &&
			step(StepCart, "GET", "/api/v1/carts/"+cart.ID, bearer, nil, 200, nil) &&
			rng.Float64() < m.Checkout {
			if r.checkout(ctx, s, target, cart.ID, bearer, i) {
				s.orders.Add(1)
			} else {
				ok = false
			}
		}
	}
	if bearer != "" && rng.Float64() < m.Orders {
		step(StepOrders, "GET", "/api/v1/orders", bearer, nil, 200, nil)
	}
	if ok {
		s.sessionsDone.Add(1)
	}
}

func (r *runner) checkout(ctx context.Context, s *stats, target int, cart, bearer string, i int) bool {
	if ctx.Err() != nil || int64(i) >= r.target.Load() {
		return false
	}
	body := map[string]any{
		"email":            fmt.Sprintf("load-%d@example.com", i),
		"shipping_address": map[string]string{"name": "Load Shopper", "line1": "1 Dock Road", "city": "Cape Town", "postal_code": "8001", "country": "ZA"},
		"shipping_method":  "standard",
		"payment":          map[string]string{"gateway": "sandbox", "token": "tok_visa"},
	}
	key := map[string]string{"Idempotency-Key": fmt.Sprintf("load-%s-%d", r.runID, r.seq.Add(1))}
	return r.requestH(ctx, s, target, StepCheckout, "POST", "/api/v1/carts/"+cart+"/checkout", bearer, key, body, 201, nil)
}

func (r *runner) request(ctx context.Context, s *stats, target int, step, method, path, bearer string, body any, want int, out any) bool {
	return r.requestH(ctx, s, target, step, method, path, bearer, nil, body, want, out)
}

func (r *runner) requestH(ctx context.Context, s *stats, target int, step, method, path, bearer string, hdr map[string]string, body any, want int, out any) bool {
	// A request runs to its end (or its Timeout) even when the run's time
	// is up: a request cut short by the generator is not the shop's failure.
	ctx = context.WithoutCancel(ctx)
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body) //nolint:errchkjson // maps of strings and ints
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.plan.Targets[target]+path, rd)
	if err != nil {
		s.fail(step, "request", err.Error())
		return false
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	t0 := time.Now()
	res, err := r.clients[target].Do(req)
	var b []byte
	if err == nil {
		b, err = io.ReadAll(res.Body)
		_ = res.Body.Close() // read to the end
	}
	s.steps[step].add(time.Since(t0))
	r.total.Add(1)
	if err != nil {
		r.failed.Add(1)
		s.fail(step, errKind(err), err.Error())
		return false
	}
	if res.StatusCode != want {
		r.failed.Add(1)
		if len(b) > 300 {
			b = b[:300]
		}
		s.fail(step, fmt.Sprintf("status %d", res.StatusCode), string(b))
		return false
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			r.failed.Add(1)
			s.fail(step, "bad json", err.Error())
			return false
		}
	}
	return true
}

// errKind names a transport failure the way an operator looks for it.
func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "out of file descriptors"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "out of local ports"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	}
	return "transport"
}

func (s *stats) report(ph phase) PhaseReport {
	secs := s.end.Sub(s.start).Seconds()
	pr := PhaseReport{Name: s.name, Seconds: math.Round(secs*10) / 10, TargetSessions: ph.to, PeakSessions: s.peak.Load(),
		SessionsStarted: s.sessionsStarted.Load(), SessionsCompleted: s.sessionsDone.Load(), Orders: s.orders.Load(),
		ErrorKinds: map[string]int64{}, ErrorSamples: map[string]string{}}
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }
	for _, st := range Steps {
		h := s.steps[st]
		n := h.n.Load()
		pr.Requests += n
		e := s.stepErrors[st].Load()
		pr.Errors += e
		if n == 0 {
			continue
		}
		pr.Steps = append(pr.Steps, StepReport{Step: st, Count: n, RPS: math.Round(float64(n)/max(secs, 1e-9)*10) / 10, Errors: e,
			P50: ms(h.quantile(0.50)), P95: ms(h.quantile(0.95)), P99: ms(h.quantile(0.99)), Max: ms(time.Duration(h.max.Load()))})
	}
	pr.RPS = math.Round(float64(pr.Requests)/max(secs, 1e-9)*10) / 10
	if pr.Requests > 0 {
		pr.ErrorRate = float64(pr.Errors) / float64(pr.Requests)
	}
	s.errMu.Lock()
	for k, v := range s.errors {
		pr.ErrorKinds[k] = v
		pr.ErrorSamples[k] = s.samples[k]
	}
	s.errMu.Unlock()
	return pr
}

func goal(ps []PhaseReport) Goal {
	g := Goal{P99Ms: 200, ErrorRate: 0.001}
	judge := ps[len(ps)-1] // the ramp, the steady, the endurance or the after-spike phase
	for _, p := range ps {
		if p.Name == "steady" || p.Name == "endurance" {
			judge = p
		}
	}
	g.Phase = judge.Name
	for _, st := range judge.Steps {
		if st.P99 >= g.P99Ms {
			g.Missed = append(g.Missed, fmt.Sprintf("%s p99 %.0f ms", st.Step, st.P99))
		}
	}
	if judge.ErrorRate >= g.ErrorRate {
		g.Missed = append(g.Missed, fmt.Sprintf("error rate %.3f%%", 100*judge.ErrorRate))
	}
	if judge.Requests == 0 {
		g.Missed = append(g.Missed, "no requests")
	}
	g.Met = len(g.Missed) == 0
	return g
}

// Text renders the report for people.
func (rep Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ocean load: %s, %d sessions, think %s mean, %d target(s) %s, pool %d conns/target\n",
		rep.Mode, rep.Sessions, rep.Think, len(rep.Targets), strings.Join(rep.Targets, " "), rep.MaxConns)
	fmt.Fprintf(&b, "machine: %d CPUs, load average %s at start, %s at end; generator used %.1f CPU-seconds; fd limit %d\n",
		rep.CPUs, rep.LoadAvgStart, rep.LoadAvgEnd, rep.ClientCPU, rep.FDLimit)
	if rep.SetupNote != "" {
		fmt.Fprintf(&b, "set-up: %s\n", rep.SetupNote)
	}
	for _, p := range rep.Phases {
		fmt.Fprintf(&b, "\n== %s: %.0fs, %d sessions wanted (peak %d), %d started, %d completed, %d requests (%.1f/s), %d orders, %d errors (%.3f%%)\n",
			p.Name, p.Seconds, p.TargetSessions, p.PeakSessions, p.SessionsStarted, p.SessionsCompleted, p.Requests, p.RPS, p.Orders, p.Errors, 100*p.ErrorRate)
		fmt.Fprintf(&b, "   %-14s %9s %8s %7s %9s %9s %9s %9s\n", "step", "requests", "req/s", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms")
		for _, s := range p.Steps {
			fmt.Fprintf(&b, "   %-14s %9d %8.1f %7d %9.1f %9.1f %9.1f %9.1f\n", s.Step, s.Count, s.RPS, s.Errors, s.P50, s.P95, s.P99, s.Max)
		}
		kinds := make([]string, 0, len(p.ErrorKinds))
		for k := range p.ErrorKinds {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			fmt.Fprintf(&b, "   error %-40s %7d  e.g. %.120s\n", k, p.ErrorKinds[k], strings.Join(strings.Fields(p.ErrorSamples[k]), " "))
		}
	}
	verdict := "MET"
	if !rep.Goal.Met {
		verdict = "NOT MET: " + strings.Join(rep.Goal.Missed, ", ")
	}
	if len(rep.Profiles) > 0 {
		fmt.Fprintf(&b, "\nserver profiles: %s\n", strings.Join(rep.Profiles, " "))
	}
	fmt.Fprintf(&b, "\ngoal (%s phase: p99 < %.0f ms per step, errors < %.1f%%): %s\n", rep.Goal.Phase, rep.Goal.P99Ms, 100*rep.Goal.ErrorRate, verdict)
	return b.String()
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
