package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/rum"
)

// Errors runs the contract of the error tracker's store: grouping by
// fingerprint, counting, the sample cap, the status rules (a resolved
// group that recurs is open again, an ignored one stays ignored), paging,
// and pruning.
func Errors(t *testing.T, newStore func(t *testing.T) errtrack.Store) {
	t.Run("groups and counts", func(t *testing.T) { t.Parallel(); testErrorGroups(t, newStore(t)) })
	t.Run("status", func(t *testing.T) { t.Parallel(); testErrorStatus(t, newStore(t)) })
	t.Run("paging and filter", func(t *testing.T) { t.Parallel(); testErrorPaging(t, newStore(t)) })
	t.Run("prune", func(t *testing.T) { t.Parallel(); testErrorPrune(t, newStore(t)) })
	t.Run("concurrent writers count every event", func(t *testing.T) { t.Parallel(); testErrorConcurrent(t, newStore(t)) })
}

var errTime = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func errEvent(fp string, at time.Time, msg string) errtrack.Event {
	return errtrack.Event{Kind: errtrack.Panic, Fingerprint: fp, Title: "runtime.Error: " + msg, Culprit: "web.(*Web).product",
		Message: msg, Stack: "web.(*Web).product\n\tinternal/web/product.go:10\n", Route: "GET /p/{slug}", Method: "GET", Status: 500,
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", RequestID: "r1", Release: "v1.2.3", At: at,
		Request: map[string]string{"User-Agent": "test"}}
}

func record(t *testing.T, s errtrack.Store, samples int, es ...errtrack.Event) {
	t.Helper()
	if err := s.Record(ctx, es, samples); err != nil {
		t.Fatal(err)
	}
}

func onlyGroup(t *testing.T, s errtrack.Store, fp string) errtrack.Group {
	t.Helper()
	gs, err := s.Groups(ctx, errtrack.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Fingerprint == fp {
			return g
		}
	}
	t.Fatalf("no group %s in %+v", fp, gs)
	return errtrack.Group{}
}

func testErrorGroups(t *testing.T, s errtrack.Store) {
	record(t, s, 2, errEvent("a", errTime, "one"), errEvent("b", errTime.Add(time.Minute), "other"))
	record(t, s, 2, errEvent("a", errTime.Add(2*time.Minute), "two"), errEvent("a", errTime.Add(3*time.Minute), "three"))
	gs, err := s.Groups(ctx, errtrack.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs[0].Fingerprint != "a" || gs[1].Fingerprint != "b" {
		t.Fatalf("groups = %+v, want a (last seen latest) then b", gs)
	}
	a := gs[0]
	if a.Count != 3 || !a.FirstSeen.Equal(errTime) || !a.LastSeen.Equal(errTime.Add(3*time.Minute)) || a.Status != errtrack.Open ||
		a.Kind != errtrack.Panic || a.Release != "v1.2.3" || a.Title != "runtime.Error: three" {
		t.Fatalf("group a = %+v", a)
	}
	g, events, err := s.Group(ctx, a.ID)
	if err != nil || g.ID != a.ID {
		t.Fatal(g, err)
	}
	// Two samples kept, the newest first.
	if len(events) != 2 || events[0].Message != "three" || events[1].Message != "two" {
		t.Fatalf("samples = %+v, want three, two", events)
	}
	e := events[0]
	if e.Route != "GET /p/{slug}" || e.Method != "GET" || e.Status != 500 || e.TraceID == "" || e.RequestID != "r1" ||
		!e.At.Equal(errTime.Add(3*time.Minute)) || e.Request["User-Agent"] != "test" || e.Stack == "" {
		t.Fatalf("sample = %+v", e)
	}
	// An event out of order does not move last seen back, and moves
	// first seen back.
	record(t, s, 2, errEvent("b", errTime.Add(-time.Hour), "early"))
	b := onlyGroup(t, s, "b")
	if !b.FirstSeen.Equal(errTime.Add(-time.Hour)) || !b.LastSeen.Equal(errTime.Add(time.Minute)) || b.Count != 2 {
		t.Fatalf("group b = %+v", b)
	}
	if _, _, err := s.Group(ctx, a.ID+1000); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("missing group: %v, want ENOTFOUND", err)
	}
}

func testErrorStatus(t *testing.T, s errtrack.Store) {
	record(t, s, 5, errEvent("r", errTime, "x"), errEvent("i", errTime, "y"))
	r, i := onlyGroup(t, s, "r"), onlyGroup(t, s, "i")
	if err := s.SetStatus(ctx, r.ID, errtrack.Resolved); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, i.ID, errtrack.Ignored); err != nil {
		t.Fatal(err)
	}
	if g := onlyGroup(t, s, "r"); g.Status != errtrack.Resolved {
		t.Fatalf("after resolve: %s", g.Status)
	}
	record(t, s, 5, errEvent("r", errTime.Add(time.Hour), "x"), errEvent("i", errTime.Add(time.Hour), "y"))
	if g := onlyGroup(t, s, "r"); g.Status != errtrack.Open || g.Count != 2 {
		t.Fatalf("a resolved group that recurs: %+v, want open again", g)
	}
	if g := onlyGroup(t, s, "i"); g.Status != errtrack.Ignored || g.Count != 2 {
		t.Fatalf("an ignored group that recurs: %+v, want still ignored, counted", g)
	}
	if err := s.SetStatus(ctx, r.ID, "gone"); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatalf("bad status: %v", err)
	}
	if err := s.SetStatus(ctx, r.ID+i.ID+1000, errtrack.Resolved); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("missing group: %v", err)
	}
}

