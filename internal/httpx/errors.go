// Package httpx is the HTTP plumbing every front door shares: the mapping of
// ocean error codes to statuses, RFC 9457 problem details, and middleware for
// request ids, panics, security headers, query limits and access logs.
package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/observe"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/scrub"
)

// Status maps an error code to its HTTP status. It is the only such table.
func Status(code string) int {
	switch code {
	case "":
		return http.StatusOK
	case ocean.EINVALID:
		return http.StatusBadRequest
	case ocean.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case ocean.EFORBIDDEN:
		return http.StatusForbidden
	case ocean.ENOTFOUND:
		return http.StatusNotFound
	case ocean.ECONFLICT:
		return http.StatusConflict
	case ocean.ESTALE:
		return http.StatusPreconditionFailed
	case ocean.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case ocean.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case ocean.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case ocean.EPAYMENT:
		return http.StatusPaymentRequired
	case ocean.ERATELIMITED:
		return http.StatusTooManyRequests
	case ocean.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Titles are the short human summaries of each code, used as problem titles.
var titles = map[string]string{
	ocean.EINVALID:       "Invalid request",
	ocean.EUNAUTHORIZED:  "Authentication required",
	ocean.EFORBIDDEN:     "Forbidden",
	ocean.ENOTFOUND:      "Not found",
	ocean.ECONFLICT:      "Conflict",
	ocean.ESTALE:         "Precondition failed",
	ocean.ETOOLARGE:      "Request too large",
	ocean.EUNSUPPORTED:   "Unsupported media type",
	ocean.EUNPROCESSABLE: "Unprocessable request",
	ocean.EPAYMENT:       "Payment declined",
	ocean.ERATELIMITED:   "Too many requests",
	ocean.EUNAVAILABLE:   "Service unavailable",
	ocean.EINTERNAL:      "Internal server error",
}

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type      string             `json:"type"`
	Title     string             `json:"title"`
	Status    int                `json:"status"`
	Detail    string             `json:"detail,omitempty"`
	Instance  string             `json:"instance,omitempty"`
	Errors    []ocean.FieldError `json:"errors,omitempty"`
	RequestID string             `json:"request_id,omitempty"`
	// TraceID is the request's trace (5xx only): what to quote to whoever
	// runs the shop, and the key to the trace and the error report.
	TraceID string `json:"trace_id,omitempty"`
}

// ProblemType is the stable type URI of an error code; docs/api.md lists them.
func ProblemType(code string) string { return "/problems/" + strings.ReplaceAll(code, "_", "-") }

// NewProblem builds the problem document for err.
func NewProblem(r *http.Request, err error) Problem {
	code := ocean.ErrorCode(err)
	p := Problem{
		Type:      ProblemType(code),
		Title:     titles[code],
		Status:    Status(code),
		Detail:    ocean.ErrorMessage(err),
		Instance:  r.URL.Path,
		Errors:    ocean.ErrorFields(err),
		RequestID: RequestID(r.Context()),
	}
	if p.Status >= 500 {
		p.TraceID = observe.TraceID(r.Context())
	}
	return p
}

// WriteProblem writes err as application/problem+json. Internal errors are
// logged with their cause; the client sees only the safe message.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := NewProblem(r, err)
	LogError(r, err)
	writeProblem(w, p)
}

// WriteProblemDoc writes a problem built by NewProblem and then refined
// (a more specific type, say).
func WriteProblemDoc(w http.ResponseWriter, p Problem) { writeProblem(w, p) }

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WriteMethodNotAllowed answers a request for a resource that exists but
// does not take the request's method: a 405 problem and the Allow header.
// (It is not an ocean error code: no business rule is involved, only
// routing.)
func WriteMethodNotAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	list := strings.Join(allow, ", ")
	w.Header().Set("Allow", list)
	writeProblem(w, Problem{
		Type:      "/problems/method-not-allowed",
		Title:     "Method not allowed",
		Status:    http.StatusMethodNotAllowed,
		Detail:    fmt.Sprintf("%s does not accept %s; it accepts %s.", r.URL.Path, r.Method, list),
		Instance:  r.URL.Path,
		RequestID: RequestID(r.Context()),
	})
}

// LogError logs server-side failures (5xx) with their full cause chain, to
// the server's logger (Logger). A request the client abandoned is not a
// server failure and is not logged.
func LogError(r *http.Request, err error) {
	if Status(ocean.ErrorCode(err)) < 500 || r.Context().Err() != nil {
		return
	}
	noteError(r.Context(), err)
	// Causes can quote what a client sent: the line is scrubbed of
	// personal data and secrets (see package scrub).
	Logger(r.Context()).ErrorContext(r.Context(), "request failed", "request_id", RequestID(r.Context()), "trace_id", observe.TraceID(r.Context()),
		"method", r.Method, "path", scrub.String(r.URL.Path), "err", scrub.Message(err.Error()))
}

// WriteJSON writes v as JSON with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	WriteJSONBytes(w, status, b)
}

// jsonTypeValue is the Content-Type of JSON answers, made once (nothing
// changes a header value in place).
var jsonTypeValue = []string{"application/json"}

// WriteJSONBytes writes already encoded JSON with the status.
func WriteJSONBytes(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = jsonTypeValue // Set would allocate the slice
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// IsAPI reports whether the request is for the JSON API, which answers
// errors with problem details rather than pages.
func IsAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/")
}

// ErrorPage renders an error for people. The web package supplies it; until
// then a plain text fallback is used.
type ErrorPage func(w http.ResponseWriter, r *http.Request, err error)

// Fail answers a failed request the right way for its door: problem details
// for the API, the error page for people.
func Fail(w http.ResponseWriter, r *http.Request, page ErrorPage, err error) {
	if IsAPI(r) || page == nil {
		WriteProblem(w, r, err)
		return
	}
	LogError(r, err)
	page(w, r, err)
}

var errPanic = errors.New("panic")

// Title is the problem title of an error code, so other front doors (the
// MCP server) name errors exactly as the API does.
func Title(code string) string {
	if t, ok := titles[code]; ok {
		return t
	}
	return titles[ocean.EINTERNAL]
}
