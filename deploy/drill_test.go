// Package deploy holds the release tooling (bluegreen.sh, packaging) and
// the drills that prove it: tests only.
package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/loadgen"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
)

var (
	buildMu sync.Mutex
	builds  = map[string]string{}
)

// build compiles cmd/ocean once per set of ldflags.
func build(t *testing.T, ldflags string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := builds[ldflags]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "ocean-drill-")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "ocean")
	if out, err := exec.Command("go", "build", "-ldflags", ldflags, "-o", p, "../cmd/ocean").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	builds[ldflags] = p
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, p := range builds {
		os.RemoveAll(filepath.Dir(p))
	}
	os.Exit(code)
}

// need skips (or, under make test, fails) when a program is missing.
func need(t *testing.T, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			if _, err2 := os.Stat("/usr/sbin/" + p); err2 == nil {
				continue
			}
			if os.Getenv("OCEAN_REQUIRE_SERVICES") != "" || os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed: make test installs it (scripts/ops-setup.sh)", p)
			}
			t.Skipf("%s is not installed (scripts/ops-setup.sh installs it)", p)
		}
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// shopEnv is a fleet's settings for the drills: PostgreSQL, the test Redis,
// shared keys, rate limits off (the load is one client), a short drain.
func shopEnv(t *testing.T, bin string) []string {
	t.Helper()
	redisURL := os.Getenv("OCEAN_TEST_REDIS_URL")
	if redisURL == "" {
		if os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("OCEAN_TEST_REDIS_URL is not set")
		}
		t.Skip("Redis tests skipped: OCEAN_TEST_REDIS_URL is not set")
	}
	keys, err := exec.Command(bin, "keys", "generate").Output()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{
		"OCEAN_DATABASE_URL=" + pgtest.URL(t), "OCEAN_REDIS_URL=" + redisURL,
		"OCEAN_DATA_DIR=" + t.TempDir(), "OCEAN_SEED_DEMO=true", "OCEAN_RATE_LIMITS=off",
		"OCEAN_ADMIN_EMAIL=drill@example.com", "OCEAN_ADMIN_PASSWORD=drill password 123",
		"OCEAN_SHUTDOWN_DELAY=1s", "OCEAN_LOG_FORMAT=text",
	}
	return append(env, strings.Fields(string(keys))...)
}

type script struct {
	t   *testing.T
	env []string
}

// run runs deploy/bluegreen.sh and returns its exit code and log.
func (s script) run(args ...string) (int, string) {
	cmd := exec.Command("./bluegreen.sh", args...)
	cmd.Env = append(os.Environ(), s.env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	return code, out.String()
}

// The drills' load: six shoppers, each beginning a visit (five requests,
// the last a checkout) every quarter second, so about 120 requests a second
// with requests in flight at every moment of a release. Paced, not back to
// back: unpaced, the load took whatever CPU the machine had (both cores of
// an idle one, beside the rest of make test), and its figures then measured
// the machine more than the release.
const (
	drillWorkers = 6
	drillPace    = 250 * time.Millisecond
)

// underLoad runs the load through url while fn runs, and a moment after.
func underLoad(t *testing.T, url string, shop loadgen.Shop, fn func()) loadgen.Result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := make(chan loadgen.Result, 1)
	started := time.Now()
	go func() {
		res <- loadgen.Run(ctx, loadgen.Options{BaseURL: url, Workers: drillWorkers, Pace: drillPace, Duration: 3 * time.Minute}, shop)
	}()
	time.Sleep(500 * time.Millisecond) // load before the release starts
	fn()
	time.Sleep(500 * time.Millisecond) // and after it
	cancel()
	r := <-res
	t.Logf("load during the release: %s (%s in all)", r, time.Since(started).Round(time.Millisecond))
	return r
}

