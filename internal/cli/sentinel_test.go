package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/postgres/pgtest"
)

// Bounds of TestSentinelFailover. They are limits on waiting, never
// assertions about speed.
const (
	sentinelLoad      = 10 * time.Second // how long the buyers keep buying
	sentinelKillAfter = 2 * time.Second  // into the load, the primary gets SIGKILL
	sentinelAfter     = 3 * time.Second  // the load goes on at least this long after the promotion
	sentinelBuyers    = 8
	// sentinelClientTimeout is the buyers' HTTP timeout: a request that has
	// no answer by then hung. A checkout waits at most 10 s for each lock
	// (checkout.lockWait) and a Redis call at most a few seconds.
	sentinelClientTimeout = 25 * time.Second
)

// TestSentinelFailover is issue 5's test 5. A Redis primary, one replica and
// three Sentinels (scripts/sentinel.sh) serve two real `ocean serve`
// processes configured with a redis-sentinel:// URL. Eight guest buyers
// check out one unit each in a loop while the primary is killed with
// SIGKILL. Every answer must be a success, an out-of-stock 409 or a 503
// problem — never a 500, never a hang; once the Sentinels have promoted the
// replica the same processes sell again without a restart, nothing is
// oversold, the ledger verifies and /readyz is back at 200.
func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("redis-server"); err != nil || !hasRedisCLI() {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("redis-server is not installed: the Sentinel test needs it (scripts/services.sh start installs it as root)")
		}
		t.Skip("Sentinel test skipped: redis-server is not installed (apt-get install redis-server, or scripts/services.sh start as root)")
	}
	dbURL := pgtest.URL(t)
	began := time.Now()
	topo := sentStart(t)
	keys := fleetKeys(t)
	env := []string{"OCEAN_DATABASE_URL=" + dbURL, "OCEAN_REDIS_URL=" + topo["OCEAN_TEST_SENTINEL_URL"],
		"OCEAN_ENCRYPTION_KEY=" + keys["OCEAN_ENCRYPTION_KEY"], "OCEAN_TOKEN_KEYS=" + keys["OCEAN_TOKEN_KEYS"],
		"OCEAN_SEED_DEMO=true", "OCEAN_RATE_LIMITS=off", "OCEAN_HTTP_ADDR=127.0.0.1:0", "OCEAN_HTTPS_ADDR=off",
		"OCEAN_SHUTDOWN_DELAY=0s", "OCEAN_ADMIN_EMAIL=owner@example.com", "OCEAN_ADMIN_PASSWORD=" + adminPassword, "OCEAN_LOG_LEVEL=info"}
	procs := []*proc{startProc(t, append(env, "OCEAN_DATA_DIR="+t.TempDir()))} // the first seeds and migrates
	procs = append(procs, startProc(t, append(env, "OCEAN_DATA_DIR="+t.TempDir())))
	a := procs[0]

	var tk tokens
	if st := a.call(t, "POST", "/api/v1/auth/login", "", nil, map[string]string{"email": "owner@example.com", "password": adminPassword}, &tk); st != 200 {
		t.Fatalf("login: %d", st)
	}
	// Two in-stock variants: V, stocked well beyond what the load can buy,
	// and W with 5 units for a race after the failover.
	vs := sentVariants(t, a, 2)
	v, w := vs[0], vs[1]
	const vStock, wStock = 100000, 5
	sentSetStock(t, a, tk.AccessToken, v.ID, vStock)
	sentSetStock(t, a, tk.AccessToken, w.ID, wStock)

	sentinel := goredis.NewSentinelClient(&goredis.Options{Addr: "127.0.0.1:" + strings.Split(topo["OCEAN_TEST_SENTINEL_PORTS"], ",")[0],
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second})
	defer sentinel.Close()
	master := topo["OCEAN_TEST_SENTINEL_MASTER"]
	oldPrimary := "127.0.0.1:" + topo["OCEAN_TEST_SENTINEL_PRIMARY_PORT"]
	if got := sentPrimary(sentinel, master); got != oldPrimary {
		t.Fatalf("the Sentinels name %q as primary, want %s", got, oldPrimary)
	}
	for i, p := range procs { // both are on Redis through the Sentinels
		sentWaitReady(t, p, 200, 20*time.Second, fmt.Sprintf("instance %d before the failover", i))
	}

	// The load: each buyer makes a guest cart with one unit of V on one
	// instance and checks it out on the other, again and again.
	client := &http.Client{Timeout: sentinelClientTimeout}
	var (
		loadSold, sold, outOfStock, unavailable atomic.Int64
		firstSaleAfterKill                      atomic.Int64 // ns after the kill at which a checkout begun after it succeeded
		killedAt                                atomic.Int64 // unix ns
		mu                                      sync.Mutex
		failures                                []string
		slowest                                 time.Duration
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	// The load runs for sentinelLoad, and at least sentinelAfter past the
	// promotion, so that it shows the instances selling again.
	var stopAt atomic.Int64
	stopAt.Store(time.Now().Add(sentinelLoad).UnixNano())
	var wg sync.WaitGroup
	for b := range sentinelBuyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().UnixNano() < stopAt.Load(); i++ {
				carts, checkouts := procs[(b+i)%2], procs[(b+i+1)%2]
				start := time.Now()
				res := sentBuy(client, carts, checkouts, v.ID, fmt.Sprintf("sentinel-%d-%d", b, i))
				if d := time.Since(start); d > 0 {
					mu.Lock()
					slowest = max(slowest, d)
					mu.Unlock()
				}
				switch {
				case res.err != nil:
					fail("buyer %d: %s: %v", b, res.step, res.err)
				case res.status == 201:
					loadSold.Add(1)
					sold.Add(1)
					if k := killedAt.Load(); k != 0 && start.UnixNano() > k {
						since := time.Since(time.Unix(0, k)).Nanoseconds()
						firstSaleAfterKill.CompareAndSwap(0, since)
					}
				case res.status == 409 && res.step == "checkout":
					outOfStock.Add(1)
				case res.status == 503 && res.problem:
					unavailable.Add(1)
				default:
					fail("buyer %d: %s: %d %s (problem+json %v)", b, res.step, res.status, res.body, res.problem)
				}
				if res.err != nil || res.status >= 500 {
					time.Sleep(50 * time.Millisecond) // a client backing off, not hammering
				}
			}
		}()
	}

	time.Sleep(sentinelKillAfter)
	pid, err := strconv.Atoi(topo["OCEAN_TEST_SENTINEL_PRIMARY_PID"])
	if err != nil {
		t.Fatalf("primary pid %q", topo["OCEAN_TEST_SENTINEL_PRIMARY_PID"])
	}
	soldBeforeKill := sold.Load()
	killedAt.Store(time.Now().UnixNano())
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the primary (pid %d): %v", pid, err)
	}
	kill := time.Unix(0, killedAt.Load())
	newPrimary, promoted := "", time.Duration(0)
	for deadline := kill.Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if a := sentPrimary(sentinel, master); a != "" && a != oldPrimary {
			newPrimary, promoted = a, time.Since(kill)
			if end := time.Now().Add(sentinelAfter).UnixNano(); end > stopAt.Load() {
				stopAt.Store(end)
			}
			break
		}
	}
	if newPrimary == "" {
		t.Fatalf("the Sentinels did not promote the replica within 30 s of the kill")
	}
	if want := "127.0.0.1:" + topo["OCEAN_TEST_SENTINEL_REPLICA_PORT"]; newPrimary != want {
		t.Fatalf("new primary %s, want the replica %s", newPrimary, want)
	}
	wg.Wait()
	loadEnd := time.Since(kill)
	for _, f := range failures {
		t.Error(f)
	}
	if t.Failed() {
		t.Fatalf("the load saw the failures above; instance logs:\n%s\n---\n%s", sentTail(procs[0].log(), 40), sentTail(procs[1].log(), 40))
	}
	if soldBeforeKill == 0 {
		t.Fatalf("no checkout succeeded in the %s before the kill", sentinelKillAfter)
	}
	if firstSaleAfterKill.Load() == 0 {
		t.Fatalf("no checkout begun after the kill succeeded during the load (%d sold, %d answers 503); logs:\n%s", sold.Load(), unavailable.Load(), sentTail(procs[0].log(), 40))
	}

	// After the promotion both instances sell through the new primary
	// without a restart, and say they are ready.
	for i, p := range procs {
		sentWaitReady(t, p, 200, 20*time.Second, fmt.Sprintf("instance %d after the failover", i))
		res := sentBuy(client, p, p, v.ID, fmt.Sprintf("sentinel-after-%d", i))
		if res.err != nil || res.status != 201 {
			t.Fatalf("instance %d after the failover: %s: %d %v %s", i, res.step, res.status, res.err, res.body)
		}
		sold.Add(1)
	}
	// Locks on the new primary still keep a race fair: 20 buyers over both
	// instances for W's 5 units get exactly 5 orders.
	var wSold, wOut atomic.Int64
	var rg sync.WaitGroup
	for i := range 20 {
		rg.Add(1)
		go func() {
			defer rg.Done()
			res := sentBuy(client, procs[i%2], procs[(i+1)%2], w.ID, fmt.Sprintf("sentinel-race-%d", i))
			switch {
			case res.err == nil && res.status == 201:
				wSold.Add(1)
			case res.err == nil && res.status == 409 && res.step == "checkout":
				wOut.Add(1)
			case res.err == nil && res.status == 409 && res.step == "add": // sold out before it reached the cart
				wOut.Add(1)
			default:
				fail("race buyer %d: %s: %d %v %s", i, res.step, res.status, res.err, res.body)
			}
		}()
	}
	rg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	if wSold.Load() != wStock || wOut.Load() != 20-wStock {
		t.Fatalf("race after the failover: %d sold, %d out of stock; want %d and %d", wSold.Load(), wOut.Load(), wStock, 20-wStock)
	}

	// No oversell: stock never below zero, every paid unit taken from the
	// stock exactly once, and as many paid orders as successful checkouts.
	paid := sentPaidUnits(t, a, tk.AccessToken)
	for _, c := range []struct {
		v       sentVariant
		initial int
		sold    int64
	}{{v, vStock, sold.Load()}, {w, wStock, wSold.Load()}} {
		left := sentStock(t, a, tk.AccessToken, c.v.ID)
		if left < 0 || paid[c.v.SKU] > c.initial || int64(paid[c.v.SKU]) != c.sold || left != c.initial-paid[c.v.SKU] {
			t.Errorf("variant %s: %d in stock of %d, %d units in paid orders, %d checkouts answered 201", c.v.SKU, left, c.initial, paid[c.v.SKU], c.sold)
		}
	}
	for _, p := range procs {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
	verify := exec.Command(oceanBinary(t), "inventory", "verify")
	verify.Env = append(os.Environ(), append(env, "OCEAN_DATA_DIR="+t.TempDir())...)
	if out, err := verify.CombinedOutput(); err != nil || !strings.Contains(string(out), "every stock level equals the sum of its ledger") {
		t.Fatalf("ocean inventory verify: %v\n%s", err, out)
	}
	t.Logf("Sentinel failover: primary killed %s into the load; replica promoted after %s; first checkout begun after the kill succeeded %s after it; "+
		"load ended %s after the kill; %d sold (%d before the kill), %d answers 503, %d out of stock; slowest request %s; whole test %s",
		sentinelKillAfter, promoted.Round(time.Millisecond), time.Duration(firstSaleAfterKill.Load()).Round(time.Millisecond),
		loadEnd.Round(time.Millisecond), loadSold.Load(), soldBeforeKill, unavailable.Load(), outOfStock.Load(), slowest.Round(time.Millisecond),
		time.Since(began).Round(time.Millisecond))
}

