package httpx_test

import (
	"net/http/httptest"
	"testing"

	"github.com/oceanshop/ocean/internal/httpx"
)

func TestWantsStream(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                                        false,
		"application/json":                        false,
		"application/x-ndjson":                    true,
		"application/json, application/x-ndjson":  true,
		"application/x-ndjson;q=0":                false,
		"application/x-ndjson; q=0.5, */*;q=0.1":  true,
		"application/x-ndjson;q=nonsense":         false,
		"text/html,application/xhtml+xml,*/*;q=1": false,
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Accept", accept)
		if got := httpx.WantsStream(r); got != want {
			t.Errorf("Accept %q: stream %v, want %v", accept, got, want)
		}
	}
}

// A stream is a 200 of NDJSON lines, each flushed as it is sent.
func TestStream(t *testing.T) {
	rec := httptest.NewRecorder()
	s := httpx.StartStream(rec)
	if !rec.Flushed || rec.Code != 200 || rec.Header().Get("Content-Type") != httpx.NDJSON {
		t.Fatalf("start: flushed %v, %d %s", rec.Flushed, rec.Code, rec.Header())
	}
	rec.Flushed = false
	if err := s.Send(map[string]int{"done": 1}); err != nil || !rec.Flushed {
		t.Fatalf("send: %v, flushed %v", err, rec.Flushed)
	}
	if err := s.Send(map[string]int{"done": 2}); err != nil {
		t.Fatal(err)
	}
	if got := rec.Body.String(); got != "{\"done\":1}\n{\"done\":2}\n" {
		t.Fatalf("body %q", got)
	}
	if err := s.Send(func() {}); err == nil {
		t.Fatal("a value JSON cannot encode was sent")
	}
	if err := s.Send(1); err == nil {
		t.Fatal("a send after a failure went on")
	}
}
