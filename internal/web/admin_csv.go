package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
)

// The catalog as CSV in the admin (decision 0090): the export download and
// the import page, whose first step is always a dry run. Plain forms: the
// dry run's page carries the file in a hidden field, so the confirmation
// works on any instance of a fleet and without script.

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
		default:
			_ = http.NewResponseController(rw).SetWriteDeadline(time.Now().Add(10 * time.Minute)) // best effort, as for the export
			currency := "ZAR"
			if w.checkout != nil {
				if st, err := w.checkout.Settings(r.Context()); err == nil {
					currency = st.Currency
				}
			}
			rep, err := w.svc.Import(r.Context(), actorOf(s), bytes.NewReader(file), catalog.ImportOptions{Currency: currency, DryRun: !confirm, OwnHost: r.Host})
			if err != nil && rep == nil {
				d.Message, status = ocean.ErrorMessage(err), statusOf(err)
				break
			}
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
		}
	}
	if d.Report == nil && w.prg(rw, r, status, "admin_products_import", "/admin/products/import", d) {
		return
	}
	w.restore(rw, r, "admin_products_import", &d)
	d.layout = w.pageLayout(rw, r, "Import products")
	w.renderPrivate(rw, r, status, "admin_products_import", d)
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
