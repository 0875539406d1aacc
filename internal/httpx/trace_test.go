package httpx_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/observe"
	"github.com/oceanshop/ocean/internal/ocean"
)

// TestTraceIDInProblemsAndLogs: a 5xx problem names the request's trace
// (the caller's, from traceparent) and so do the request's log lines; a 4xx
// problem does not need it.
func TestTraceIDInProblemsAndLogs(t *testing.T) {
	const trace = "4bf92f3577b34da6a3ce929d0e0e4736"
	var logs strings.Builder
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "Down.", Err: errors.New("dial tcp: refused")})
	})
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) { httpx.WriteProblem(w, r, ocean.Invalid("Bad.")) })
	var off *observe.Tracing
	h := httpx.Chain(mux, off.Middleware(mux), httpx.WithRequestID, httpx.Recover(log, page))

	problem := func(path string) httpx.Problem {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Traceparent", "00-"+trace+"-00f067aa0ba902b7-01")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var p httpx.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := problem("/down"); p.Status != 503 || p.TraceID != trace {
		t.Errorf("5xx problem %+v: want trace_id %s", p, trace)
	}
	if p := problem("/bad"); p.Status != 400 || p.TraceID != "" {
		t.Errorf("4xx problem %+v carries a trace id", p)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	for _, line := range lines {
		var rec struct {
			Msg     string `json:"msg"`
			TraceID string `json:"trace_id"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.TraceID != trace {
			t.Errorf("log line %q has trace_id %q, want %s", rec.Msg, rec.TraceID, trace)
		}
	}
	if len(lines) != 3 { // request failed + two request lines
		t.Errorf("log lines: %q", lines)
	}
}
