package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/postgres/pgtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// oceanBinary builds cmd/ocean once per test run: crash tests need a real
// process to kill. It is a release build (versionLdflags), so
// TestVersionFromLdflags checks the same binary instead of linking another.
func oceanBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ocean-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "ocean")
		out, err := exec.Command("go", "build", "-o", binPath, "-ldflags", versionLdflags, "../../cmd/ocean").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// versionLdflags stamp the test binary the way a release build is stamped.
const versionLdflags = "-X github.com/oceanshop/ocean/internal/cli.Version=1.2.3 -X github.com/oceanshop/ocean/internal/cli.Commit=abc1234 -X github.com/oceanshop/ocean/internal/cli.BuildDate=2026-12-06T18:00:00Z"

// proc is a running `ocean serve`.
type proc struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs bytes.Buffer
	seen chan string // log lines
}

func (p *proc) log() string { p.mu.Lock(); defer p.mu.Unlock(); return p.logs.String() }

func startProc(t *testing.T, env []string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(oceanBinary(t), "serve"), seen: make(chan string, 1000)}
	p.cmd.Env = append(os.Environ(), env...)
	dieWithTest(p.cmd)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout = io.Discard
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.seen <- sc.Text():
			default:
			}
		}
	}()
	// The bound only stops a hung start: on a busy machine the demo seed
	// alone took 55 s (CI at load 30).
	re := regexp.MustCompile(`msg=listening url=(http://\S+)`)
	p.url = strings.TrimPrefix(p.waitFor(t, re, 3*time.Minute), "")
	return p
}

// waitForLogged waits for a line matching re that may already have been
// logged, and read past by an earlier waitFor: a line logged before the
// one an earlier wait matched (the start's "listening") is not seen again.
func (p *proc) waitForLogged(t *testing.T, re *regexp.Regexp, d time.Duration) {
	t.Helper()
	if re.MatchString(p.log()) {
		return
	}
	p.waitFor(t, re, d)
}

// waitFor returns the first submatch of the first log line matching re.
func (p *proc) waitFor(t *testing.T, re *regexp.Regexp, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case line := <-p.seen:
			if m := re.FindStringSubmatch(line); m != nil {
				if len(m) > 1 {
					return m[1]
				}
				return m[0]
			}
		case <-deadline:
			t.Fatalf("no log line matching %s within %s; log:\n%s", re, d, p.log())
		}
	}
}

func (p *proc) call(t *testing.T, method, path, bearer string, hdr map[string]string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.url+path, r)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %v: %s", method, path, res.StatusCode, err, b)
		}
	}
	return res.StatusCode
}

func TestCrashBetweenAuthorizationAndCommitOnSQLite(t *testing.T) {
	t.Parallel()
	testCrash(t, nil)
}

func TestCrashBetweenAuthorizationAndCommitOnPostgres(t *testing.T) {
	t.Parallel()
	testCrash(t, []string{"OCEAN_DATABASE_URL=" + pgtest.URL(t)})
}

