// Package observatory scores an HTTP response the way MDN's HTTP
// Observatory does: start at 100, apply each test's modifier, and add the
// bonuses only when the score without them is at least 90. A+ is 100 or
// more. It covers the tests a response can show: Content-Security-Policy,
// cookies, Cross-Origin-Resource-Policy, Referrer-Policy,
// X-Content-Type-Options, X-Frame-Options (or CSP frame-ancestors),
// Strict-Transport-Security, Subresource Integrity of scripts, and the
// redirection from plain HTTP. Tests use it to hold pages to A+.
package observatory

import (
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Result is one test's outcome.
type Result struct {
	Test, Outcome string
	Modifier      int
}

// Score is a response's total and the outcomes behind it.
type Score struct {
	Total   int
	Results []Result
}

// Input is what is scored: the response over HTTPS with its body, and,
// when the site also listens on plain HTTP, the first response there
// (nil: no plain HTTP, so no redirection is needed).
type Input struct {
	URL       *url.URL
	Response  *http.Response
	Body      []byte
	PlainHTTP *http.Response
}

// Rate scores in.
func Rate(in Input) Score {
	h := in.Response.Header
	https := in.URL.Scheme == "https"
	csp := parseCSP(h.Values("Content-Security-Policy"))
	rs := []Result{
		rateCSP(csp, len(h.Values("Content-Security-Policy")) > 0),
		rateCookies(in.Response.Cookies(), h.Get("Strict-Transport-Security") != ""),
		rateCORP(h),
		rateReferrer(h),
		rateXCTO(h),
		rateXFO(h, csp),
		rateHSTS(h, https),
		rateSRI(in.URL, in.Body),
		rateRedirection(in.PlainHTTP),
	}
	base, bonus := 100, 0
	for _, r := range rs {
		if r.Modifier < 0 {
			base += r.Modifier
		} else {
			bonus += r.Modifier
		}
	}
	if base >= 90 {
		base += bonus
	}
	return Score{Total: base, Results: rs}
}

// Grade is the letter of a total (A+ at 100 and above).
func Grade(total int) string {
	switch {
	case total >= 100:
		return "A+"
	case total >= 90:
		return "A"
	case total >= 85:
		return "A-"
	case total >= 80:
		return "B+"
	case total >= 70:
		return "B"
	case total >= 65:
		return "B-"
	case total >= 60:
		return "C+"
	case total >= 50:
		return "C"
	case total >= 45:
		return "C-"
	case total >= 40:
		return "D+"
	case total >= 30:
		return "D"
	case total >= 25:
		return "D-"
	}
	return "F"
}

// Failing lists the results with a negative modifier, for messages.
func (s Score) Failing() []Result {
	var out []Result
	for _, r := range s.Results {
		if r.Modifier < 0 {
			out = append(out, r)
		}
	}
	return out
}

type policy map[string][]string

func parseCSP(values []string) policy {
	if len(values) == 0 {
		return nil
	}
	p := policy{}
	// With several headers the first policy is used here; Ocean sends one.
	for _, d := range strings.Split(values[0], ";") {
		f := strings.Fields(strings.ToLower(d))
		if len(f) == 0 {
			continue
		}
		if _, dup := p[f[0]]; !dup {
			p[f[0]] = f[1:]
		}
	}
	return p
}

func (p policy) sources(d string) ([]string, bool) {
	if v, ok := p[d]; ok {
		return v, true
	}
	v, ok := p["default-src"]
	return v, ok
}

func rateCSP(p policy, present bool) Result {
	if !present {
		return Result{"content-security-policy", "csp-not-implemented", -25}
	}
	if len(p) == 0 {
		return Result{"content-security-policy", "csp-header-invalid", -25}
	}
	script, ok := p.sources("script-src")
	if !ok {
		return Result{"content-security-policy", "csp-implemented-with-unsafe-inline", -20}
	}
	nonceOrHash := false
	for _, s := range script {
		if strings.HasPrefix(s, "'nonce-") || strings.HasPrefix(s, "'sha256-") || strings.HasPrefix(s, "'sha384-") || strings.HasPrefix(s, "'sha512-") {
			nonceOrHash = true
		}
	}
	for _, s := range script {
		switch {
		case s == "'unsafe-inline'" && !nonceOrHash, s == "*", s == "data:", s == "https:", s == "http:":
			return Result{"content-security-policy", "csp-implemented-with-unsafe-inline", -20}
		case strings.HasPrefix(s, "http://"):
			return Result{"content-security-policy", "csp-implemented-with-insecure-scheme", -20}
		}
	}
	if slices(script, "'unsafe-eval'") {
		return Result{"content-security-policy", "csp-implemented-with-unsafe-eval", -10}
	}
	// Plugins can run script too: object-src must be closed.
	if obj, ok := p.sources("object-src"); !ok || !(len(obj) == 1 && obj[0] == "'none'") {
		return Result{"content-security-policy", "csp-implemented-with-unsafe-inline", -20}
	}
	if style, _ := p.sources("style-src"); slices(style, "'unsafe-inline'") {
		return Result{"content-security-policy", "csp-implemented-with-unsafe-inline-in-style-src-only", 0}
	}
	if d, ok := p["default-src"]; ok && len(d) == 1 && d[0] == "'none'" {
		return Result{"content-security-policy", "csp-implemented-with-no-unsafe-default-src-none", 10}
	}
	return Result{"content-security-policy", "csp-implemented-with-no-unsafe", 0}
}

func slices(l []string, v string) bool {
	for _, s := range l {
		if s == v {
			return true
		}
	}
	return false
}

var reSession = regexp.MustCompile(`(?i)(sess|login|auth|token|sid|csrf|xsrf)`)

func rateCookies(cs []*http.Cookie, hsts bool) Result {
	if len(cs) == 0 {
		return Result{"cookies", "cookies-not-found", 0}
	}
	worst := Result{"cookies", "cookies-secure-with-httponly-sessions-and-samesite", 5}
	set := func(r Result) {
		if r.Modifier < worst.Modifier {
			worst = r
		}
	}
	for _, c := range cs {
		session := reSession.MatchString(c.Name)
		anticsrf := regexp.MustCompile(`(?i)(csrf|xsrf)`).MatchString(c.Name)
		switch {
		case session && !c.Secure:
			set(Result{"cookies", "cookies-session-without-secure-flag", -40})
		case session && !c.HttpOnly && !anticsrf:
			set(Result{"cookies", "cookies-session-without-httponly-flag", -30})
		case anticsrf && c.SameSite == http.SameSiteDefaultMode:
			set(Result{"cookies", "cookies-anticsrf-without-samesite-flag", -20})
		case !c.Secure && hsts:
			set(Result{"cookies", "cookies-without-secure-flag-but-protected-by-hsts", -5})
		case !c.Secure:
			set(Result{"cookies", "cookies-without-secure-flag", -20})
		case c.SameSite == http.SameSiteDefaultMode:
			set(Result{"cookies", "cookies-secure-with-httponly-sessions", 0})
		}
	}
	return worst
}

func rateCORP(h http.Header) Result {
	v := strings.ToLower(strings.TrimSpace(h.Get("Cross-Origin-Resource-Policy")))
	switch v {
	case "":
		return Result{"cross-origin-resource-policy", "corp-not-implemented", 0}
	case "same-origin":
		return Result{"cross-origin-resource-policy", "corp-implemented-with-same-origin", 0}
	case "same-site":
		return Result{"cross-origin-resource-policy", "corp-implemented-with-same-site", 0}
	case "cross-origin":
		return Result{"cross-origin-resource-policy", "corp-implemented-with-cross-origin", 0}
	}
	return Result{"cross-origin-resource-policy", "corp-header-invalid", -5}
}

func rateReferrer(h http.Header) Result {
	vs := h.Values("Referrer-Policy")
	if len(vs) == 0 {
		return Result{"referrer-policy", "referrer-policy-not-implemented", 0}
	}
	// The last valid token wins.
	valid := map[string]bool{"no-referrer": true, "same-origin": true, "strict-origin": true, "strict-origin-when-cross-origin": true,
		"no-referrer-when-downgrade": false, "origin": false, "origin-when-cross-origin": false, "unsafe-url": false}
	last := ""
	for _, v := range vs {
		for _, t := range strings.Split(v, ",") {
			t = strings.ToLower(strings.TrimSpace(t))
			if _, ok := valid[t]; ok {
				last = t
			}
		}
	}
	switch {
	case last == "":
		return Result{"referrer-policy", "referrer-policy-header-invalid", -5}
	case valid[last]:
		return Result{"referrer-policy", "referrer-policy-private", 5}
	}
	return Result{"referrer-policy", "referrer-policy-unsafe", -5}
}

func rateXCTO(h http.Header) Result {
	v := h.Values("X-Content-Type-Options")
	switch {
	case len(v) == 0:
		return Result{"x-content-type-options", "x-content-type-options-not-implemented", -5}
	case strings.ToLower(strings.TrimSpace(v[0])) == "nosniff":
		return Result{"x-content-type-options", "x-content-type-options-nosniff", 0}
	}
	return Result{"x-content-type-options", "x-content-type-options-header-invalid", -5}
}

func rateXFO(h http.Header, p policy) Result {
	if fa, ok := p["frame-ancestors"]; ok && len(fa) > 0 && !slices(fa, "*") {
		return Result{"x-frame-options", "x-frame-options-implemented-via-csp", 5}
	}
	v := strings.ToLower(strings.TrimSpace(h.Get("X-Frame-Options")))
	switch {
	case v == "":
		return Result{"x-frame-options", "x-frame-options-not-implemented", -20}
	case v == "deny" || v == "sameorigin":
		return Result{"x-frame-options", "x-frame-options-sameorigin-or-deny", 0}
	case strings.HasPrefix(v, "allow-from "):
		return Result{"x-frame-options", "x-frame-options-allow-from-origin", 0}
	}
	return Result{"x-frame-options", "x-frame-options-header-invalid", -20}
}

func rateHSTS(h http.Header, https bool) Result {
	if !https {
		return Result{"strict-transport-security", "hsts-not-implemented-no-https", -20}
	}
	v := h.Get("Strict-Transport-Security")
	if v == "" {
		return Result{"strict-transport-security", "hsts-not-implemented", -20}
	}
	maxAge, preload, ok := -1, false, true
	for _, d := range strings.Split(v, ";") {
		d = strings.TrimSpace(strings.ToLower(d))
		switch {
		case strings.HasPrefix(d, "max-age="):
			n, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(d, "max-age="), `"`))
			if err != nil || n < 0 {
				ok = false
			}
			maxAge = n
		case d == "preload":
			preload = true
		case d == "includesubdomains", d == "":
		default:
			ok = false
		}
	}
	switch {
	case !ok || maxAge < 0:
		return Result{"strict-transport-security", "hsts-header-invalid", -20}
	case maxAge < 15768000:
		return Result{"strict-transport-security", "hsts-implemented-max-age-less-than-six-months", -10}
	case preload && strings.Contains(strings.ToLower(v), "includesubdomains") && maxAge >= 31536000:
		return Result{"strict-transport-security", "hsts-preloaded", 5}
	}
	return Result{"strict-transport-security", "hsts-implemented-max-age-at-least-six-months", 0}
}