func hasRedisCLI() bool { _, err := exec.LookPath("redis-cli"); return err == nil }

// sentStart runs scripts/sentinel.sh start on free loopback ports with
// its state in a temporary directory, stops it when the test ends, and
// returns the env it prints.
func sentStart(t *testing.T) map[string]string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sentinel") // removed after the stop below: cleanups run last-in first-out
	ports := sentFreePorts(t, 5)
	env := append(os.Environ(), "OCEAN_SENTINEL_DIR="+dir,
		"OCEAN_SENTINEL_PRIMARY_PORT="+ports[0], "OCEAN_SENTINEL_REPLICA_PORT="+ports[1],
		"OCEAN_SENTINEL_PORTS="+strings.Join(ports[2:], ","))
	script := func(ctx context.Context, cmd string) (string, error) {
		c := exec.CommandContext(ctx, "../../scripts/sentinel.sh", cmd)
		c.Env = env
		var out, stderr bytes.Buffer
		c.Stdout, c.Stderr = &out, &stderr
		if err := c.Run(); err != nil {
			return out.String(), fmt.Errorf("%w\n%s", err, stderr.String())
		}
		return out.String(), nil
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := script(ctx, "stop"); err != nil {
			t.Errorf("scripts/sentinel.sh stop: %v\n%s", err, out)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	out, err := script(ctx, "start")
	if err != nil {
		t.Fatalf("scripts/sentinel.sh start: %v\n%s", err, out)
	}
	topo := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "="); ok {
			topo[k] = v
		}
	}
	for _, k := range []string{"OCEAN_TEST_SENTINEL_URL", "OCEAN_TEST_SENTINEL_MASTER", "OCEAN_TEST_SENTINEL_PORTS", "OCEAN_TEST_SENTINEL_PRIMARY_PORT", "OCEAN_TEST_SENTINEL_PRIMARY_PID", "OCEAN_TEST_SENTINEL_REPLICA_PORT"} {
		if topo[k] == "" {
			t.Fatalf("scripts/sentinel.sh start printed no %s:\n%s", k, out)
		}
	}
	return topo
}

