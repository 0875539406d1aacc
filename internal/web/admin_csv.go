package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
)

// The catalog as CSV in the admin (decision 0090): the export download and
// the import page, whose first step is always a dry run. Plain forms: the
// dry run's page carries the file in a hidden field, so the confirmation
// works on any instance of a fleet and without script. With script
// (static/import.js) the same forms show the upload's bytes and then the
// rows checked and written while the request runs (decision 0130).

func (w *Web) registerCatalogCSV(mux *http.ServeMux, page func(http.HandlerFunc) http.Handler) {
	for _, rt := range []route{
		{"GET /admin/products/export", w.adminExport, ""},
		{"GET /admin/products/import", w.adminImport, ""},
		{"POST /admin/products/import", w.adminImport, ""},
	} {
		mux.Handle(rt.pattern, w.secureOnly(page(rt.h)))
	}
}

func (w *Web) adminExport(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	_ = http.NewResponseController(rw).SetWriteDeadline(time.Now().Add(10 * time.Minute)) // best effort: longer than a page may take
	rw.Header().Set("Content-Type", "text/csv; charset=utf-8")
	rw.Header().Set("Content-Disposition", `attachment; filename="products-`+time.Now().UTC().Format("20060102")+`.csv"`)
	rw.Header().Set("Cache-Control", "no-store")
	if err := w.svc.Export(r.Context(), rw); err != nil {
		panic(http.ErrAbortHandler) // a cut-off download is the only signal left once it started
	}
}

type adminImportData struct {
	layout
	Report  *catalog.ImportReport
	Rows    []catalog.ImportRow // the rows shown: every one that is not unchanged (at most 500)
	Hidden  int                 // unchanged rows not listed
	CSV     string              // the file, for the confirmation
	Done    bool
	Message string
}

func (w *Web) adminImport(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil {
		return
	}
	d := adminImportData{}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !sameOrigin(r) {
			w.formExpired(rw, r)
			return
		}
		file, confirm, csrf, err := readImportForm(r)
		if err == nil && !checkCSRF(r, csrf) {
			w.formExpired(rw, r)
			return
		}
		switch {
		case err != nil:
			d.Message, status = ocean.ErrorMessage(err), statusOf(err)
		case len(file) == 0:
			d.Message, status = "Choose a CSV file.", http.StatusBadRequest
		case httpx.WantsStream(r):
			w.importStream(rw, r, s, file, confirm)
			return
		default:
			_ = http.NewResponseController(rw).SetWriteDeadline(time.Now().Add(10 * time.Minute)) // best effort, as for the export
			status = w.runImport(r, s, file, confirm, nil, &d)
		}
	}
	if d.Report == nil && w.prg(rw, r, status, "admin_products_import", "/admin/products/import", d) {
		return
	}
	w.restore(rw, r, "admin_products_import", &d)
	d.layout = w.pageLayout(rw, r, "Import products")
	w.renderPrivate(rw, r, status, "admin_products_import", d)
}

// runImport imports file (a dry run unless confirm) into d and returns the
// page's status; progress, when set, hears how far it is.
func (w *Web) runImport(r *http.Request, s *signedIn, file []byte, confirm bool, progress func(catalog.ImportProgress), d *adminImportData) int {
	currency := "ZAR"
	if w.checkout != nil {
		if st, err := w.checkout.Settings(r.Context()); err == nil {
			currency = st.Currency
		}
	}
	rep, err := w.svc.Import(r.Context(), actorOf(s), bytes.NewReader(file), catalog.ImportOptions{Currency: currency, DryRun: !confirm, OwnHost: r.Host, Progress: progress})
	if err != nil && rep == nil {
		d.Message = ocean.ErrorMessage(err)
		return statusOf(err)
	}
	status := http.StatusOK
	d.Report, d.Done = rep, confirm && err == nil
	if err != nil {
		d.Message, status = ocean.ErrorMessage(err), statusOf(err)
	}
	if !d.Done && len(rep.Errors) == 0 {
		d.CSV = string(file)
	}
	for _, row := range rep.Rows {
		if row.Action == catalog.ImportUnchanged || len(d.Rows) >= 500 {
			d.Hidden++
			continue
		}
		d.Rows = append(d.Rows, row)
	}
	return status
}

// importLine is a line of the import page's stream (decision 0130): the
// progress, then "done" with the status the page would have had and the
// page's content (what goes in its main element).
type importLine struct {
	Event string `json:"event"` // progress or done
	*catalog.ImportProgress
	Status int    `json:"status,omitempty"`
	HTML   string `json:"html,omitempty"`
}

// importStream answers the import form that the page's script sends
// (Accept: application/x-ndjson): the rows checked and written as they
// go, then the page's content. The same request on any instance of a
// fleet; nothing is kept between requests. A browser that goes away
// cancels the import, which then writes nothing.
func (w *Web) importStream(rw http.ResponseWriter, r *http.Request, s *signedIn, file []byte, confirm bool) {
	_ = http.NewResponseController(rw).SetWriteDeadline(time.Now().Add(10 * time.Minute)) // best effort, as for the export
	// The layout before the stream starts: it may set the CSRF cookie.
	d := adminImportData{layout: w.pageLayout(rw, r, "Import products")}
	st := httpx.StartStream(rw)
	status := w.runImport(r, s, file, confirm, func(p catalog.ImportProgress) {
		_ = st.Send(importLine{Event: "progress", ImportProgress: &p}) // a browser gone cancels the request's context
	}, &d)
	var buf bytes.Buffer
	if err := w.pages["admin_products_import"].ExecuteTemplate(&buf, "content", d); err != nil {
		w.log.ErrorContext(r.Context(), "import page failed", "request_id", httpx.RequestID(r.Context()), "err", err)
		buf.Reset()
		buf.WriteString(`<div class="wrap page admin"><p class="notice error" role="alert">Something went wrong on our side showing the result. Look at the product list before importing again.</p></div>`)
		status = http.StatusInternalServerError
	}
	_ = st.Send(importLine{Event: "done", Status: status, HTML: buf.String()})
}

// readImportForm reads the import form (multipart): the file (field file,
// or the dry run's hidden csv field), whether it confirms, and the CSRF
// token.
func readImportForm(r *http.Request) (file []byte, confirm bool, csrf string, err error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, false, "", ocean.Invalid("The form could not be read.")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return file, confirm, csrf, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, false, "", ocean.Errorf(ocean.ETOOLARGE, "The file is larger than the shop takes (%d MB).", catalog.MaxImportBytes>>20)
			}
			return nil, false, "", ocean.Invalid("The form could not be read.")
		}
		b, err := io.ReadAll(io.LimitReader(part, catalog.MaxImportBytes+1))
		if err != nil {
			return nil, false, "", ocean.Errorf(ocean.ETOOLARGE, "The file is larger than the shop takes (%d MB).", catalog.MaxImportBytes>>20)
		}
		switch part.FormName() {
		case "file", "csv":
			if len(b) > 0 {
				file = b
			}
		case "confirm":
			confirm = string(b) == "1"
		case "csrf":
			csrf = string(b)
		}
	}
}