// TestBlueGreenDrill: releases behind a real nginx under steady load. A
// good release switches colours with no failed request; a build that never
// gets ready is never switched to; a build that breaks after the switch is
// rolled back by the watch, still with no failed request.
func TestBlueGreenDrill(t *testing.T) {
	need(t, "nginx", "curl")
	good := build(t, "-X github.com/oceanshop/ocean/internal/cli.Version=drill-good")
	neverReady := build(t, "-X github.com/oceanshop/ocean/internal/cli.Version=drill-never-ready -X github.com/oceanshop/ocean/internal/cli.brokenAfter=0s")
	breaks := build(t, "-X github.com/oceanshop/ocean/internal/cli.Version=drill-breaks -X github.com/oceanshop/ocean/internal/cli.brokenAfter=4s")
	ports := freePorts(t, 3)
	port := envOr("BG_PORT", ports[0])
	dir := bgDir(t)
	s := script{t: t, env: append(shopEnv(t, good),
		"BG_DIR="+dir, "BG_NGINX_LOG_LEVEL="+envOr("BG_NGINX_LOG_LEVEL", "warn"), "BG_PORT="+port,
		"BG_BLUE_PORT="+envOr("BG_BLUE_PORT", ports[1]), "BG_GREEN_PORT="+envOr("BG_GREEN_PORT", ports[2]),
		"BG_WATCH=5", "BG_READY_TIMEOUT=60")}
	t.Cleanup(func() {
		s.run("stop")
		// An nginx worker that exits with a response unfinished says so
		// at alert level ("open socket #N left in connection M").
		if b, err := os.ReadFile(filepath.Join(dir, "nginx-error.log")); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if strings.Contains(l, "[alert]") || strings.Contains(l, "[emerg]") {
					t.Errorf("nginx: %s", l)
				}
			}
		}
	})
	if code, out := s.run("deploy", good); code != 0 {
		t.Fatalf("first deploy: exit %d\n%s", code, out)
	}
	url := "http://127.0.0.1:" + port
	shop, err := loadgen.Setup(context.Background(), loadgen.Options{BaseURL: url}, "drill@example.com", "drill password 123")
	if err != nil {
		t.Fatal(err)
	}

	var code int
	var out string
	r := underLoad(t, url, shop, func() { code, out = s.run("deploy", good) })
	if code != 0 || !strings.Contains(out, "released: green serves alone") {
		t.Fatalf("good release: exit %d\n%s", code, out)
	}
	report(t, "good release (blue → green)", r)

	s.env = append(s.env, "BG_READY_TIMEOUT=5")
	r = underLoad(t, url, shop, func() { code, out = s.run("deploy", neverReady) })
	if code != 2 || !strings.Contains(out, "not switched: green keeps serving") {
		t.Fatalf("release that never gets ready: exit %d\n%s", code, out)
	}
	report(t, "release that never gets ready (not switched)", r)

	s.env = append(s.env, "BG_READY_TIMEOUT=60", "BG_WATCH=30")
	r = underLoad(t, url, shop, func() { code, out = s.run("deploy", breaks) })
	if code != 3 || !strings.Contains(out, "ROLLED BACK to green") {
		t.Fatalf("release that breaks after the switch: exit %d\n%s", code, out)
	}
	report(t, "release that breaks after the switch (rolled back)", r)
	if _, st := s.run("status"); !strings.Contains(st, "active: green") || !strings.Contains(st, "blue: stopped") {
		t.Fatalf("after the rollback:\n%s", st)
	}
}

// freePorts returns n distinct loopback TCP ports free a moment ago (the
// drills' servers take their own ports, not defaults other runs use).
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var ports []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = ln.Close() }() // only held until all are picked
		_, p, _ := net.SplitHostPort(ln.Addr().String())
		ports = append(ports, p)
	}
	return ports
}

// bgDir is the drill's state directory: a temporary one, or one kept
// under DRILL_KEEP_DIR for reading the logs afterwards.
func bgDir(t *testing.T) string {
	if d := os.Getenv("DRILL_KEEP_DIR"); d != "" {
		dir, err := os.MkdirTemp(d, "bluegreen-")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("state, nginx and shop logs in %s", dir)
		return dir
	}
	return t.TempDir()
}

// figures logs a drill's figures and, when OCEAN_DRILL_REPORT names a
// file, appends them to it: make test prints that file, so the figures
// show in its output even when every test passes (go test shows a
// passing package's log only with -v).
func figures(t *testing.T, line string) {
	t.Helper()
	t.Log(line)
	if p := os.Getenv("OCEAN_DRILL_REPORT"); p != "" {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Error(err)
			return
		}
		defer func() { _ = f.Close() }() // appended below; the error is checked there
		if _, err := fmt.Fprintln(f, line); err != nil {
			t.Error(err)
		}
	}
}

func report(t *testing.T, what string, r loadgen.Result) {
	t.Helper()
	figures(t, fmt.Sprintf("DRILL %s: %d requests, %d failed, %d resent, p99 %s, %d orders", what, r.Requests, r.Failed, r.Resent, r.P99.Round(100*time.Microsecond), r.Orders))
	if r.Requests == 0 || r.Orders == 0 {
		t.Errorf("%s: no load ran: %s", what, r)
	}
	if r.Failed != 0 {
		t.Errorf("%s: %d requests failed: %v", what, r.Failed, r.Failures)
	}
}

