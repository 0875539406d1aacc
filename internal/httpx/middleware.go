package httpx

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/observe"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/scrub"
)

// RequestID returns the id of the request in ctx.
func RequestID(ctx context.Context) string {
	if s := stateOf(ctx); s != nil {
		return s.id
	}
	return ""
}

// Nonce returns the CSP nonce of the request in ctx, for <script nonce>.
func Nonce(ctx context.Context) string {
	if s := stateOf(ctx); s != nil {
		return s.nonce
	}
	return ""
}

// Logger returns the server's logger, which Recover puts in the request
// context, or slog's default outside a request. Code that logs about a
// request uses it so its lines have the configured format and level.
func Logger(ctx context.Context) *slog.Logger {
	if s := stateOf(ctx); s != nil && s.log != nil {
		return s.log
	}
	return slog.Default()
}

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// Chain applies middleware so that the first listed runs first.
func Chain(h http.Handler, mw ...Middleware) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// WithRequestID gives every request an id (a trusted incoming X-Request-Id
// is not accepted: ids are ours, so logs and pages agree), echoed in the
// X-Request-Id response header.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		r, s := claim(r, haveID)
		s.id = hex.EncodeToString(b[:])
		s.idValue[0] = s.id
		w.Header()["X-Request-Id"] = s.idValue[:] // canonical already; Set would allocate the slice
		next.ServeHTTP(w, r)
	})
}

// ContentSecurityPolicy is the policy of every response: nothing is
// allowed unless listed (default-src 'none'); scripts run only from this
// origin or with the request's nonce; no plugins, no <base>, forms post
// only here, no page may frame ours; violations are reported to
// CSPReportPath.
func ContentSecurityPolicy(nonce string) string {
	return cspHead + nonce + cspTail
}

// The policy around its nonce, and the nonce's length (16 random bytes in
// unpadded base64).
const (
	cspHead = "default-src 'none'; script-src 'self' 'nonce-"
	cspTail = "'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; " +
		"form-action 'self'; frame-ancestors 'none'; report-uri " + CSPReportPath + "; report-to csp"
	nonceBytes = 16
	nonceLen   = (nonceBytes*8 + 5) / 6
)

// The values of the headers that are the same on every response, each
// made once: Header.Set would allocate a slice for each on every request.
// Nothing changes a header value in place (Set and Add replace or grow
// the slice), so sharing them is safe.
var (
	reportingEndpointsValue = []string{`csp="` + CSPReportPath + `"`}
	nosniffValue            = []string{"nosniff"}
	referrerPolicyValue     = []string{"strict-origin-when-cross-origin"}
	denyValue               = []string{"DENY"}
	sameOriginValue         = []string{"same-origin"}
	permissionsPolicyValue  = []string{PermissionsPolicy}
)

// PermissionsPolicy turns off the powerful browser features the shop never
// uses, for it and anything it could embed.
const PermissionsPolicy = "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), " +
	"magnetometer=(), microphone=(), midi=(), payment=(), usb=()"

// SecurityHeaders sets the baseline headers on every response, with a fresh
// CSP nonce per request: scripts run only from this origin or with the nonce.
// (Strict-Transport-Security is the TLS side's: tlsx.StrictTransport.)
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The policy is written in one allocation with the nonce in place;
		// the nonce is that part of it.
		var raw [nonceBytes]byte
		_, _ = rand.Read(raw[:])
		var b [len(cspHead) + nonceLen + len(cspTail)]byte
		copy(b[:], cspHead)
		base64.RawStdEncoding.Encode(b[len(cspHead):], raw[:])
		copy(b[len(cspHead)+nonceLen:], cspTail)
		r, s := claim(r, haveNonce)
		s.cspValue[0] = string(b[:])
		s.nonce = s.cspValue[0][len(cspHead) : len(cspHead)+nonceLen]
		// The names are canonical already (as Set would write them).
		h := w.Header()
		h["Content-Security-Policy"] = s.cspValue[:]
		h["Reporting-Endpoints"] = reportingEndpointsValue
		h["X-Content-Type-Options"] = nosniffValue
		h["Referrer-Policy"] = referrerPolicyValue
		h["X-Frame-Options"] = denyValue
		h["Cross-Origin-Opener-Policy"] = sameOriginValue
		h["Cross-Origin-Resource-Policy"] = sameOriginValue
		h["Permissions-Policy"] = permissionsPolicyValue
		next.ServeHTTP(w, r)
	})
}

