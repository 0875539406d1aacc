package upgrade

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func status(h http.Handler, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code
}

// TestBrokenBuildClockStartsAtReady: a broken build's clock starts at its
// first ready answer, however long its start took; "0s" is never ready;
// "" is a good build.
func TestBrokenBuildClockStartsAtReady(t *testing.T) {
	ready := false
	shop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" && !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	never := func() bool { return false }

	h := ReleaseHandler(shop, never, "1ns")
	if got := status(h, "/readyz"); got != 503 {
		t.Fatalf("starting: /readyz %d", got)
	}
	if got := status(h, "/p/thing"); got != 200 {
		t.Fatalf("not yet ready (the 1ns has long passed since start): page %d, want 200", got)
	}
	ready = true
	if got := status(h, "/readyz"); got != 200 {
		t.Fatalf("first ready answer: %d", got)
	}
	if got := status(h, "/p/thing"); got != 500 {
		t.Fatalf("after its first ready answer and the 1ns: page %d, want 500", got)
	}
	if got := status(h, "/readyz"); got != 503 {
		t.Fatalf("broken: /readyz %d, want 503", got)
	}

	if got := status(ReleaseHandler(shop, never, "0s"), "/readyz"); got != 503 {
		t.Fatalf(`"0s": /readyz %d, want 503 (never ready)`, got)
	}
	good := ReleaseHandler(shop, never, "")
	if status(good, "/readyz") != 200 || status(good, "/p/thing") != 200 {
		t.Fatal("a good build answers 500 or 503")
	}
	rec := httptest.NewRecorder()
	ReleaseHandler(shop, func() bool { return true }, "").ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Header().Get("Connection") != "close" {
		t.Fatal("draining: no Connection: close")
	}
}
