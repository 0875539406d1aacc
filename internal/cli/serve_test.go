package cli_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
)

// syncBuffer collects the log while the server writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type shop struct {
	http, https string // base URLs
	client      *http.Client
	tlsClient   *http.Client
	log         *syncBuffer
	cancel      context.CancelFunc // SIGTERM
	done        chan int           // the exit code, once serve returns
}

// wait returns serve's exit code after cancel.
func (s *shop) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not stop within 60s of cancel; log:\n%s", s.log)
		return -1
	}
}

// start runs the real command, `ocean serve`, on loopback ports and waits
// for both listeners. The server stops when the test ends.
func start(t *testing.T, env map[string]string) *shop {
	t.Helper()
	dir := t.TempDir()
	base := map[string]string{"OCEAN_DATA_DIR": dir, "OCEAN_HTTP_ADDR": "127.0.0.1:0", "OCEAN_HTTPS_ADDR": "127.0.0.1:0", "OCEAN_SHUTDOWN_DELAY": "0s", "OCEAN_RATE_LIMITS": "off"}
	for k, v := range env {
		base[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"serve"}, func(k string) string { return base[k] }, io.Discard, logs)
	}()
	s := &shop{log: logs, cancel: cancel, done: done}
	t.Cleanup(func() {
		cancel()
		if code := s.wait(t); code != 0 {
			t.Errorf("serve exited %d after cancel; log:\n%s", code, logs)
		}
	})
	re := regexp.MustCompile(`msg=listening url=(https?)://\S+ addr=(\S+)`)
	deadline := time.Now().Add(60 * time.Second)
	wantTLS := base["OCEAN_HTTPS_ADDR"] != "off"
	for s.http == "" || (wantTLS && s.https == "") {
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited %d before listening; log:\n%s", code, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listeners after 60s; log:\n%s", logs)
		}
		for _, m := range re.FindAllStringSubmatch(logs.String(), -1) {
			if m[1] == "http" {
				s.http = "http://" + m[2]
			} else {
				s.https = "https://" + m[2]
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.client = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if !wantTLS {
		return s
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatalf("the local CA is not in the data dir: %v", err)
	}
	if !strings.Contains(logs.String(), filepath.Join(dir, "ca.pem")) {
		t.Errorf("the log does not say where the CA file is:\n%s", logs)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	s.tlsClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	return s
}

func (s *shop) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	res, err := s.client.Get(s.http + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return res, b
}

func (s *shop) json(t *testing.T, path string, want int, v any) {
	t.Helper()
	res, b := s.get(t, path)
	if res.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d: %s", path, res.StatusCode, want, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

type money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type list struct {
	Items []struct {
		ID       string `json:"id"`
		Slug     string `json:"slug"`
		Name     string `json:"name"`
		Category string `json:"category"`
		Price    money  `json:"price"`
		InStock  bool   `json:"in_stock"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
	Facets     struct {
		Total      int `json:"total"`
		InStock    int `json:"in_stock"`
		Categories []struct {
			Slug  string `json:"slug"`
			Count int    `json:"count"`
		} `json:"categories"`
		Price struct {
			Min int64 `json:"min"`
			Max int64 `json:"max"`
		} `json:"price"`
		Options map[string][]struct {
			Value string `json:"value"`
			Count int    `json:"count"`
		} `json:"options"`
	} `json:"facets"`
}

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func TestShopOnSQLite(t *testing.T) {
	t.Parallel()
	testShop(t, start(t, nil))
}

func TestShopOnPostgres(t *testing.T) {
	t.Parallel()
	testShop(t, start(t, map[string]string{"OCEAN_DATABASE_URL": pgtest.URL(t), "OCEAN_SEED_DEMO": "true"}))
}

func testShop(t *testing.T, s *shop) {
	t.Run("health", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/readyz"} {
			if res, b := s.get(t, p); res.StatusCode != 200 {
				t.Errorf("%s = %d %s", p, res.StatusCode, b)
			}
		}
	})
	t.Run("https with the local CA", func(t *testing.T) {
		res, err := s.tlsClient.Get(s.https + "/api/v1/categories")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		// No HSTS for localhost: it is host-wide and would break the plain
		// HTTP listener on the other port.
		if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") != "" {
			t.Fatalf("status %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
		}
	})
	t.Run("storefront pages", func(t *testing.T) {
		for path, want := range map[string]int{"/": 200, "/search?q=shirt": 200, "/no/such/page": 404, "/p/no-such-product": 404, "/search?sort=cheapest": 400} {
			res, b := s.get(t, path)
			if res.StatusCode != want || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: %d %s, want %d html", path, res.StatusCode, res.Header.Get("Content-Type"), want)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "nonce-") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("%s: CSP %q", path, csp)
			}
			if want != 200 && !bytes.Contains(b, []byte(`href="/"`)) {
				t.Errorf("%s: the error page offers no way home", path)
			}
		}
	})

	var all list
	s.json(t, "/api/v1/products?limit=100", 200, &all)
	total := all.Facets.Total
	if total < 200 {
		t.Fatalf("demo catalog has %d products, want at least 200", total)
	}

	t.Run("pagination visits every product once", func(t *testing.T) {
		for _, extra := range []string{"sort=price_asc", "sort=price_desc", "sort=newest", "sort=relevance", "sort=relevance&q=cotton"} {
			seen := map[string]bool{}
			want := total
			path := "/api/v1/products?limit=37&" + extra
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatalf("%s: pagination does not end", extra)
				}
				var l list
				s.json(t, path, 200, &l)
				if pages == 0 {
					want = l.Facets.Total
				}
				for _, it := range l.Items {
					if seen[it.ID] {
						t.Fatalf("%s: %s on two pages", extra, it.Slug)
					}
					seen[it.ID] = true
				}
				if l.NextCursor == nil {
					break
				}
				path = "/api/v1/products?limit=37&" + extra + "&cursor=" + url.QueryEscape(*l.NextCursor)
			}
			if len(seen) != want || want == 0 {
				t.Errorf("%s: visited %d products, facets say %d", extra, len(seen), want)
			}
		}
	})

	t.Run("search finds a product by a word in its description", func(t *testing.T) {
		var detail struct {
			Slug        string `json:"slug"`
			Description string `json:"description"`
			Variants    []struct {
				ID        string            `json:"id"`
				SKU       string            `json:"sku"`
				Options   map[string]string `json:"options"`
				Price     money             `json:"price"`
				Available int               `json:"available"`
			} `json:"variants"`
		}
		s.json(t, "/api/v1/products/"+all.Items[len(all.Items)/2].Slug, 200, &detail)
		if len(detail.Variants) == 0 || detail.Variants[0].SKU == "" || detail.Variants[0].Price.Currency == "" {
			t.Fatalf("product detail = %+v", detail)
		}
		// The longest word of the description, which is unlikely to be in the name.
		word := ""
		for _, w := range strings.FieldsFunc(detail.Description, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') }) {
			if len(w) > len(word) {
				word = w
			}
		}
		found := false
		path := "/api/v1/products?limit=100&q=" + url.QueryEscape(word)
		for path != "" && !found {
			var l list
			s.json(t, path, 200, &l)
			for _, it := range l.Items {
				found = found || it.Slug == detail.Slug
			}
			path = ""
			if l.NextCursor != nil {
				path = "/api/v1/products?limit=100&q=" + url.QueryEscape(word) + "&cursor=" + url.QueryEscape(*l.NextCursor)
			}
		}
		if !found {
			t.Errorf("searching %q does not find %s, whose description is %q", word, detail.Slug, detail.Description)
		}
	})

	t.Run("filters narrow results", func(t *testing.T) {
		cat := all.Facets.Categories[len(all.Facets.Categories)-1]
		var byCat, inStock, cheap list
		s.json(t, "/api/v1/products?limit=100&category="+cat.Slug, 200, &byCat)
		if byCat.Facets.Total != cat.Count || cat.Count >= total || cat.Count == 0 {
			t.Errorf("category %s: %d products, facet said %d of %d", cat.Slug, byCat.Facets.Total, cat.Count, total)
		}
		for _, it := range byCat.Items {
			if it.Category != cat.Slug {
				t.Errorf("category %s returned %s in %s", cat.Slug, it.Slug, it.Category)
			}
		}
		s.json(t, "/api/v1/products?limit=100&in_stock=true", 200, &inStock)
		if inStock.Facets.Total != all.Facets.InStock || inStock.Facets.Total >= total {
			t.Errorf("in stock: %d, facet said %d of %d (the demo has out-of-stock products)", inStock.Facets.Total, all.Facets.InStock, total)
		}
		for _, it := range inStock.Items {
			if !it.InStock {
				t.Errorf("in_stock=true returned %s, which is out of stock", it.Slug)
			}
		}
		mid := (all.Facets.Price.Min + all.Facets.Price.Max) / 2
		s.json(t, fmt.Sprintf("/api/v1/products?limit=100&max_price=%d&sort=price_desc", mid), 200, &cheap)
		if cheap.Facets.Total == 0 || cheap.Facets.Total >= total || cheap.Items[0].Price.Amount > mid {
			t.Errorf("max_price=%d: %d results, first costs %v", mid, cheap.Facets.Total, cheap.Items)
		}
		for name, vals := range all.Facets.Options {
			var opt list
			s.json(t, "/api/v1/products?limit=1&option."+name+"="+url.QueryEscape(vals[0].Value), 200, &opt)
			if opt.Facets.Total != vals[0].Count || opt.Facets.Total == 0 {
				t.Errorf("option.%s=%s: %d results, facet said %d", name, vals[0].Value, opt.Facets.Total, vals[0].Count)
			}
		}
	})

	t.Run("bad input is a 400 problem, never a 500", func(t *testing.T) {
		for name, q := range map[string]string{
			"invalid cursor":   "cursor=bm9wZQ",
			"unknown sort":     "sort=cheapest",
			"negative price":   "min_price=-100",
			"10 KB query":      "q=" + strings.Repeat("x", 10<<10),
			"invalid UTF-8":    "q=%ff%fe",
			"bad encoding":     "q=%zz",
			"unknown category": "category=no-such-category",
			"huge limit":       "limit=100000",
		} {
			res, b := s.get(t, "/api/v1/products?"+q)
			var p problem
			if res.StatusCode != 400 || res.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(b, &p) != nil || p.Status != 400 || p.Type == "" || p.Detail == "" {
				t.Errorf("%s: %d %s %s", name, res.StatusCode, res.Header.Get("Content-Type"), b)
			}
		}
		res, b := s.get(t, "/api/v1/products/no-such-product")
		var p problem
		if res.StatusCode != 404 || json.Unmarshal(b, &p) != nil || p.Type != "/problems/not-found" {
			t.Errorf("unknown slug: %d %s", res.StatusCode, b)
		}
		if res, _ := s.get(t, "/api/v1/nothing-here"); res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("unknown API path: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})

	t.Run("every documented GET answers", func(t *testing.T) {
		var doc struct {
			Paths map[string]map[string]any `json:"paths"`
		}
		s.json(t, "/api/v1/openapi.json", 200, &doc)
		for path, ops := range doc.Paths {
			if ops["get"] == nil {
				continue // a GET on a POST-only path is a 405
			}
			want := 200
			if get, _ := ops["get"].(map[string]any); get["security"] != nil && !optionalAuth(get["security"]) {
				want = 401 // needs an access token (auth_test.go calls these with one)
			}
			path = strings.ReplaceAll(path, "{slug}", all.Items[0].Slug)
			if strings.Contains(path, "{") && want == 200 {
				want = 404 // an id nobody has: a 404 problem (checkout_test.go reads real ones)
			}
			if path == "/api/v1/shipping-methods" {
				path += "?country=ZA"
			}
			if res, b := s.get(t, path); res.StatusCode != want {
				t.Errorf("documented %s answers %d, want %d: %s", path, res.StatusCode, want, b)
			}
		}
	})
}

// optionalAuth reports whether an operation's security list allows no
// credentials at all (an empty requirement): guest carts and orders.
func optionalAuth(sec any) bool {
	list, _ := sec.([]any)
	for _, r := range list {
		if m, ok := r.(map[string]any); ok && len(m) == 0 {
			return true
		}
	}
	return false
}