// MaxQueryBytes is the longest query string accepted. Real searches are far
// shorter; a longer one is a mistake or an attack and costs us parsing.
const MaxQueryBytes = 4096

// CheckRequest rejects, with a 400, requests whose query string is too long,
// badly percent-encoded or not UTF-8, and paths that are not UTF-8, before
// any handler parses them.
func CheckRequest(page ErrorPage) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var err error
			switch {
			case len(r.URL.RawQuery) > MaxQueryBytes:
				err = ocean.Invalid(fmt.Sprintf("The query string is longer than %d bytes.", MaxQueryBytes),
					ocean.FieldError{Field: "query", Message: "too long"})
			case !utf8.ValidString(r.URL.Path):
				err = ocean.Invalid("The address is not valid UTF-8.")
			case !strings.ContainsAny(r.URL.RawQuery, "%;"):
				// Without an escape or a semicolon there is nothing
				// ParseQuery could refuse: no need to build its map.
			default:
				if _, perr := url.ParseQuery(r.URL.RawQuery); perr != nil {
					err = ocean.Invalid("The query string is not correctly encoded.", ocean.FieldError{Field: "query", Message: "bad percent-encoding"})
				}
			}
			if err != nil {
				Fail(w, r, page, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// statusWriter records the status and size written.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Recover turns a panic into a 500 answered the right way for the door (a
// problem or an error page carrying the request id), logs the stack, and
// keeps the connection. It also writes the access log line, and gives the
// handlers after it log (see Logger).
func Recover(log *slog.Logger, page ErrorPage) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, s := claim(r, haveLog|haveRecover)
			s.log = log
			sw := &s.recoverW
			*sw = statusWriter{ResponseWriter: w}
			start := time.Now()
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler { //nolint:errorlint // v is the panic value itself, compared as net/http compares it
						panic(v)
					}
					// The stack where it panicked: this deferred call runs on top of it.
					notePanic(r.Context(), v, callers(2))
					log.ErrorContext(r.Context(), "panic", "request_id", RequestID(r.Context()), "trace_id", observe.TraceID(r.Context()), "method", r.Method,
						"path", scrub.String(r.URL.Path), "panic", scrub.Message(fmt.Sprint(v)), "stack", scrub.String(string(debug.Stack())))
					if sw.status == 0 {
						err := &ocean.Error{Code: ocean.EINTERNAL, Message: "Something went wrong on our side.", Err: fmt.Errorf("%w: %v", errPanic, v)}
						Fail(sw, r, page, err)
					}
				}
				if !log.Enabled(r.Context(), slog.LevelDebug) {
					return // the access line's attributes cost allocations even when it is not written
				}
				log.LogAttrs(r.Context(), slog.LevelDebug, "request", slog.String("method", r.Method), slog.Any("path", scrubbed(r.URL.Path)),
					slog.Int("status", sw.status), slog.Int("bytes", sw.bytes), slog.Duration("duration", time.Since(start)),
					slog.String("request_id", RequestID(r.Context())), slog.String("trace_id", observe.TraceID(r.Context())))
			}()
			next.ServeHTTP(sw, r)
		})
	}
}

// scrubbed is a path logged without the personal data it may carry (an
// address someone typed), scrubbed only when the line is written.
type scrubbed string

func (s scrubbed) LogValue() slog.Value { return slog.StringValue(scrub.String(string(s))) }
