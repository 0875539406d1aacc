package upgrade

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestReleaseHandler: a draining instance tells every client to close the
// connection; a build broken at link time answers /readyz 503 and the rest
// 500, as problem+json; an unparsable duration breaks nothing.
func TestReleaseHandler(t *testing.T) {
	shop := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "shop") })
	var draining atomic.Bool
	get := func(h http.Handler, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	h := ReleaseHandler(shop, draining.Load, "")
	if rec := get(h, "/"); rec.Code != 200 || rec.Body.String() != "shop" || rec.Header().Get("Connection") != "" {
		t.Fatalf("serving: %d %q Connection=%q", rec.Code, rec.Body, rec.Header().Get("Connection"))
	}
	draining.Store(true)
	if rec := get(h, "/"); rec.Code != 200 || rec.Header().Get("Connection") != "close" {
		t.Fatalf("draining: %d Connection=%q", rec.Code, rec.Header().Get("Connection"))
	}
	draining.Store(false)
	broken := ReleaseHandler(shop, draining.Load, "0s")
	if rec := get(broken, "/readyz"); rec.Code != 503 || rec.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(rec.Body.String(), "broken build") {
		t.Fatalf("broken /readyz: %d %q", rec.Code, rec.Body)
	}
	if rec := get(broken, "/products"); rec.Code != 500 || !strings.Contains(rec.Body.String(), `"status":500`) {
		t.Fatalf("broken page: %d %q", rec.Code, rec.Body)
	}
	if rec := get(ReleaseHandler(shop, draining.Load, "soon"), "/readyz"); rec.Code != 200 {
		t.Fatalf("unparsable brokenAfter broke the build: %d", rec.Code)
	}
}

// TestConnCount: WaitClosed returns once the last connection closed (a
// hijacked one counts as closed), or when the time is up with some open.
func TestConnCount(t *testing.T) {
	var c ConnCount
	c.Track(nil, http.StateNew)
	c.Track(nil, http.StateNew)
	c.Track(nil, http.StateActive)
	if c.Open() != 2 {
		t.Fatalf("open %d, want 2", c.Open())
	}
	done := make(chan struct{})
	go func() { c.WaitClosed(time.Hour); close(done) }()
	c.Track(nil, http.StateClosed)
	select {
	case <-done:
		t.Fatal("WaitClosed returned with a connection open")
	default:
	}
	c.Track(nil, http.StateHijacked)
	<-done // returns once both are gone, long before the hour
	c.Track(nil, http.StateNew)
	c.WaitClosed(time.Millisecond) // gives up: one is still open
	if c.Open() != 1 {
		t.Fatalf("open %d, want 1", c.Open())
	}
}

// TestRequest: `ocean upgrade` needs a PID file naming a running serve; it
// sends SIGHUP and succeeds once the file names another process, and fails
// (the old process keeps serving) when none takes over in time.
func TestRequest(t *testing.T) {
	var out bytes.Buffer
	if err := Request("", time.Second, &out); err == nil || !strings.Contains(err.Error(), "OCEAN_PID_FILE") {
		t.Fatalf("no PID file setting: %v", err)
	}
	pidFile := filepath.Join(t.TempDir(), "ocean.pid")
	if err := Request(pidFile, time.Second, &out); err == nil || !strings.Contains(err.Error(), "no running serve") {
		t.Fatalf("no PID file: %v", err)
	}
	// A process started with SIGHUP ignored (nohup, some CI runners) passes
	// that on to its children, and sleep would shrug the signal off: a
	// handler here makes the children start with the default action.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	old := exec.Command("sleep", "600")
	if err := old.Start(); err != nil {
		t.Skipf("no sleep command: %v", err)
	}
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(old.Process.Pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		_ = old.Wait() // SIGHUP ends sleep: the signal arrived; a new process "takes over"
		_ = os.WriteFile(pidFile, []byte("999999\n"), 0o600)
	}()
	// Only that goroutine waits for the process (two Waits race).
	t.Cleanup(func() { _ = old.Process.Kill(); <-ended })
	out.Reset()
	if err := Request(pidFile, time.Minute, &out); err != nil {
		t.Fatalf("upgrade: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "upgraded: process 999999 serves now") {
		t.Fatalf("output: %q", out.String())
	}
	// A process that ignores the signal stays named in the file: the
	// upgrade fails after the wait and says the old one keeps serving.
	stubborn := exec.Command("sh", "-c", "trap '' HUP; sleep 600")
	if err := stubborn.Start(); err != nil {
		t.Skipf("no sh: %v", err)
	}
	t.Cleanup(func() { _ = stubborn.Process.Kill(); _ = stubborn.Wait() })
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(stubborn.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Request(pidFile, 300*time.Millisecond, io.Discard); err == nil || !strings.Contains(err.Error(), "keeps serving") {
		t.Fatalf("no takeover: %v", err)
	}
}

// TestUpgrader: without a PID file upgrades are off; with one, Ready
// refuses while /readyz fails and, once it answers 200, writes this
// process's PID to the file, which RemovePIDFile deletes on a shutdown.
// (tableflip allows one upgrader per process: this is the only test that
// makes one.)
func TestUpgrader(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if u, err := New("", log); u != nil || err != nil {
		t.Fatalf("no PID file: %v %v", u, err)
	}
	pidFile := filepath.Join(t.TempDir(), "ocean.pid")
	u, err := New(pidFile, log)
	if err != nil {
		t.Fatal(err)
	}
	if u == nil {
		t.Skip("in-place upgrades are not supported on this platform")
	}
	defer u.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // not ready, and no time to wait for it
	notReady := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
	})
	if err := u.Ready(ctx, notReady); err == nil || !strings.Contains(err.Error(), "503: database unreachable") {
		t.Fatalf("not ready: %v", err)
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Fatalf("a process that is not ready wrote the PID file: %v", err)
	}
	ready := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			t.Errorf("readiness asked %s", r.URL.Path)
		}
	})
	if err := u.Ready(context.Background(), ready); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("PID file %q %v, want %d", b, err, os.Getpid())
	}
	u.RemovePIDFile()
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Fatalf("PID file left after shutdown: %v", err)
	}
}
