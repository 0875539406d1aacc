package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// setup walks the shop the sessions will visit (categories, products in
// stock, their variants, words for searches), registers the shopper
// accounts of the sign-in step and, given the admin's credentials, tops up
// the stock of every variant sessions add to carts, so checkouts measure
// the shop, not an empty shelf. None of it is measured.
func (r *runner) setup(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	p := r.plan
	r.runID = fmt.Sprintf("%x", time.Now().UnixNano())
	c, base := r.clients[0], p.Targets[0]
	get := func(path string, out any) error {
		return call(ctx, c, base, "GET", path, "", nil, nil, 200, out)
	}
	var tree json.RawMessage
	if err := get("/api/v1/categories", &tree); err != nil {
		return "", fmt.Errorf("categories: %w", err)
	}
	r.cat.categories = slugs(tree)
	type item struct {
		Slug string `json:"slug"`
		Name string `json:"name"`
	}
	cursor := ""
	var items []item
	for range 20 {
		var page struct {
			Items      []item  `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		path := "/api/v1/products?in_stock=true&limit=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if err := get(path, &page); err != nil {
			return "", fmt.Errorf("products: %w", err)
		}
		items = append(items, page.Items...)
		if page.NextCursor == nil || *page.NextCursor == "" || len(items) >= 2000 {
			break
		}
		cursor = *page.NextCursor
	}
	if len(items) == 0 {
		return "", errors.New("the shop has no product in stock (seed the demo catalog)")
	}
	words := map[string]bool{}
	for _, it := range items {
		r.cat.products = append(r.cat.products, it.Slug)
		for _, w := range strings.Fields(strings.ToLower(it.Name)) {
			if w = strings.Trim(w, ".,()&-'\""); len(w) >= 4 {
				words[w] = true
			}
		}
	}
	for w := range words {
		r.cat.words = append(r.cat.words, w)
	}
	slices.Sort(r.cat.words)
	// Variants of the first products (a cart gets one of these).
	for _, slug := range r.cat.products[:min(len(r.cat.products), 100)] {
		var pr struct {
			Variants []struct {
				ID        json.RawMessage `json:"id"`
				Available *int            `json:"available"`
			} `json:"variants"`
		}
		if err := get("/api/v1/products/"+slug, &pr); err != nil {
			return "", fmt.Errorf("product %s: %w", slug, err)
		}
		for _, v := range pr.Variants {
			r.cat.variants = append(r.cat.variants, strings.Trim(string(v.ID), `"`))
		}
	}
	note := fmt.Sprintf("%d categories, %d products, %d variants, %d search words", len(r.cat.categories), len(r.cat.products), len(r.cat.variants), len(r.cat.words))
	if p.AdminEmail != "" {
		var tk struct {
			AccessToken string `json:"access_token"`
		}
		if err := call(ctx, c, base, "POST", "/api/v1/auth/login", "", nil, map[string]string{"email": p.AdminEmail, "password": p.AdminPass}, 200, &tk); err != nil {
			return "", fmt.Errorf("admin sign-in: %w", err)
		}
		if err := parallel(ctx, len(r.cat.variants), func(i int) error {
			return call(ctx, c, base, "POST", "/api/v1/admin/inventory/"+r.cat.variants[i]+"/adjustments", tk.AccessToken, nil, map[string]any{"delta": 1000000, "reason": "load run " + r.runID}, 200, nil)
		}); err != nil {
			return "", fmt.Errorf("stock for the run: %w", err)
		}
		note += "; stock of each variant +1,000,000"
	} else {
		note += "; no admin credentials: stock not topped up (a checkout may meet an empty shelf: 409)"
	}
	if m := p.Mix; m.SignIn > 0 && p.Accounts > 0 {
		r.cat.accounts = make([]account, p.Accounts)
		if err := parallel(ctx, p.Accounts, func(i int) error {
			a := account{fmt.Sprintf("load-%s-%d@example.com", r.runID, i), "load shopper password " + r.runID}
			r.cat.accounts[i] = a
			return call(ctx, c, base, "POST", "/api/v1/auth/register", "", nil, map[string]string{"email": a.email, "password": a.password, "name": fmt.Sprintf("Load Shopper %d", i)}, 202, nil)
		}); err != nil {
			return "", fmt.Errorf("shopper accounts (is OCEAN_RATE_LIMITS=off?): %w", err)
		}
		note += fmt.Sprintf("; %d shopper accounts registered", p.Accounts)
	}
	return note, nil
}

// parallel runs fn(0..n-1) on 8 goroutines and returns the first error.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return ctx.Err()
}

// slugs collects every "slug" string in a JSON document (the category
// tree, however deep).
func slugs(doc json.RawMessage) []string {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if s, ok := t["slug"].(string); ok && s != "" {
				out = append(out, s)
			}
			for _, x := range t {
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(v)
	slices.Sort(out)
	return slices.Compact(out)
}