// sentFreePorts returns n loopback ports that were free a moment ago.
func sentFreePorts(t *testing.T, n int) []string {
	t.Helper()
	var ports []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

func sentPrimary(s *goredis.SentinelClient, master string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	a, err := s.GetMasterAddrByName(ctx, master).Result()
	if err != nil || len(a) != 2 {
		return ""
	}
	return net.JoinHostPort(a[0], a[1])
}

func sentWaitReady(t *testing.T, p *proc, want int, d time.Duration, what string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	last := ""
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := client.Get(p.url + "/readyz")
		if err != nil {
			last = err.Error()
			continue
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == want {
			return
		}
		last = fmt.Sprintf("%d %s", res.StatusCode, b)
	}
	t.Fatalf("%s: /readyz not %d within %s; last answer %s; log:\n%s", what, want, d, last, sentTail(p.log(), 30))
}

type sentVariant struct{ ID, SKU string }

// sentVariants returns n variants with stock, of different products.
func sentVariants(t *testing.T, p *proc, n int) []sentVariant {
	t.Helper()
	var list struct {
		Items []struct{ Slug string } `json:"items"`
	}
	if st := p.call(t, "GET", fmt.Sprintf("/api/v1/products?in_stock=true&limit=%d", n), "", nil, nil, &list); st != 200 || len(list.Items) < n {
		t.Fatalf("in-stock products: %d, %d items", st, len(list.Items))
	}
	var out []sentVariant
	for _, it := range list.Items[:n] {
		var prod struct {
			Variants []struct {
				ID        string `json:"id"`
				SKU       string `json:"sku"`
				Available int    `json:"available"`
			} `json:"variants"`
		}
		p.call(t, "GET", "/api/v1/products/"+it.Slug, "", nil, nil, &prod)
		for _, v := range prod.Variants {
			if v.Available > 0 {
				out = append(out, sentVariant{v.ID, v.SKU})
				break
			}
		}
	}
	if len(out) != n {
		t.Fatalf("found %d in-stock variants, want %d", len(out), n)
	}
	return out
}

func sentStock(t *testing.T, p *proc, admin, variant string) int {
	t.Helper()
	var l struct{ Stock int }
	if st := p.call(t, "GET", "/api/v1/admin/inventory/"+variant, admin, nil, nil, &l); st != 200 {
		t.Fatalf("stock level of %s: %d", variant, st)
	}
	return l.Stock
}

func sentSetStock(t *testing.T, p *proc, admin, variant string, n int) {
	t.Helper()
	delta := n - sentStock(t, p, admin, variant)
	if st := p.call(t, "POST", "/api/v1/admin/inventory/"+variant+"/adjustments", admin, nil, map[string]any{"delta": delta, "reason": "Sentinel failover test"}, nil); st != 200 {
		t.Fatalf("adjust stock of %s by %d: %d", variant, delta, st)
	}
	if got := sentStock(t, p, admin, variant); got != n {
		t.Fatalf("stock of %s is %d after the adjustment, want %d", variant, got, n)
	}
}

// sentPaidUnits sums the units of paid orders per SKU, over every page.
func sentPaidUnits(t *testing.T, p *proc, admin string) map[string]int {
	t.Helper()
	units := map[string]int{}
	cursor := ""
	for range 1000 {
		var page struct {
			Items []struct {
				Status string `json:"status"`
				Items  []struct {
					SKU      string `json:"sku"`
					Quantity int    `json:"quantity"`
				} `json:"items"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		if st := p.call(t, "GET", "/api/v1/admin/orders?limit=50"+cursor, admin, nil, nil, &page); st != 200 {
			t.Fatalf("admin orders: %d", st)
		}
		for _, o := range page.Items {
			if o.Status != "paid" {
				t.Errorf("an order is %s, want every order paid", o.Status)
				continue
			}
			for _, it := range o.Items {
				units[it.SKU] += it.Quantity
			}
		}
		if page.NextCursor == nil {
			return units
		}
		cursor = "&cursor=" + *page.NextCursor
	}
	t.Fatal("admin orders: too many pages")
	return nil
}

type sentResult struct {
	step    string // create, add or checkout: the last request made
	status  int
	problem bool // the answer is application/problem+json
	body    string
	err     error // no answer: the request failed or hung past the client timeout
}

// sentBuy makes a guest cart with one unit of variant on carts and checks it
// out on checkouts. It stops at the first answer that is not a success.
func sentBuy(client *http.Client, carts, checkouts *proc, variant, idem string) sentResult {
	var c struct {
		ID string `json:"id"`
	}
	r := sentSend(client, carts, "create", "POST", "/api/v1/carts", nil, nil, &c)
	if r.err != nil || r.status != 201 && r.status != 200 {
		return r
	}
	r = sentSend(client, carts, "add", "POST", "/api/v1/carts/"+c.ID+"/items", nil, map[string]any{"variant_id": variant, "quantity": 1}, nil)
	if r.err != nil || r.status != 200 {
		return r
	}
	return sentSend(client, checkouts, "checkout", "POST", "/api/v1/carts/"+c.ID+"/checkout", map[string]string{"Idempotency-Key": idem}, checkoutBody("tok_visa"), nil)
}

func sentSend(client *http.Client, p *proc, step, method, path string, hdr map[string]string, body, out any) sentResult {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		return sentResult{step: step, err: err}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := sentResult{step: step, status: res.StatusCode, body: string(b), problem: strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json")}
	if len(r.body) > 300 {
		r.body = r.body[:300]
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			r.err = fmt.Errorf("decode %s: %w", b, err)
		}
	}
	return r
}

func sentTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