var reScript = regexp.MustCompile(`(?is)<script\b([^>]*)>`)
var reAttr = regexp.MustCompile(`(?is)\b(src|integrity|crossorigin)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)

func rateSRI(page *url.URL, body []byte) Result {
	scripts := reScript.FindAllSubmatch(body, -1)
	if len(scripts) == 0 {
		return Result{"subresource-integrity", "sri-not-implemented-but-no-scripts-loaded", 0}
	}
	external, withSRI, insecure := 0, 0, 0
	for _, s := range scripts {
		attrs := map[string]string{}
		for _, a := range reAttr.FindAllSubmatch(s[1], -1) {
			attrs[strings.ToLower(string(a[1]))] = strings.Trim(string(a[2]), `"'`)
		}
		src, ok := attrs["src"]
		if !ok {
			continue // inline (allowed by the CSP's nonce or not at all)
		}
		u, err := page.Parse(src)
		if err != nil {
			continue
		}
		if u.Host == page.Host && u.Scheme == page.Scheme {
			continue // same origin
		}
		external++
		if u.Scheme != "https" {
			insecure++
		}
		if attrs["integrity"] != "" {
			withSRI++
		}
	}
	switch {
	case external == 0:
		return Result{"subresource-integrity", "sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0}
	case withSRI == external && insecure == 0:
		return Result{"subresource-integrity", "sri-implemented-and-external-scripts-loaded-securely", 5}
	case withSRI > 0 && insecure > 0:
		return Result{"subresource-integrity", "sri-implemented-but-external-scripts-not-loaded-securely", -20}
	case insecure > 0:
		return Result{"subresource-integrity", "sri-not-implemented-and-external-scripts-not-loaded-securely", -50}
	}
	return Result{"subresource-integrity", "sri-not-implemented-but-external-scripts-loaded-securely", -5}
}

func rateRedirection(plain *http.Response) Result {
	if plain == nil {
		return Result{"redirection", "redirection-not-needed-no-http", 0}
	}
	if plain.StatusCode < 300 || plain.StatusCode > 399 {
		return Result{"redirection", "redirection-missing", -20}
	}
	loc, err := plain.Request.URL.Parse(plain.Header.Get("Location"))
	switch {
	case err != nil || loc.Scheme != "https":
		return Result{"redirection", "redirection-not-to-https", -20}
	case !strings.EqualFold(loc.Hostname(), plain.Request.URL.Hostname()):
		return Result{"redirection", "redirection-off-host-from-http", -5}
	}
	return Result{"redirection", "redirection-to-https", 0}
}

// Names lists the tests in a stable order, for reports.
func (s Score) Names() []string {
	var out []string
	for _, r := range s.Results {
		out = append(out, r.Outcome+"("+strconv.Itoa(r.Modifier)+")")
	}
	sort.Strings(out)
	return out
}
