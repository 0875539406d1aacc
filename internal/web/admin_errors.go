package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/rum"
)

// ErrorBrowser is what the error pages read and change (errtrack.Store is
// one).
type ErrorBrowser interface {
	Groups(ctx context.Context, f errtrack.Filter) ([]errtrack.Group, error)
	Group(ctx context.Context, id int64) (errtrack.Group, []errtrack.Event, error)
	SetStatus(ctx context.Context, id int64, s errtrack.Status) error
}

// errorsShown is a page of the error list.
const errorsShown = 50

// vitalsDays is the window the vitals page reads.
const vitalsDays = 7

func (w *Web) registerErrors(mux *http.ServeMux, page func(http.HandlerFunc) http.Handler) {
	for _, rt := range []route{
		{"GET /admin/errors", w.adminErrors, ""},
		{"GET /admin/errors/{id}", w.adminError, ""},
		{"POST /admin/errors/{id}/status", w.adminErrorStatus, ""},
	} {
		mux.Handle(rt.pattern, w.secureOnly(page(rt.h)))
	}
	if w.vitals != nil {
		mux.Handle("GET /admin/vitals", w.secureOnly(page(w.adminVitals)))
	}
}

type adminErrorsData struct {
	layout
	Groups []errtrack.Group
	Status string // the filter, "" for all
	Next   string
	Done   string
	Now    time.Time
}

func (w *Web) adminErrors(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	q := r.URL.Query()
	f := errtrack.Filter{Status: errtrack.Status(q.Get("status")), Limit: errorsShown}
	if f.Status != "" && !errtrack.ValidStatus(f.Status) {
		f.Status = ""
	}
	if ms, err := strconv.ParseInt(q.Get("seen"), 10, 64); err == nil {
		f.BeforeSeen = time.UnixMilli(ms)
		f.BeforeID, _ = strconv.ParseInt(q.Get("id"), 10, 64)
	}
	gs, err := w.errors.Groups(r.Context(), f)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := adminErrorsData{layout: w.pageLayout(rw, r, "Errors"), Groups: gs, Status: string(f.Status), Done: doneMessage(r), Now: time.Now().UTC()}
	if len(gs) == errorsShown {
		last := gs[len(gs)-1]
		d.Next = "/admin/errors?status=" + string(f.Status) + "&seen=" + strconv.FormatInt(last.LastSeen.UnixMilli(), 10) + "&id=" + strconv.FormatInt(last.ID, 10)
	}
	w.renderPrivate(rw, r, http.StatusOK, "admin_errors", d)
}

type adminErrorData struct {
	layout
	Group  errtrack.Group
	Events []errtrack.Event
	Done   string
}

func (w *Web) errorGroupID(rw http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.notFound(rw, r)
		return 0, false
	}
	return id, true
}

func (w *Web) adminError(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	id, ok := w.errorGroupID(rw, r)
	if !ok {
		return
	}
	g, events, err := w.errors.Group(r.Context(), id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.renderPrivate(rw, r, http.StatusOK, "admin_error", adminErrorData{layout: w.pageLayout(rw, r, "Error: "+g.Title), Group: g, Events: events, Done: doneMessage(r)})
}

// adminErrorStatus resolves, ignores or reopens a group (a form with the
// CSRF token, like every admin form).
func (w *Web) adminErrorStatus(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil || !w.checkForm(rw, r) {
		return
	}
	id, ok := w.errorGroupID(rw, r)
	if !ok {
		return
	}
	st := errtrack.Status(r.PostForm.Get("status"))
	if !errtrack.ValidStatus(st) {
		w.fail(rw, r, ocean.Invalid("Choose resolve, ignore or reopen.", ocean.FieldError{Field: "status", Message: "unknown status"}))
		return
	}
	if err := w.errors.SetStatus(r.Context(), id, st); err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/admin/errors/"+strconv.FormatInt(id, 10)+"?done=error-"+string(st), http.StatusSeeOther) //nolint:gosec // a path of our own: a number and a checked status
}

type adminVitalsData struct {
	layout
	Metrics []rum.Metric
	Rows    []rum.Row
	Days    int
}

func (w *Web) adminVitals(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	rows, err := rum.Summary(r.Context(), w.vitals, time.Now(), vitalsDays)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.renderPrivate(rw, r, http.StatusOK, "admin_vitals", adminVitalsData{layout: w.pageLayout(rw, r, "Web Vitals"), Metrics: rum.Metrics, Rows: rows, Days: vitalsDays})
}
