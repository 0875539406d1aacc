// Package loadgen is the steady load the release drills run against a
// shop: each worker loops browse (product list, product page) → new cart →
// add to cart → checkout with the sandbox gateway, for a bounded time, and
// every request's outcome and latency is counted. A request fails when it
// gets no response or an unexpected status (any 5xx among them); the drills
// require zero failures while a release switches.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a run.
type Options struct {
	BaseURL  string        // http://127.0.0.1:8080
	Workers  int           // concurrent shoppers (default 8)
	Duration time.Duration // how long the load runs (bounded; default 10s)
	// Pace, when set, is how often each worker begins a shopper's visit
	// (five requests): a worker whose visit took less waits for the next
	// beat, so the load is Workers*5/Pace requests a second at most, the
	// same on a fast idle machine as on a busy one. Zero: back to back.
	Pace time.Duration
	// Client is the HTTP client (default: keep-alive connections, one per
	// worker, 30 s timeout).
	Client *http.Client
}

// Shop is what Setup prepared: a product with plenty of stock.
type Shop struct {
	Slug    string
	Variant string
}

// Result counts a run.
type Result struct {
	Requests int64
	Failed   int64
	Orders   int64
	// Resent counts requests sent a second time because a reused
	// keep-alive connection was closed under them (see call).
	Resent   int64
	P50, P99 time.Duration
	Max      time.Duration
	Duration time.Duration
	// Failures holds the first few failures, for the report.
	Failures []string
}

func (r Result) String() string {
	return fmt.Sprintf("%d requests (%d orders) in %s: %d failed, %d resent on a fresh connection, p50 %s, p99 %s, max %s",
		r.Requests, r.Orders, r.Duration.Round(time.Millisecond), r.Failed, r.Resent, r.P50.Round(100*time.Microsecond), r.P99.Round(100*time.Microsecond), r.Max.Round(100*time.Microsecond))
}

func client(o Options) *http.Client {
	if o.Client != nil {
		return o.Client
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: max(o.Workers, 8),
		IdleConnTimeout:     90 * time.Second,
	}}
}

// Setup signs in as the admin, takes the first product in stock and adds
// a million units to its first variant's stock (an inventory adjustment in
// the ledger), so the load never runs out.
func Setup(ctx context.Context, o Options, adminEmail, adminPassword string) (Shop, error) {
	c := client(o)
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	if err := call(ctx, c, o.BaseURL, "POST", "/api/v1/auth/login", "", nil, map[string]string{"email": adminEmail, "password": adminPassword}, 200, &tk); err != nil {
		return Shop{}, fmt.Errorf("admin sign-in: %w", err)
	}
	var list struct {
		Items []struct {
			Slug string `json:"slug"`
		} `json:"items"`
	}
	if err := call(ctx, c, o.BaseURL, "GET", "/api/v1/products?in_stock=true&limit=1", "", nil, nil, 200, &list); err != nil {
		return Shop{}, err
	}
	if len(list.Items) == 0 {
		return Shop{}, errors.New("the shop has no product in stock (seed the demo catalog)")
	}
	var p struct {
		Variants []struct {
			ID json.RawMessage `json:"id"`
		} `json:"variants"`
	}
	if err := call(ctx, c, o.BaseURL, "GET", "/api/v1/products/"+list.Items[0].Slug, "", nil, nil, 200, &p); err != nil {
		return Shop{}, err
	}
	if len(p.Variants) == 0 {
		return Shop{}, errors.New("the product has no variant")
	}
	v := strings.Trim(string(p.Variants[0].ID), `"`)
	if err := call(ctx, c, o.BaseURL, "POST", "/api/v1/admin/inventory/"+v+"/adjustments", tk.AccessToken, nil, map[string]any{"delta": 1000000, "reason": "load drill"}, 200, nil); err != nil {
		return Shop{}, fmt.Errorf("stock for the drill: %w", err)
	}
	return Shop{Slug: list.Items[0].Slug, Variant: v}, nil
}

