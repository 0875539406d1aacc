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
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/observe"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/scrub"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyNonce
	keyLogger
)

// RequestID returns the id of the request in ctx.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(keyRequestID).(string)
	return s
}

// Nonce returns the CSP nonce of the request in ctx, for <script nonce>.
func Nonce(ctx context.Context) string {
	s, _ := ctx.Value(keyNonce).(string)
	return s
}

// Logger returns the server's logger, which Recover puts in the request
// context, or slog's default outside a request. Code that logs about a
// request uses it so its lines have the configured format and level.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
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
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRequestID, id)))
	})
}

// ContentSecurityPolicy is the policy of every response: nothing is
// allowed unless listed (default-src 'none'); scripts run only from this
// origin or with the request's nonce; no plugins, no <base>, forms post
// only here, no page may frame ours; violations are reported to
// CSPReportPath.
func ContentSecurityPolicy(nonce string) string {
	return "default-src 'none'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; " +
		"form-action 'self'; frame-ancestors 'none'; report-uri " + CSPReportPath + "; report-to csp"
}

// PermissionsPolicy turns off the powerful browser features the shop never
// uses, for it and anything it could embed.
const PermissionsPolicy = "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), " +
	"magnetometer=(), microphone=(), midi=(), payment=(), usb=()"

// SecurityHeaders sets the baseline headers on every response, with a fresh
// CSP nonce per request: scripts run only from this origin or with the nonce.
// (Strict-Transport-Security is the TLS side's: tlsx.StrictTransport.)
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		nonce := base64.RawStdEncoding.EncodeToString(b[:])
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy(nonce))
		h.Set("Reporting-Endpoints", `csp="`+CSPReportPath+`"`)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", PermissionsPolicy)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyNonce, nonce)))
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
			r = r.WithContext(context.WithValue(r.Context(), keyLogger, log))
			sw := &statusWriter{ResponseWriter: w}
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