func testErrorPaging(t *testing.T, s errtrack.Store) {
	var es []errtrack.Event
	for i := range 7 {
		es = append(es, errEvent(fmt.Sprint("p", i), errTime.Add(time.Duration(i%3)*time.Minute), "m"))
	}
	record(t, s, 1, es...)
	seen := map[string]bool{}
	f := errtrack.Filter{Limit: 3}
	for page := 0; ; page++ {
		gs, err := s.Groups(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for i, g := range gs {
			if seen[g.Fingerprint] {
				t.Fatalf("page %d repeats %s", page, g.Fingerprint)
			}
			seen[g.Fingerprint] = true
			if i > 0 && g.LastSeen.After(gs[i-1].LastSeen) {
				t.Fatalf("page %d not newest first", page)
			}
		}
		if len(gs) < f.Limit {
			break
		}
		last := gs[len(gs)-1]
		f.BeforeSeen, f.BeforeID = last.LastSeen, last.ID
	}
	if len(seen) != 7 {
		t.Fatalf("paging saw %d groups, want 7", len(seen))
	}
	g := onlyGroup(t, s, "p4")
	if err := s.SetStatus(ctx, g.ID, errtrack.Ignored); err != nil {
		t.Fatal(err)
	}
	gs, err := s.Groups(ctx, errtrack.Filter{Status: errtrack.Ignored})
	if err != nil || len(gs) != 1 || gs[0].ID != g.ID {
		t.Fatalf("ignored only: %+v %v", gs, err)
	}
}

func testErrorPrune(t *testing.T, s errtrack.Store) {
	record(t, s, 5, errEvent("old", errTime.Add(-40*24*time.Hour), "x"),
		errEvent("n1", errTime, "x"), errEvent("n2", errTime.Add(time.Minute), "x"), errEvent("n3", errTime.Add(2*time.Minute), "x"))
	old := onlyGroup(t, s, "old")
	n, err := s.Prune(ctx, errTime.Add(-30*24*time.Hour), 2)
	if err != nil || n != 2 {
		t.Fatalf("prune = %d, %v; want the old group and the least recent beyond 2", n, err)
	}
	gs, _ := s.Groups(ctx, errtrack.Filter{})
	if len(gs) != 2 || gs[0].Fingerprint != "n3" || gs[1].Fingerprint != "n2" {
		t.Fatalf("left %+v, want n3, n2", gs)
	}
	if _, _, err := s.Group(ctx, old.ID); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("pruned group still there: %v", err)
	}
}

func testErrorConcurrent(t *testing.T, s errtrack.Store) {
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				if err := s.Record(ctx, []errtrack.Event{errEvent("same", errTime.Add(time.Duration(w*10+i)*time.Second), "x")}, 3); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	g := onlyGroup(t, s, "same")
	_, events, err := s.Group(ctx, g.ID)
	if err != nil || g.Count != 20 || len(events) != 3 {
		t.Fatalf("count %d, samples %d (%v); want 20 counted, 3 kept", g.Count, len(events), err)
	}
}

// Vitals runs the contract of the real-user monitoring store: counts add
// up per day, metric, template and bucket (a fleet's instances add to the
// same rows), Counts sums a range of days, Prune drops old days.
func Vitals(t *testing.T, s rum.Store) {
	c := func(m, tmpl string, b int, n int64) rum.Count {
		return rum.Count{Metric: m, Template: tmpl, Bucket: b, N: n}
	}
	day := rum.Day(errTime)
	for _, step := range []struct {
		day    int
		counts []rum.Count
	}{
		{day - 10, []rum.Count{c("lcp", "/p/{slug}", 3, 100)}},
		{day - 1, []rum.Count{c("lcp", "/p/{slug}", 3, 2), c("cls", "/{$}", 0, 1)}},
		{day, []rum.Count{c("lcp", "/p/{slug}", 3, 5), c("lcp", "/p/{slug}", 4, 1)}},
		{day, []rum.Count{c("lcp", "/p/{slug}", 3, 1), c("inp", "/p/{slug}", 0, 0)}},
	} {
		if err := s.Add(ctx, step.day, step.counts); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Counts(ctx, day-6, day)
	if err != nil {
		t.Fatal(err)
	}
	want := []rum.Count{c("cls", "/{$}", 0, 1), c("lcp", "/p/{slug}", 3, 8), c("lcp", "/p/{slug}", 4, 1)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counts = %v, want %v", got, want)
	}
	if err := s.Prune(ctx, day-6); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Counts(ctx, 0, day)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after prune = %v, want %v (the old day gone)", got, want)
	}
}
