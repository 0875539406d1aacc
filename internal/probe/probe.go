// Package probe is a synthetic shopper: it walks the journey that earns
// the shop its money (home page, search, product, add to cart, guest
// checkout with the sandbox gateway, order page) against a running shop,
// times every step and says which one failed. `ocean probe URL` runs it
// from cron or a blackbox exporter; its Prometheus output suits the node
// exporter's textfile collector.
//
// The journey places a real order: run it against a shop whose gateway is
// the sandbox (staging, or a shop that keeps the sandbox for probes).
package probe

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Steps are the journey's steps, in order.
var Steps = []string{"home", "search", "product", "cart", "checkout", "order"}

// Options say where and how to probe.
type Options struct {
	// URL is the shop's base address, e.g. https://shop.example.
	URL string
	// Client makes the requests (default: a client without a cookie jar
	// and with the Timeout).
	Client *http.Client
	// Timeout bounds the whole journey (default 30s).
	Timeout time.Duration
	// Query is the search; empty lists the in-stock products.
	Query string
	// Country is the shipping country (default ZA); it must be one the
	// shop ships to.
	Country string
	// CardToken is the sandbox payment token (default tok_visa).
	CardToken string
	// Email is the guest's address (default probe@example.com).
	Email string
	// UserAgent names the probe in the shop's logs.
	UserAgent string
}

// Step is one step's outcome.
type Step struct {
	Name     string
	Duration time.Duration
	// Ran is false for a step after a failed one.
	Ran bool
	// Detail says what the step saw (the product, the order number).
	Detail string
	Err    error
}

// Result is one journey.
type Result struct {
	URL      string
	Started  time.Time
	Duration time.Duration
	Steps    []Step
}

// OK reports whether every step succeeded.
func (r Result) OK() bool {
	for _, s := range r.Steps {
		if !s.Ran || s.Err != nil {
			return false
		}
	}
	return len(r.Steps) == len(Steps)
}

// Failed returns the step that failed, nil if none did.
func (r Result) Failed() *Step {
	for i := range r.Steps {
		if r.Steps[i].Err != nil {
			return &r.Steps[i]
		}
	}
	return nil
}

// Run walks the journey once. It never panics on a bad answer: the
// failing step carries the error and the steps after it do not run.
func Run(ctx context.Context, o Options) Result {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Country == "" {
		o.Country = "ZA"
	}
	if o.CardToken == "" {
		o.CardToken = "tok_visa"
	}
	if o.Email == "" {
		o.Email = "probe@example.com"
	}
	if o.UserAgent == "" {
		o.UserAgent = "ocean-probe"
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.Timeout}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	j := &journey{o: o, base: strings.TrimRight(o.URL, "/")}
	res := Result{URL: o.URL, Started: time.Now()}
	steps := map[string]func(context.Context) (string, error){
		"home": j.home, "search": j.search, "product": j.product,
		"cart": j.cart, "checkout": j.checkout, "order": j.order,
	}
	failed := false
	for _, name := range Steps {
		s := Step{Name: name}
		if !failed {
			start := time.Now()
			s.Detail, s.Err = steps[name](ctx)
			s.Duration, s.Ran = time.Since(start), true
			if s.Err == nil && ctx.Err() != nil {
				s.Err = fmt.Errorf("journey timed out after %s", o.Timeout)
			}
			failed = s.Err != nil
		}
		res.Steps = append(res.Steps, s)
	}
	res.Duration = time.Since(res.Started)
	return res
}

// journey carries what one step hands the next.
type journey struct {
	o       Options
	base    string
	slug    string
	variant string
	cartID  string
	orderID string
	number  string
}

func (j *journey) home(ctx context.Context) (string, error) {
	body, err := j.page(ctx, "/")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d bytes", len(body)), nil
}

func (j *journey) search(ctx context.Context) (string, error) {
	q := url.Values{"in_stock": {"true"}, "limit": {"24"}}
	if j.o.Query != "" {
		q.Set("q", j.o.Query)
	}
	var out struct {
		Items []struct {
			Slug    string `json:"slug"`
			InStock bool   `json:"in_stock"`
		} `json:"items"`
	}
	if err := j.call(ctx, "GET", "/api/v1/products?"+q.Encode(), nil, nil, http.StatusOK, &out); err != nil {
		return "", err
	}
	for _, p := range out.Items {
		if p.InStock && p.Slug != "" {
			j.slug = p.Slug
			return fmt.Sprintf("%d products, first in stock: %s", len(out.Items), p.Slug), nil
		}
	}
	if j.o.Query != "" {
		return "", fmt.Errorf("no product in stock matches %q", j.o.Query)
	}
	return "", errors.New("no product is in stock")
}