// Run drives the load until o.Duration has passed or ctx ends.
func Run(ctx context.Context, o Options, shop Shop) Result {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	c := client(o)
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		res       Result
		requests  atomic.Int64
		failed    atomic.Int64
		orders    atomic.Int64
		seq       atomic.Int64
	)
	fail := func(what string, err error) {
		failed.Add(1)
		mu.Lock()
		if len(res.Failures) < 10 {
			res.Failures = append(res.Failures, fmt.Sprintf("%s: %v", what, err))
		}
		mu.Unlock()
	}
	start := time.Now()
	resent0 := resent.Load()
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Go(func() {
			var mine []time.Duration
			defer func() { mu.Lock(); latencies = append(latencies, mine...); mu.Unlock() }()
			do := func(method, path string, hdr map[string]string, body any, want int, out any) bool {
				if ctx.Err() != nil {
					return false
				}
				t := time.Now()
				// Each request runs to its end even when the run's time is up:
				// a request cut short by the drill is not the shop's failure.
				err := call(context.WithoutCancel(ctx), c, o.BaseURL, method, path, "", hdr, body, want, out)
				mine = append(mine, time.Since(t))
				requests.Add(1)
				if err != nil {
					fail(method+" "+path, err)
					return false
				}
				return true
			}
			var beat *time.Ticker
			if o.Pace > 0 {
				beat = time.NewTicker(o.Pace)
				defer beat.Stop()
			}
			for first := true; ctx.Err() == nil; first = false {
				if beat != nil && !first {
					select {
					case <-beat.C:
					case <-ctx.Done():
						return
					}
				}
				if !do("GET", "/api/v1/products?limit=20", nil, nil, 200, nil) ||
					!do("GET", "/p/"+shop.Slug, nil, nil, 200, nil) {
					continue
				}
				var cart struct {
					ID string `json:"id"`
				}
				if !do("POST", "/api/v1/carts", nil, nil, 201, &cart) ||
					!do("POST", "/api/v1/carts/"+cart.ID+"/items", nil, map[string]any{"variant_id": shop.Variant, "quantity": 1}, 200, nil) {
					continue
				}
				key := map[string]string{"Idempotency-Key": fmt.Sprintf("load-%d-%d", start.UnixNano(), seq.Add(1))}
				if do("POST", "/api/v1/carts/"+cart.ID+"/checkout", key, checkout, 201, nil) {
					orders.Add(1)
				}
			}
		})
	}
	wg.Wait()
	res.Duration = time.Since(start)
	res.Requests, res.Failed, res.Orders, res.Resent = requests.Load(), failed.Load(), orders.Load(), resent.Load()-resent0
	if len(latencies) > 0 {
		sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
		res.P50 = latencies[len(latencies)*50/100]
		res.P99 = latencies[min(len(latencies)-1, len(latencies)*99/100)]
		res.Max = slices.Max(latencies)
	}
	return res
}

var checkout = map[string]any{
	"email":            "drill@example.com",
	"shipping_address": map[string]string{"name": "Drill Buyer", "line1": "1 Dock Road", "city": "Cape Town", "postal_code": "8001", "country": "ZA"},
	"shipping_method":  "standard",
	"payment":          map[string]string{"gateway": "sandbox", "token": "tok_visa"},
}

// resent counts requests sent twice, process-wide (see call).
var resent atomic.Int64

// call sends one request and checks its status. Like browsers (Chromium's
// and Firefox's "resend on a reused connection" rule), it sends the request
// once more on a fresh connection when a reused keep-alive connection fails
// before a single byte of the response arrived: the server closed that idle
// connection as the request went out (nginx does on reload, any server on
// shutdown), so the request never reached the application. Such resends are
// counted in Result.Resent, not hidden.
func call(ctx context.Context, c *http.Client, base, method, path, bearer string, hdr map[string]string, body any, want int, out any) error {
	retry, err := call1(ctx, c, base, method, path, bearer, hdr, body, want, out)
	if retry {
		resent.Add(1)
		// On a new connection, not another pooled one: after a proxy's
		// reload every idle connection of its old workers is being closed.
		_, err = call1(ctx, fresh(c), base, method, path, bearer, hdr, body, want, out)
	}
	return err
}

// fresh returns a client like c that dials a new connection for its
// request and does not keep it.
func fresh(c *http.Client) *http.Client {
	f := *c
	t, ok := c.Transport.(*http.Transport)
	if !ok && c.Transport == nil {
		t, ok = http.DefaultTransport.(*http.Transport)
	}
	if ok {
		t = t.Clone()
		t.DisableKeepAlives = true
		f.Transport = t
	}
	return &f
}

func call1(ctx context.Context, c *http.Client, base, method, path, bearer string, hdr map[string]string, body any, want int, out any) (bool, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return false, err
		}
		r = bytes.NewReader(b)
	}
	var reused, gotByte atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn:              func(i httptrace.GotConnInfo) { reused.Store(i.Reused) },
		GotFirstResponseByte: func() { gotByte.Store(true) },
	})
	req, err := http.NewRequestWithContext(ctx, method, base+path, r)
	if err != nil {
		return false, err
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
	res, err := c.Do(req)
	if err != nil {
		return reused.Load() && !gotByte.Load() && ctx.Err() == nil, err
	}
	defer func() { _ = res.Body.Close() }() // read to the end below; nothing to lose
	b, err := io.ReadAll(res.Body)
	if err != nil {
		// What a proxy log can be matched with: when, how much arrived of
		// how much announced (Content-Length, or -1 for chunked/close).
		return false, fmt.Errorf("%d at %s, reading the body after %d of %d bytes (reused connection %t): %w",
			res.StatusCode, time.Now().UTC().Format("15:04:05.000"), len(b), res.ContentLength, reused.Load(), err)
	}
	if res.StatusCode != want {
		if len(b) > 200 {
			b = b[:200]
		}
		return false, fmt.Errorf("status %d, want %d: %s", res.StatusCode, want, b)
	}
	if out != nil {
		return false, json.Unmarshal(b, out)
	}
	return false, nil
}
