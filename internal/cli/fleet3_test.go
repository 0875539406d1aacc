package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/postgres/pgtest"
)

// ownRedis runs a redis-server of this test's own on a free loopback port,
// so the test can kill it; restart brings it back on the same port.
type ownRedis struct {
	port string
	cmd  *exec.Cmd
}

func startOwnRedis(t *testing.T, port string) *ownRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("redis-server is not installed: run the tests with `make test`")
		}
		t.Skip("redis-server is not installed; `make test` installs it")
	}
	if port == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	}
	r := &ownRedis{port: port, cmd: exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")}
	dieWithTest(r.cmd)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.kill() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not start", port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *ownRedis) kill() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_, _ = r.cmd.Process.Wait()
	}
}

// fleetCall is an HTTP call to one instance as the client address xff
// (the instances trust loopback proxies, so each simulated client has its
// own rate-limit budget). It returns the status and body; 0 on a transport
// error.
func fleetCall(base, method, path, bearer, xff string, hdr map[string]string, body any) (int, []byte) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", xff)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// TestThreeInstances runs three real `ocean serve` processes over one
// PostgreSQL and one Redis: a price change on one is seen by the others
// within a second, one client's rate-limit budget is shared, 500 buyers
// racing for 50 units over all three get exactly 50 orders, and a checkout
// run survives Redis being killed and coming back.
func TestThreeInstances(t *testing.T) {
	t.Parallel()
	keys := fleetKeys(t)
	rds := startOwnRedis(t, "")
	env := []string{"OCEAN_DATABASE_URL=" + pgtest.URL(t), "OCEAN_REDIS_URL=redis://127.0.0.1:" + rds.port + "/0",
		"OCEAN_ENCRYPTION_KEY=" + keys["OCEAN_ENCRYPTION_KEY"], "OCEAN_TOKEN_KEYS=" + keys["OCEAN_TOKEN_KEYS"],
		"OCEAN_HTTP_ADDR=127.0.0.1:0", "OCEAN_HTTPS_ADDR=off", "OCEAN_SEED_DEMO=true", "OCEAN_SHUTDOWN_DELAY=0s",
		"OCEAN_ADMIN_EMAIL=owner@example.com", "OCEAN_ADMIN_PASSWORD=" + adminPassword, "OCEAN_TRUSTED_PROXIES=loopback",
		"OCEAN_RATE_LIMIT_API=100/min", "OCEAN_RATE_LIMIT_CHECKOUT=100/min"}
	var ps []*proc
	for i := 0; i < 3; i++ {
		ps = append(ps, startProc(t, append(env, fmt.Sprintf("OCEAN_DATA_DIR=%s/%d", t.TempDir(), i))))
	}
	var tk tokens
	if st, b := fleetCall(ps[0].url, "POST", "/api/v1/auth/login", "", "192.0.2.1", nil, map[string]string{"email": "owner@example.com", "password": adminPassword}); st != 200 || json.Unmarshal(b, &tk) != nil {
		t.Fatalf("login: %d %s", st, b)
	}
	admin := tk.AccessToken
	// A product and its variants, read through instance A.
	var list struct {
		Items []struct{ Slug string } `json:"items"`
	}
	if st, b := fleetCall(ps[0].url, "GET", "/api/v1/products?in_stock=true&limit=2", "", "192.0.2.1", nil, nil); st != 200 || json.Unmarshal(b, &list) != nil || len(list.Items) < 2 {
		t.Fatalf("products: %d %s", st, b)
	}
	type variant struct {
		ID    string `json:"id"`
		SKU   string `json:"sku"`
		Price struct {
			Amount   int64  `json:"amount"`
			Currency string `json:"currency"`
		} `json:"price"`
		Available int `json:"available"`
	}
	product := func(base, slug string) (string, []variant) {
		var p struct {
			ID       string    `json:"id"`
			Variants []variant `json:"variants"`
		}
		if st, b := fleetCall(base, "GET", "/api/v1/products/"+slug, "", "192.0.2.1", nil, nil); st != 200 || json.Unmarshal(b, &p) != nil {
			t.Fatalf("product %s: %d %s", slug, st, b)
		}
		return p.ID, p.Variants
	}

	t.Run("a price change on A is seen on B and C within a second", func(t *testing.T) {
		slug := list.Items[0].Slug
		id, vs := product(ps[0].url, slug)
		for _, p := range ps[1:] { // warm B's and C's caches
			product(p.url, slug)
			product(p.url, slug)
		}
		newPrice := vs[0].Price.Amount + 1234
		body := map[string]any{"variants": []map[string]any{{"id": vs[0].ID, "price": map[string]any{"amount": newPrice, "currency": vs[0].Price.Currency}}}}
		if st, b := fleetCall(ps[0].url, "PATCH", "/api/v1/admin/products/"+id, admin, "192.0.2.1", nil, body); st != 204 {
			t.Fatalf("price change: %d %s", st, b)
		}
		deadline := time.Now().Add(time.Second)
		for _, p := range ps[1:] {
			for {
				_, got := product(p.url, slug)
				if got[0].Price.Amount == newPrice {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s still shows %d a second after the change to %d", p.url, got[0].Price.Amount, newPrice)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	})

	t.Run("one client's budget is shared by the three instances", func(t *testing.T) {
		var ok, limited atomic.Int64
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					st, b := fleetCall(ps[i%3].url, "GET", "/api/v1/categories", "", "198.51.100.7", nil, nil)
					switch st {
					case 200:
						ok.Add(1)
					case 429:
						limited.Add(1)
					default:
						t.Errorf("status %d %s", st, b)
					}
				}
			}()
		}
		for i := 0; i < 120; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
		if ok.Load() != 100 || limited.Load() != 20 {
			t.Fatalf("%d accepted, %d refused; want 100 and 20", ok.Load(), limited.Load())
		}
	})

	// stock sets a variant's stock to n through an admin adjustment.
	setStock := func(t *testing.T, v string, n int) {
		var l struct{ Stock int }
		st, b := fleetCall(ps[0].url, "GET", "/api/v1/admin/inventory/"+v, admin, "192.0.2.1", nil, nil)
		if st != 200 || json.Unmarshal(b, &l) != nil {
			t.Fatalf("level: %d %s", st, b)
		}
		if l.Stock != n {
			if st, b := fleetCall(ps[0].url, "POST", "/api/v1/admin/inventory/"+v+"/adjustments", admin, "192.0.2.1", nil, map[string]any{"delta": n - l.Stock, "reason": "test stock"}); st != 200 {
				t.Fatalf("adjust: %d %s", st, b)
			}
		}
	}
	stock := func(t *testing.T, v string) int {
		var l struct{ Stock int }
		if st, b := fleetCall(ps[0].url, "GET", "/api/v1/admin/inventory/"+v, admin, "192.0.2.1", nil, nil); st != 200 || json.Unmarshal(b, &l) != nil {
			t.Fatalf("level: %d %s", st, b)
		}
		return l.Stock
	}
	// fill puts one unit in a fresh cart on one instance, as client ip.
	fill := func(v, ip string, i int) (string, int, []byte) {
		var c cartOut
		st, b := fleetCall(ps[i%3].url, "POST", "/api/v1/carts", "", ip, nil, nil)
		if st != 201 || json.Unmarshal(b, &c) != nil {
			return "", st, b
		}
		if st, b := fleetCall(ps[(i+1)%3].url, "POST", "/api/v1/carts/"+c.ID+"/items", "", ip, nil, map[string]any{"variant_id": v, "quantity": 1}); st != 200 {
			return "", st, b
		}
		return c.ID, 200, nil
	}
	// pay checks the cart out on another instance.
	pay := func(cart, ip string, i int) (int, []byte) {
		return fleetCall(ps[(i+2)%3].url, "POST", "/api/v1/carts/"+cart+"/checkout", "", ip, map[string]string{"Idempotency-Key": fmt.Sprintf("fleet-%s-%d", ip, i)}, checkoutBody("tok_visa"))
	}
	// buy does both, touching all three instances.
	buy := func(v, ip string, i int) (int, []byte) {
		cart, st, b := fill(v, ip, i)
		if cart == "" {
			return st, b
		}
		return pay(cart, ip, i)
	}

	t.Run("500 buyers, 50 units, three instances", func(t *testing.T) {
		_, vs := product(ps[0].url, list.Items[1].Slug)
		v := vs[0].ID
		setStock(t, v, 50)
		var paid, soldOut atomic.Int64
		var wg sync.WaitGroup
		// Every buyer has the unit in a cart before anyone checks out, so
		// the race is the checkout's alone however slow the machine is
		// (otherwise a late add-to-cart finds the variant sold out).
		var filled sync.WaitGroup
		filled.Add(500)
		start := make(chan struct{})
		for i := 0; i < 500; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				ip := fmt.Sprintf("10.%d.%d.%d", 1+i/65536, (i/256)%256, i%256)
				cart, st, b := fill(v, ip, i)
				filled.Done()
				<-start
				if cart != "" {
					st, b = pay(cart, ip, i)
				}
				switch {
				case st == 201:
					paid.Add(1)
				case st == 409 && strings.Contains(string(b), vs[0].SKU):
					soldOut.Add(1)
				default:
					t.Errorf("buyer %d: %d %s", i, st, b)
				}
			}(i)
		}
		filled.Wait()
		close(start)
		wg.Wait()
		if paid.Load() != 50 || soldOut.Load() != 450 || stock(t, v) != 0 {
			t.Fatalf("%d paid, %d sold out, stock %d; want 50, 450, 0", paid.Load(), soldOut.Load(), stock(t, v))
		}
	})

	t.Run("Redis killed during a checkout run", func(t *testing.T) {
		_, vs := product(ps[0].url, list.Items[0].Slug)
		v := vs[0].ID
		setStock(t, v, 100000)
		before := stock(t, v)
		var paid, unavailable, afterRestart atomic.Int64
		var restarted atomic.Bool
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					st, b := buy(v, fmt.Sprintf("172.16.%d.%d", w, i%250), w*100000+i)
					switch {
					case st == 201:
						paid.Add(1)
						if restarted.Load() {
							afterRestart.Add(1)
						}
					case st == 503 && bytes.Contains(b, []byte("/problems/unavailable")):
						unavailable.Add(1)
					default:
						t.Errorf("during the outage: %d %s", st, b)
						return
					}
				}
			}(w)
		}
		time.Sleep(1500 * time.Millisecond)
		rds.kill()
		time.Sleep(2 * time.Second)
		startOwnRedis(t, rds.port)
		restarted.Store(true)
		for deadline := time.Now().Add(20 * time.Second); afterRestart.Load() < 5 && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
		}
		close(stop)
		wg.Wait()
		if afterRestart.Load() < 5 {
			t.Fatalf("no recovery: %d checkouts after Redis came back (%d paid, %d 503s in all)", afterRestart.Load(), paid.Load(), unavailable.Load())
		}
		if got := stock(t, v); got != before-int(paid.Load()) {
			t.Fatalf("stock %d, want %d - %d paid = %d", got, before, paid.Load(), before-int(paid.Load()))
		}
		t.Logf("%d paid (%d after Redis returned), %d answered 503", paid.Load(), afterRestart.Load(), unavailable.Load())
		for _, p := range ps {
			for deadline := time.Now().Add(10 * time.Second); ; {
				if st, _ := fleetCall(p.url, "GET", "/readyz", "", "192.0.2.1", nil, nil); st == 200 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s /readyz not back to 200 after Redis returned", p.url)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	})
}
