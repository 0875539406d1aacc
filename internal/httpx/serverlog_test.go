package httpx

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// lineHandler is a slog handler that keeps the lines and signals each.
type lineHandler struct {
	mu    sync.Mutex
	lines []string
	got   chan struct{}
}

func (h *lineHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *lineHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *lineHandler) WithGroup(string) slog.Handler            { return h }
func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	h.mu.Lock()
	h.lines = append(h.lines, b.String())
	h.mu.Unlock()
	select {
	case h.got <- struct{}{}:
	default:
	}
	return nil
}

func (h *lineHandler) all() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.lines...)
}

// TestTLSHandshakeErrorsCounted: a browser that does not trust the
// certificate fails its handshake against the real server; that is
// counted and logged once, not once per attempt.
func TestTLSHandshakeErrorsCounted(t *testing.T) {
	h := &lineHandler{got: make(chan struct{}, 1)}
	reg := prometheus.NewRegistry()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.Config.ErrorLog = ServerErrorLog(slog.New(h), reg)
	srv.StartTLS()
	defer srv.Close()
	untrusting := &http.Client{Timeout: 5 * time.Second} // the system roots: not the test server's CA
	if _, err := untrusting.Get(srv.URL); err == nil {
		t.Fatal("a client that does not trust the certificate got through")
	}
	select {
	case <-h.got:
	case <-time.After(10 * time.Second):
		t.Fatal("the handshake error never reached the log")
	}
	for range 20 {
		_, _ = untrusting.Get(srv.URL)
	}
	srv.Close() // waits for the connections, and so for their error lines
	lines := h.all()
	if len(lines) != 1 || !strings.Contains(lines[0], "TLS handshake error") || !strings.HasPrefix(lines[0], "WARN") {
		t.Errorf("log lines: %q", lines)
	}
	mfs, err := reg.Gather()
	var n float64
	for _, mf := range mfs {
		if mf.GetName() == "ocean_tls_handshake_errors_total" {
			n = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	if err != nil || n < 2 {
		t.Errorf("ocean_tls_handshake_errors_total = %v after 21 failed handshakes (%v)", n, err)
	}
}

// TestServerErrorLogOncePerMinute: handshake errors are logged at most once
// a minute, the next line saying how many were left out; other server
// errors are all logged.
func TestServerErrorLogOncePerMinute(t *testing.T) {
	h := &lineHandler{got: make(chan struct{}, 1)}
	l := ServerErrorLog(slog.New(h), nil)
	w := l.Writer().(*serverErrors)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w.now = func() time.Time { return now }
	for range 100 {
		l.Print("http: TLS handshake error from 127.0.0.1:5000: remote error: tls: unknown certificate authority")
		now = now.Add(100 * time.Millisecond) // 100 in 10 s
	}
	l.Print("http: Accept error: too many open files")
	now = now.Add(time.Minute)
	l.Print("http: TLS handshake error from 127.0.0.1:5001: EOF")
	lines := h.all()
	if len(lines) != 3 {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	if !strings.Contains(lines[0], "more_since_last_line=0") || !strings.Contains(lines[1], "Accept error") || !strings.Contains(lines[2], "more_since_last_line=99") {
		t.Errorf("lines: %q", lines)
	}
	var m dto.Metric
	if err := w.handshakes.Write(&m); err != nil || m.GetCounter().GetValue() != 101 {
		n := m.GetCounter().GetValue()
		t.Errorf("counted %v handshake errors, want 101 (%v)", n, err)
	}
}
