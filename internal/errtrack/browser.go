package errtrack

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/scrub"
)

// BrowserPath receives the storefront's JavaScript error reports.
const BrowserPath = "/errors/browser"

// maxBrowserReport bounds one report's body.
const maxBrowserReport = 8 << 10

// browserReport is what static/rum.js sends.
type browserReport struct {
	Kind    string `json:"kind"` // "error" or "rejection"
	Message string `json:"message"`
	Source  string `json:"source"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Stack   string `json:"stack"`
	Page    string `json:"page"` // location.pathname
}

// SameOrigin reports whether a browser sent r from one of the shop's own
// pages: Sec-Fetch-Site says so, or (older browsers) the Origin header
// names the host the request went to. A request with neither is refused:
// every browser that runs the reporter sends one of them.
func SameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
		return s == "same-origin"
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return false
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// BrowserHandler serves BrowserPath: a same-origin JSON report of a
// JavaScript error, at most 8 KB, becomes a browser event of the page's
// template (template maps a path to its route template, so raw paths are
// never stored). It answers 204, or a problem for a report it refuses.
func (t *Tracker) BrowserHandler(template func(path string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !SameOrigin(r) {
			httpx.WriteProblem(w, r, &ocean.Error{Code: ocean.EFORBIDDEN, Message: "Error reports are accepted from the shop's own pages only."})
			return
		}
		var rep browserReport
		if err := ReadBeacon(w, r, &rep, maxBrowserReport); err != nil {
			httpx.WriteProblem(w, r, err)
			return
		}
		if rep.Message == "" && rep.Stack == "" {
			httpx.WriteProblem(w, r, ocean.Invalid("The report says nothing.", ocean.FieldError{Field: "message", Message: "required"}))
			return
		}
		t.enqueue(t.browserEvent(r, rep, template(rep.Page)))
		w.WriteHeader(http.StatusNoContent)
	})
}

// jsFrame matches a frame line of V8 ("at fn (url:1:2)", "at url:1:2")
// and of Firefox and Safari ("fn@url:1:2").
var jsFrame = regexp.MustCompile(`^\s*(?:at\s+)?(?:(.*?)\s*[@(]\s*)?((?:https?://|/)[^\s)]*?):(\d+)(?::\d+)?\)?\s*$`)

// fingerprinted is the hash our static asset names carry (app.1a2b3c4d.js):
// it changes with every release and must not split a group.
var fingerprinted = regexp.MustCompile(`\.[0-9a-f]{8}\.js$`)

func (t *Tracker) browserEvent(r *http.Request, rep browserReport, tmpl string) Event {
	msg := firstLine(rep.Message)
	var frames []Frame
	for _, line := range strings.Split(rep.Stack, "\n") {
		m := jsFrame.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		file := m[2]
		if u, err := url.Parse(file); err == nil {
			file = u.Path // the origin and query say nothing about the code
		}
		file = fingerprinted.ReplaceAllString(file, ".js")
		fn := m[1]
		if fn == "" {
			fn = "(anonymous)"
		}
		line, _ := strconv.Atoi(m[3])
		frames = append(frames, Frame{Function: clipText(scrub.String(fn), 200), File: clipText(scrub.String(file), 200), Line: line,
			InApp: strings.HasPrefix(file, "/static/")})
		if len(frames) == maxJSFrames {
			break
		}
	}
	if len(frames) == 0 && rep.Source != "" {
		if u, err := url.Parse(rep.Source); err == nil {
			file := fingerprinted.ReplaceAllString(u.Path, ".js")
			frames = append(frames, Frame{Function: "(top level)", File: clipText(scrub.String(file), 200), Line: rep.Line, InApp: strings.HasPrefix(file, "/static/")})
		}
	}
	typ := "Error"
	if rep.Kind == "rejection" {
		typ = "UnhandledRejection"
	}
	// "TypeError: x is not a function": the type is the message's own prefix.
	if i := strings.Index(msg, ": "); i > 0 && i < 40 && !strings.ContainsAny(msg[:i], " \t") {
		typ = msg[:i]
	}
	typ = strings.TrimPrefix(typ, "Uncaught ")
	clean := scrub.Message(msg)
	e := Event{Kind: Browser, Route: tmpl, Method: "", Release: t.cfg.Release, At: t.cfg.Now().UTC(),
		Title: clipText(scrub.Message(strings.TrimPrefix(msg, "Uncaught ")), 200), Message: clipText(scrub.Message(rep.Message), 2000),
		Stack: clipText(FormatStack(frames), 16<<10), RequestID: httpx.RequestID(r.Context()),
		Request: scrub.Headers(r.Header.Get)}
	e.Request["Template"] = tmpl
	e.Culprit = tmpl
	for _, f := range frames {
		if f.InApp {
			e.Culprit = f.Function + " (" + f.File + ")"
			break
		}
	}
	e.Fingerprint = Fingerprint(Browser, typ, clean, frames, tmpl)
	return e
}

// maxJSFrames bounds the frames kept of a JavaScript stack.
const maxJSFrames = 30

// ReadBeacon reads a JSON report a page sent with navigator.sendBeacon,
// which labels a string body text/plain: the body must be declared JSON or
// plain text, fit in maxBytes, and pass the API's strict JSON rules
// (httpx.UnmarshalJSON: no unknown field, no duplicate key).
func ReadBeacon(w http.ResponseWriter, r *http.Request, v any, maxBytes int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "text/plain") {
			return &ocean.Error{Code: ocean.EINVALID, Message: "The report must be JSON."}
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
	if err != nil {
		return &ocean.Error{Code: ocean.ETOOLARGE, Message: "The report is too large."}
	}
	return httpx.UnmarshalJSON(b, v)
}
