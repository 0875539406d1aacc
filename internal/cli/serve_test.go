package cli_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
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
// for both listeners. The server stops when the test ends. A shop on
// SQLite whose env says nothing about seeding starts from a copy of the
// seeded template (seededDataDir).
func start(t *testing.T, env map[string]string) *shop {
	t.Helper()
	dir := t.TempDir()
	if _, set := env["OCEAN_SEED_DEMO"]; !set && env["OCEAN_DATABASE_URL"] == "" && env["OCEAN_DATA_DIR"] == "" {
		seedInto(t, dir)
	}
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
	// Generous: a first start seeds the demo catalog, which takes a
	// minute or more under -race on a busy 2-core machine.
	deadline := time.Now().Add(4 * time.Minute)
	wantTLS := base["OCEAN_HTTPS_ADDR"] != "off"
	for s.http == "" || (wantTLS && s.https == "") {
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited %d before listening; log:\n%s", code, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listeners after 4 minutes; log:\n%s", logs)
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
	if !wantTLS || (base["OCEAN_TLS"] != "" && base["OCEAN_TLS"] != "local") {
		return s // the test brings its own certificates
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
	testShop(t, start(t, map[string]string{"OCEAN_SEED_DEMO": "true"})) // the first start seeds
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

	// The demo catalog is seeded on the first start. Search, filters,
	// pages and facets are tested on both databases in internal/storetest
	// and internal/catalog; every API route and its errors in internal/api.
	var all list
	s.json(t, "/api/v1/products?limit=100", 200, &all)
	if total := all.Facets.Total; total < 200 {
		t.Fatalf("demo catalog has %d products, want at least 200", total)
	}
}