// testCrash kills the shop while a checkout waits between the gateway's
// authorization and the order's commit, restarts it, and checks that the
// reconciler completes the order: one order, one capture, the stock taken
// once, the ledger consistent.
func testCrash(t *testing.T, extra []string) {
	dir := t.TempDir()
	env := append([]string{"OCEAN_DATA_DIR=" + dir, "OCEAN_HTTP_ADDR=127.0.0.1:0", "OCEAN_HTTPS_ADDR=off", "OCEAN_SEED_DEMO=true",
		"OCEAN_RESERVATION_TTL=2s", "OCEAN_SHUTDOWN_DELAY=0s", "OCEAN_ADMIN_EMAIL=owner@example.com", "OCEAN_ADMIN_PASSWORD=" + adminPassword,
		"OCEAN_LOG_LEVEL=info"}, extra...)
	if !strings.Contains(strings.Join(extra, " "), "OCEAN_DATABASE_URL=") {
		seedInto(t, dir)
	}
	p := startProc(t, append(env, "OCEAN_TEST_CRASH_AFTER_AUTHORIZE=1"))
	var tk tokens
	if st := p.call(t, "POST", "/api/v1/auth/login", "", nil, map[string]string{"email": "owner@example.com", "password": adminPassword}, &tk); st != 200 {
		t.Fatalf("login: %d", st)
	}
	var list struct {
		Items []struct{ Slug string } `json:"items"`
	}
	p.call(t, "GET", "/api/v1/products?in_stock=true&limit=1", "", nil, nil, &list)
	var prod struct {
		Variants []struct {
			ID        string `json:"id"`
			Available int    `json:"available"`
		} `json:"variants"`
	}
	p.call(t, "GET", "/api/v1/products/"+list.Items[0].Slug, "", nil, nil, &prod)
	variant := ""
	for _, v := range prod.Variants {
		if v.Available > 0 {
			variant = v.ID
			break
		}
	}
	level := func(p *proc) int {
		var l struct{ Stock int }
		if st := p.call(t, "GET", "/api/v1/admin/inventory/"+variant, tk.AccessToken, nil, nil, &l); st != 200 {
			t.Fatalf("stock level: %d", st)
		}
		return l.Stock
	}
	before := level(p)
	var c cartOut
	p.call(t, "POST", "/api/v1/carts", "", nil, nil, &c)
	if st := p.call(t, "POST", "/api/v1/carts/"+c.ID+"/items", "", nil, map[string]any{"variant_id": variant, "quantity": 1}, nil); st != 200 {
		t.Fatalf("add: %d", st)
	}
	hdr := map[string]string{"Idempotency-Key": "crash-test-checkout-1"}
	go func() {
		req, _ := json.Marshal(checkoutBody("tok_visa"))
		r, _ := http.NewRequest("POST", p.url+"/api/v1/carts/"+c.ID+"/checkout", bytes.NewReader(req))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", hdr["Idempotency-Key"])
		if res, err := http.DefaultClient.Do(r); err == nil { // the kill cuts it off
			res.Body.Close()
		}
	}()
	p.waitFor(t, regexp.MustCompile(`paused after payment authorization`), 2*time.Minute)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()

	// Restarted without the hook, the shop finds the pending order once its
	// reservation runs out, sees the authorization at the gateway and
	// completes the order. The shopper's retry with the same key gets it.
	q := startProc(t, env)
	var o orderOut
	if st := q.call(t, "POST", "/api/v1/carts/"+c.ID+"/checkout", "", hdr, checkoutBody("tok_visa"), &o); st != 201 {
		t.Fatalf("retry after the crash: %d %+v\nlog:\n%s", st, o, q.log())
	}
	// The order is paid as soon as the reconciler marks it; the capture
	// follows a moment later.
	for deadline := time.Now().Add(15 * time.Second); o.Status == "paid" && o.Payment.Status == "authorized" && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		q.call(t, "GET", "/api/v1/orders/"+o.ID, "", nil, nil, &o)
	}
	if o.Status != "paid" || o.Payment.Status != "captured" {
		t.Fatalf("after the crash the order is %s with payment %s; log:\n%s", o.Status, o.Payment.Status, q.log())
	}
	// The reconciler logs it once the capture is done; the line may be a
	// moment behind the order we just read, or, when the restart was slow
	// enough for the reservation to run out first, come before the shop
	// said it was listening (CI at load 30 saw that).
	q.waitForLogged(t, regexp.MustCompile(`completed an order whose payment was authorized`), 10*time.Second)
	if got := level(q); got != before-1 {
		t.Fatalf("stock %d after one unit sold from %d", got, before)
	}
	var mine struct{ Items []orderOut }
	q.call(t, "GET", "/api/v1/admin/orders?limit=200", tk.AccessToken, nil, nil, &mine)
	n := 0
	for _, x := range mine.Items {
		if x.ID == o.ID {
			n++
		}
	}
	if len(mine.Items) != 1 || n != 1 {
		t.Fatalf("%d orders in the shop, want exactly this one", len(mine.Items))
	}
	_ = q.cmd.Process.Kill()
	_ = q.cmd.Wait()
	cmd := exec.CommandContext(context.Background(), oceanBinary(t), "inventory", "verify")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "every stock level equals the sum of its ledger") {
		t.Fatalf("ocean inventory verify: %v\n%s", err, out)
	}
}