// install copies a build to path atomically (write, then rename over), the
// way a release replaces the binary under a running process.
func install(t *testing.T, build, path string) {
	t.Helper()
	b, err := os.ReadFile(build)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".new", b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var pid int
	fmt.Sscan(string(b), &pid)
	return pid
}

// TestInPlaceUpgradeDrill: `ocean serve` on one machine (SQLite, the
// embedded default) is upgraded in place under steady load with `ocean
// upgrade`: the new binary takes the listening socket, the old one drains
// and exits, no request fails. An upgrade to a build that fails its
// readiness check changes nothing: the old process keeps serving, still
// with no failed request.
func TestInPlaceUpgradeDrill(t *testing.T) {
	need(t, "curl")
	good := build(t, "-X github.com/oceanshop/ocean/internal/cli.Version=drill-good")
	neverReady := build(t, "-X github.com/oceanshop/ocean/internal/cli.Version=drill-never-ready -X github.com/oceanshop/ocean/internal/cli.brokenAfter=0s")
	dir := t.TempDir()
	bin := filepath.Join(dir, "ocean")
	install(t, good, bin)
	pidFile := filepath.Join(dir, "ocean.pid")
	addr := "127.0.0.1:" + envOr("DRILL_UPGRADE_PORT", freePorts(t, 1)[0])
	env := append(os.Environ(), "OCEAN_DATA_DIR="+filepath.Join(dir, "data"), "OCEAN_HTTP_ADDR="+addr, "OCEAN_HTTPS_ADDR=off",
		"OCEAN_PID_FILE="+pidFile, "OCEAN_ADMIN_EMAIL=drill@example.com", "OCEAN_ADMIN_PASSWORD=drill password 123",
		"OCEAN_RATE_LIMITS=off", "OCEAN_SHUTDOWN_DELAY=2s")
	var logs bytes.Buffer
	var logMu sync.Mutex
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	cmd.Stdout = &lockedWriter{mu: &logMu, w: &logs}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	// Process.Wait, not cmd.Wait: the new process inherits the log pipe, so
	// the pipe outlives the first process.
	go func() { _, err := cmd.Process.Wait(); exited <- err }()
	t.Cleanup(func() {
		// The process serving now may be a child of the first one.
		if pid := readPID(t, pidFile); pid > 0 {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
		cmd.Process.Kill()
		logMu.Lock()
		defer logMu.Unlock()
		if t.Failed() {
			t.Logf("serve log:\n%s", logs.String())
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(2 * time.Minute)
	for readPID(t, pidFile) != cmd.Process.Pid {
		select {
		case err := <-exited:
			t.Fatalf("serve exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not write its PID file")
		}
		time.Sleep(50 * time.Millisecond)
	}
	shop, err := loadgen.Setup(context.Background(), loadgen.Options{BaseURL: url}, "drill@example.com", "drill password 123")
	if err != nil {
		t.Fatal(err)
	}
	upgrade := func(timeout string) (int, string) {
		c := exec.Command(bin, "upgrade", timeout)
		c.Env = env
		out, err := c.CombinedOutput()
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}

	old := cmd.Process.Pid
	install(t, good, bin)
	var code int
	var out string
	var gone bool
	r := underLoad(t, url, shop, func() {
		code, out = upgrade("90s")
		if code == 0 { // the load goes on until the old process has drained and exited
			select {
			case <-exited:
				gone = true
			case <-time.After(60 * time.Second):
			}
		}
	})
	if code != 0 || !strings.Contains(out, "upgraded") {
		t.Fatalf("ocean upgrade: exit %d: %s", code, out)
	}
	report(t, "in-place upgrade", r)
	if !gone {
		t.Fatal("the old process did not exit after the upgrade")
	}
	now := readPID(t, pidFile)
	if now == old || now == 0 {
		t.Fatalf("PID file: %d (was %d)", now, old)
	}

	install(t, neverReady, bin)
	r = underLoad(t, url, shop, func() { code, out = upgrade("15s") })
	if code != 1 || !strings.Contains(out, "keeps serving") {
		t.Fatalf("upgrade to a build that is never ready: exit %d: %s", code, out)
	}
	report(t, "in-place upgrade to a build that fails readiness (rolled back)", r)
	if pid := readPID(t, pidFile); pid != now {
		t.Fatalf("PID file names %d after the failed upgrade, want %d (still serving)", pid, now)
	}
	if p, err := os.FindProcess(now); err != nil || p.Signal(syscall.Signal(0)) != nil {
		t.Fatalf("process %d stopped after the failed upgrade", now)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
