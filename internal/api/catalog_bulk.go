package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
)

// The catalog as CSV (decision 0090): an export of every product, and an
// import that is planned row by row (dry_run=true) or written all at once.

func (a *API) catalogBulkRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/admin/products/export", a.admin(a.exportProducts), ""},
		{"POST", "/api/v1/admin/products/import", a.admin(a.importProducts), ""},
	}
}

// bulkDeadline is how long an export or import may take to answer: longer
// than the server's write timeout, which is meant for ordinary pages.
const bulkDeadline = 10 * time.Minute

func (a *API) exportProducts(w http.ResponseWriter, r *http.Request, _ *account.User) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(bulkDeadline)) // best effort: a writer without deadlines keeps the server's
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="products-`+time.Now().UTC().Format("20060102")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	sw := &startedWriter{w: w}
	if err := a.Catalog.Export(r.Context(), sw); err != nil {
		if !sw.started {
			w.Header().Del("Content-Disposition")
			fail(w, r, err)
			return
		}
		// The status is sent: a cut-off download is the only signal left.
		httpx.LogError(r, err)
		panic(http.ErrAbortHandler)
	}
}

// startedWriter notes whether anything was written, so a failure before
// the first byte can still be a problem document.
type startedWriter struct {
	w       io.Writer
	started bool
}

func (s *startedWriter) Write(p []byte) (int, error) {
	s.started = true
	return s.w.Write(p)
}

// importProblem is the 422 of a refused import: each refused cell as a
// field error ("row 12: Variant Price") with its row and column.
type importProblem struct {
	httpx.Problem
	Errors []importErrorJSON `json:"errors"`
}

type importErrorJSON struct {
	Field   string `json:"field"`
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

func (a *API) importProducts(w http.ResponseWriter, r *http.Request, u *account.User) {
	dry := false
	switch v := r.URL.Query().Get("dry_run"); v {
	case "", "false", "0":
	case "true", "1":
		dry = true
	default:
		fail(w, r, ocean.Invalid("dry_run must be true or false.", ocean.FieldError{Field: "dry_run", Message: "must be true or false"}))
		return
	}
	file, err := importFile(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(bulkDeadline)) // best effort, as for the export
	currency := "ZAR"
	if a.Checkout != nil {
		st, err := a.Checkout.Settings(r.Context())
		if err != nil {
			fail(w, r, err)
			return
		}
		currency = st.Currency
	}
	opt := catalog.ImportOptions{Currency: currency, DryRun: dry, OwnHost: r.Host}
	if httpx.WantsStream(r) {
		a.importStream(w, r, u, file, opt)
		return
	}
	rep, err := a.Catalog.Import(r.Context(), staffActor(u), file, opt)
	if err != nil {
		if rep == nil || ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
			fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(refusedImport(r, rep, err)) // the client hung up if this fails
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rep)
}

// refusedImport is the 422 of a file with refused rows.
func refusedImport(r *http.Request, rep *catalog.ImportReport, err error) importProblem {
	p := importProblem{Problem: httpx.NewProblem(r, err)}
	for _, e := range rep.Errors {
		field := "row " + strconv.Itoa(e.Row)
		if e.Column != "" {
			field += ": " + e.Column
		}
		p.Errors = append(p.Errors, importErrorJSON{Field: field, Row: e.Row, Column: e.Column, Message: e.Message})
	}
	return p
}

// importEvent is a line of a streamed import (Accept: application/x-ndjson,
// decision 0130): progress lines, then one "done" line with the status and
// body the import would have answered without the stream.
type importEvent struct {
	Event string `json:"event"` // progress or done
	*catalog.ImportProgress
	Status int `json:"status,omitempty"`
	Body   any `json:"body,omitempty"`
}

// importStream runs an import whose progress the client reads as it goes.
// The file is read whole first, so a body that is too large or cut off is
// still an ordinary 413 or 400; after that the answer is 200 and the
// outcome is in the last line. A client that hangs up cancels the import:
// its transaction rolls back and nothing is written.
func (a *API) importStream(w http.ResponseWriter, r *http.Request, u *account.User, file io.Reader, opt catalog.ImportOptions) {
	data, err := io.ReadAll(io.LimitReader(file, catalog.MaxImportBytes+1))
	if err != nil {
		fail(w, r, bodyError(err))
		return
	}
	s := httpx.StartStream(w)
	opt.Progress = func(p catalog.ImportProgress) {
		_ = s.Send(importEvent{Event: "progress", ImportProgress: &p}) // a client gone cancels the request's context
	}
	rep, err := a.Catalog.Import(r.Context(), staffActor(u), bytes.NewReader(data), opt)
	done := importEvent{Event: "done", Status: http.StatusOK, Body: rep}
	switch {
	case err == nil:
	case rep != nil && ocean.ErrorCode(err) == ocean.EUNPROCESSABLE:
		done.Status, done.Body = http.StatusUnprocessableEntity, refusedImport(r, rep, err)
	default:
		httpx.LogError(r, err)
		p := httpx.NewProblem(r, err)
		done.Status, done.Body = p.Status, p
	}
	_ = s.Send(done)
}

// importFile is the CSV of an import request: the body (text/csv), or the
// file field of a multipart/form-data form.
func importFile(r *http.Request) (io.Reader, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "text/csv", "application/csv", "text/plain":
		return r.Body, nil
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, ocean.Invalid("The form could not be read.", ocean.FieldError{Field: "file", Message: "is required"})
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, bodyError(err)
			}
			if part.FormName() != "file" {
				continue
			}
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, io.LimitReader(part, catalog.MaxImportBytes+1)); err != nil {
				return nil, bodyError(err)
			}
			return &buf, nil
		}
		return nil, ocean.Invalid("The CSV file is missing.", ocean.FieldError{Field: "file", Message: "is required"})
	}
	return nil, &ocean.Error{Code: ocean.EUNSUPPORTED, Message: "Send the CSV file as text/csv, or as the file field of a multipart/form-data form."}
}

// bodyError is a body cut off at the server's cap (413) or broken (400).
func bodyError(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return ocean.Errorf(ocean.ETOOLARGE, "The file is larger than the server takes.")
	}
	return ocean.Invalid("The form could not be read.", ocean.FieldError{Field: "file", Message: "could not be read"})
}