func (j *journey) product(ctx context.Context) (string, error) {
	if _, err := j.page(ctx, "/p/"+url.PathEscape(j.slug)); err != nil {
		return "", err
	}
	var p struct {
		Variants []struct {
			ID        string `json:"id"`
			SKU       string `json:"sku"`
			Available int    `json:"available"`
		} `json:"variants"`
	}
	if err := j.call(ctx, "GET", "/api/v1/products/"+url.PathEscape(j.slug), nil, nil, http.StatusOK, &p); err != nil {
		return "", err
	}
	for _, v := range p.Variants {
		if v.Available > 0 {
			j.variant = v.ID
			return "variant " + v.SKU, nil
		}
	}
	return "", fmt.Errorf("product %s has no variant in stock", j.slug)
}

func (j *journey) cart(ctx context.Context) (string, error) {
	var c struct {
		ID string `json:"id"`
	}
	if err := j.call(ctx, "POST", "/api/v1/carts", nil, struct{}{}, http.StatusCreated, &c); err != nil {
		return "", err
	}
	if c.ID == "" {
		return "", errors.New("POST /api/v1/carts: no cart id in the answer")
	}
	j.cartID = c.ID
	var after struct {
		Items []json.RawMessage `json:"items"`
	}
	body := map[string]any{"variant_id": j.variant, "quantity": 1}
	if err := j.call(ctx, "POST", "/api/v1/carts/"+c.ID+"/items", nil, body, http.StatusOK, &after); err != nil {
		return "", err
	}
	if len(after.Items) != 1 {
		return "", fmt.Errorf("the cart has %d lines after adding one", len(after.Items))
	}
	return "1 line", nil
}

func (j *journey) checkout(ctx context.Context) (string, error) {
	var ms struct {
		Items []struct {
			Code string `json:"code"`
		} `json:"items"`
	}
	if err := j.call(ctx, "GET", "/api/v1/shipping-methods?country="+url.QueryEscape(j.o.Country), nil, nil, http.StatusOK, &ms); err != nil {
		return "", err
	}
	if len(ms.Items) == 0 {
		return "", fmt.Errorf("no shipping method for %s", j.o.Country)
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	body := map[string]any{
		"email": j.o.Email,
		"shipping_address": map[string]string{"name": "Ocean Probe", "line1": "1 Probe Street", "city": "Cape Town",
			"postal_code": "8001", "country": j.o.Country},
		"shipping_method": ms.Items[0].Code,
		"payment":         map[string]string{"gateway": "sandbox", "token": j.o.CardToken},
	}
	var o struct {
		ID     string `json:"id"`
		Number string `json:"number"`
		Status string `json:"status"`
	}
	hdr := map[string]string{"Idempotency-Key": "probe-" + hex.EncodeToString(key)}
	if err := j.call(ctx, "POST", "/api/v1/carts/"+j.cartID+"/checkout", hdr, body, http.StatusCreated, &o); err != nil {
		return "", err
	}
	if o.Status != "paid" {
		return "", fmt.Errorf("order %s is %q, want paid", o.Number, o.Status)
	}
	j.orderID, j.number = o.ID, o.Number
	return "order " + o.Number + " paid", nil
}

func (j *journey) order(ctx context.Context) (string, error) {
	body, err := j.page(ctx, "/orders/"+url.PathEscape(j.orderID))
	if err != nil {
		return "", err
	}
	if !bytes.Contains(body, []byte(j.number)) {
		return "", fmt.Errorf("the order page does not show order %s", j.number)
	}
	return "shows " + j.number, nil
}

// page GETs an HTML page and wants a 200.
func (j *journey) page(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", j.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/html")
	res, err := j.do(req)
	if err != nil {
		return nil, err
	}
	if res.code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, res.status)
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		return nil, fmt.Errorf("GET %s: Content-Type %q, want a page", path, ct)
	}
	return res.body, nil
}

// call sends a JSON request and decodes the answer, which must have the
// status want; any other answer is an error naming the problem's title
// and detail.
func (j *journey) call(ctx context.Context, method, path string, hdr map[string]string, in any, want int, out any) error {
	var rd io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, j.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := j.do(req)
	route := method + " " + strings.SplitN(path, "?", 2)[0]
	if err != nil {
		return err
	}
	if res.code != want {
		var p struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
		}
		if json.Unmarshal(res.body, &p) == nil && p.Title != "" {
			return fmt.Errorf("%s: %s: %s", route, res.status, strings.TrimSuffix(p.Title+": "+p.Detail, ": "))
		}
		return fmt.Errorf("%s: %s", route, res.status)
	}
	if err := json.Unmarshal(res.body, out); err != nil {
		return fmt.Errorf("%s: the answer is not the expected JSON: %w", route, err)
	}
	return nil
}

// answer is a response read to its end (at most 4 MiB).
type answer struct {
	code   int
	status string
	header http.Header
	body   []byte
}

func (j *journey) do(req *http.Request) (answer, error) {
	req.Header.Set("User-Agent", j.o.UserAgent)
	res, err := j.o.Client.Do(req)
	if err != nil {
		return answer{}, err
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if cerr := res.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Path, err)
	}
	return answer{code: res.StatusCode, status: res.Status, header: res.Header, body: body}, nil
}
