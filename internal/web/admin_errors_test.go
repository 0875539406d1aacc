package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/rum"
)

var reErrorLink = regexp.MustCompile(`href="/admin/errors/(\d+)"`)

func TestAdminErrorsListDetailAndStatus(t *testing.T) {
	s := openOffice(t, t.TempDir(), nil)
	now := time.Now().UTC()
	ev := errtrack.Event{Kind: errtrack.Panic, Fingerprint: "fp-admin-test", Title: "runtime.boundsError: index out of range", Culprit: "web.(*Web).product",
		Message: "index out of range [7] with length 3", Stack: "github.com/oceanshop/ocean/internal/web.(*Web).product\n\tinternal/web/product.go:42\n",
		Route: "GET /p/{slug}", Method: "GET", Status: 500, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", RequestID: "abc123", Release: "v1.0.0", At: now,
		Request: map[string]string{"User-Agent": "Firefox"}}
	if err := s.app.DB.Errors().Record(context.Background(), []errtrack.Event{ev, ev}, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.app.DB.Vitals().Add(context.Background(), rum.Day(now), []rum.Count{{Metric: "lcp", Template: "/p/{slug}", Bucket: 2, N: 3}}); err != nil {
		t.Fatal(err)
	}
	anon := s.browser(t)
	for _, p := range []string{"/admin/errors", "/admin/vitals"} {
		wantSignIn(t, anon.get(p), p)
	}
	boss := s.owner(t)
	list := boss.get("/admin/errors")
	wantPage(t, list, 200, "Errors", "runtime.boundsError: index out of range", "web.(*Web).product", "panic", "open")
	m := reErrorLink.FindStringSubmatch(list.body)
	if m == nil {
		t.Fatalf("no link to the group:\n%s", list.body)
	}
	page := "/admin/errors/" + m[1]
	wantPage(t, boss.get(page), 200, "2 times", "GET /p/{slug}", "→ 500", "4bf92f3577b34da6a3ce929d0e0e4736", "abc123", "v1.0.0", "internal/web/product.go:42", "Resolve", "Ignore")
	// Without the CSRF token nothing changes.
	if v := boss.post(page+"/status", url.Values{"status": {"resolved"}}); v.status == 303 {
		t.Fatal("a status change without the CSRF token went through")
	}
	v := boss.submit(page, page+"/status", url.Values{"status": {"resolved"}})
	wantPage(t, v, 200, "The error is resolved", "Reopen")
	if gs, _ := s.app.DB.Errors().Groups(context.Background(), errtrack.Filter{Status: errtrack.Resolved}); len(gs) != 1 {
		t.Fatalf("resolved groups = %+v", gs)
	}
	wantPage(t, boss.get("/admin/errors?status=open"), 200, "No errors with this status")
	if v := boss.submit(page, page+"/status", url.Values{"status": {"deleted"}}); v.status != 400 {
		t.Fatalf("unknown status: %d", v.status)
	}
	if v := boss.get("/admin/errors/999999"); v.status != 404 {
		t.Fatalf("missing group: %d", v.status)
	}
	vit := boss.get("/admin/vitals")
	wantPage(t, vit, 200, "Web Vitals", "/p/{slug}", "good", "3 views")
	if !strings.Contains(vit.body, "vital-good") {
		t.Fatalf("the LCP cell is not marked good:\n%s", vit.body)
	}
}
