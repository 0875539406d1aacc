package errtrack_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

// ingest stands in for Sentry's ingest endpoint: it keeps every envelope
// posted to it.
type ingest struct {
	mu        sync.Mutex
	envelopes []string
	paths     []string
}

func (in *ingest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	b, _ := io.ReadAll(body)
	in.mu.Lock()
	in.envelopes = append(in.envelopes, string(b))
	in.paths = append(in.paths, r.URL.Path)
	in.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":"0"}`)
}

func TestSentryGetsTheFingerprintAndNoPersonalData(t *testing.T) {
	in := &ingest{}
	srv := httptest.NewServer(in)
	t.Cleanup(srv.Close)
	dsn := "http://publickey@" + strings.TrimPrefix(srv.URL, "http://") + "/42"
	sink, err := errtrack.NewSentry(dsn, "v9.9.9", "test")
	if err != nil {
		t.Fatal(err)
	}
	store := sqlitetest.Open(t).Errors()
	tr := errtrack.New(errtrack.Config{Store: store, Release: "v9.9.9", Sinks: []errtrack.Sink{sink}, Log: slogDiscard()})
	t.Cleanup(func() { tr.Close() })
	email, card, token, pw := "jane.roe@example.org", "4242424242424242", "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl", "Tr0ub4dor-and-horse"
	mux := http.NewServeMux()
	mux.HandleFunc("POST /pay/{id}", func(w http.ResponseWriter, r *http.Request) {
		panic(fmt.Sprintf("charge %s for %s failed (password=%s)", card, email, pw))
	})
	h := httpx.Chain(mux, httpx.WithRequestID, httpx.CaptureFailures(tr, errtrack.Route(mux)), httpx.Recover(slogDiscard(), nil))
	r := httptest.NewRequest("POST", "/pay/"+email+"?token="+token, strings.NewReader("card="+card))
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Cookie", "ocean_session="+token)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !sink.Flush(5 * time.Second) {
		t.Fatal("the Sentry client did not flush")
	}
	gs, err := store.Groups(context.Background(), errtrack.Filter{})
	if err != nil || len(gs) != 1 {
		t.Fatalf("groups %+v %v", gs, err)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.envelopes) != 1 || in.paths[0] != "/api/42/envelope/" {
		t.Fatalf("ingest got %d envelopes at %v, want 1 at /api/42/envelope/", len(in.envelopes), in.paths)
	}
	env := in.envelopes[0]
	for _, want := range []string{`"fingerprint":["` + gs[0].Fingerprint + `"]`, `"release":"v9.9.9"`, `"route":"POST /pay/{id}"`, `"kind":"panic"`,
		`"type":"string"`, `"function":"TestSentryGetsTheFingerprintAndNoPersonalData.func2","module":"github.com/oceanshop/ocean/internal/errtrack_test"`} {
		if !strings.Contains(env, want) {
			t.Errorf("the event lacks %s:\n%s", want, env)
		}
	}
	for _, planted := range []string{email, card, token, pw, "ocean_session"} {
		if strings.Contains(env, planted) {
			t.Errorf("the event sent to Sentry holds %q:\n%s", planted, env)
		}
	}
}
