package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/ocean"
)

// Cookie names. The __Host- prefix makes browsers accept them only when
// Secure, with Path=/ and without Domain, so a sibling subdomain (or a
// network attacker on plain http) cannot plant or overwrite them.
const (
	sessionCookie = "__Host-ocean_session"
	csrfCookie    = "__Host-ocean_csrf"
)

// maxFormBytes bounds a posted form; ours are a few hundred bytes.
const maxFormBytes = 64 << 10

// MailLister lists the messages of the development mailbox
// (*mail.Mailbox implements it).
type MailLister interface {
	List(ctx context.Context, limit int) ([]mail.Stored, error)
}

// signedIn is who the request comes from, resolved from the session cookie
// once per request (nothing is cached across requests).
type signedIn struct {
	cookie string // the cookie value, to end or keep the session
	sess   *account.Session
	user   *account.User
}

type authKey struct{}

// current returns the signed-in person of the request, or nil.
func current(r *http.Request) *signedIn {
	s, _ := r.Context().Value(authKey{}).(*signedIn)
	return s
}

// currentUser returns the signed-in account, or nil.
func currentUser(r *http.Request) *account.User {
	if s := current(r); s != nil {
		return s.user
	}
	return nil
}

// withSession resolves the session cookie, if any, and puts the session and
// its account in the request context. A cookie the service no longer
// accepts (signed out, expired, erased account) is cleared.
func (w *Web) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			next.ServeHTTP(rw, r)
			return
		}
		// Pages for a signed-in person must never be stored by a shared cache.
		rw.Header().Add("Vary", "Cookie")
		sess, u, err := w.accounts.SessionUser(r.Context(), c.Value)
		if err != nil {
			if ocean.ErrorCode(err) != ocean.EUNAUTHORIZED {
				w.fail(rw, r, err)
				return
			}
			clearCookie(rw, sessionCookie)
			next.ServeHTTP(rw, r)
			return
		}
		ctx := context.WithValue(r.Context(), authKey{}, &signedIn{cookie: c.Value, sess: sess, user: u})
		next.ServeHTTP(rw, r.WithContext(ctx))
	})
}

// setSessionCookie sends the session cookie. It lives until the session's
// absolute end (30 days for customers, 12 hours for staff), so a shopper
// stays signed in across browser restarts; the server still ends it
// earlier when idle or signed out.
func setSessionCookie(rw http.ResponseWriter, value string, sess *account.Session, now time.Time) {
	maxAge := int(sess.ExpiresAt.Sub(now).Seconds())
	if maxAge < 1 {
		maxAge = 1
	}
	http.SetCookie(rw, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func clearCookie(rw http.ResponseWriter, name string) {
	same := http.SameSiteLaxMode
	if name == csrfCookie {
		same = http.SameSiteStrictMode
	}
	http.SetCookie(rw, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: same}) //nolint:gosec // Secure, HttpOnly and SameSite are all set; gosec cannot read a variable SameSite
}

func (w *Web) meta(r *http.Request) account.Meta {
	m := account.Meta{IP: httpx.ClientAddr(r)}
	if u := currentUser(r); u != nil {
		m.ActorID = u.ID
	}
	return m
}

// ---------------------------------------------------------------- CSRF

// randomToken returns 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// validToken reports whether s looks like a randomToken (so a planted
// cookie of another shape is replaced, not echoed into pages).
func validToken(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}

// csrfToken returns the token forms on this page must carry: the session's
// when signed in, otherwise the double-submit cookie's, which it sets when
// the browser has none yet.
func csrfToken(rw http.ResponseWriter, r *http.Request) string {
	if s := current(r); s != nil {
		return s.sess.CSRF
	}
	if c, err := r.Cookie(csrfCookie); err == nil && validToken(c.Value) {
		return c.Value
	}
	v := randomToken()
	http.SetCookie(rw, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return v
}

// sameOrigin checks the browser's own statements about where a request
// comes from: Origin, when sent, must be this server, and Sec-Fetch-Site
// must not say cross-site.
func sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u, err := url.Parse(origin)
	if err != nil || u.Path != "" || u.User != nil || u.RawQuery != "" {
		return false
	}
	return strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(u.Host, r.Host)
}

// checkForm parses a posted form and checks it came from one of our pages:
// same origin and the right CSRF token. On failure it has answered with the
// "form expired" page and returns false; nothing must change then.
func (w *Web) checkForm(rw http.ResponseWriter, r *http.Request) bool {
	if !sameOrigin(r) {
		w.formExpired(rw, r)
		return false
	}
	r.Body = http.MaxBytesReader(rw, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		w.fail(rw, r, ocean.Invalid("The form could not be read."))
		return false
	}
	ok := checkCSRF(r, r.PostForm.Get("csrf"))
	if !ok {
		w.formExpired(rw, r)
	}
	return ok
}

// checkCSRF reports whether submitted is the token of r's session (or,
// signed out, of its CSRF cookie).
func checkCSRF(r *http.Request, submitted string) bool {
	if s := current(r); s != nil {
		return account.CheckCSRF(s.sess, submitted)
	}
	if c, err := r.Cookie(csrfCookie); err == nil && validToken(c.Value) && submitted != "" {
		return subtle.ConstantTimeCompare([]byte(c.Value), []byte(submitted)) == 1
	}
	return false
}

// formExpired is the 403 answer to a form that failed the CSRF checks.
func (w *Web) formExpired(rw http.ResponseWriter, r *http.Request) {
	back := "/account"
	switch p := r.URL.Path; {
	case p == "/account/signin" || p == "/account/register" || p == "/account/forgot":
		back = p
	case strings.HasPrefix(p, "/admin/"):
		back = "/admin"
	case p == "/cart/items" && r.PostForm.Get("product") != "":
		back = "/p/" + url.PathEscape(r.PostForm.Get("product"))
	case strings.HasPrefix(p, "/cart/") || p == "/checkout/place" || p == "/checkout/payment":
		back = "/cart"
	case strings.HasPrefix(p, "/checkout"):
		back = p
	}
	if back == "/account" && current(r) == nil {
		back = "/account/signin"
	}
	w.notice(rw, r, http.StatusForbidden, notice{
		Heading: "This form expired, please try again",
		Message: "For your safety we only accept forms sent from a page of this shop that is still current. Nothing was changed.",
		Link:    back, LinkText: "Open the form again",
	})
}

// ---------------------------------------------------------------- redirects

// safeNext returns next if it is a path on this site, else "/account". It
// refuses anything a browser could read as another host: "//host",
// "/\host", schemes, control characters.
func safeNext(next string) string {
	const fallback = "/account"
	if next == "" || len(next) > 1024 || next[0] != '/' {
		return fallback
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return fallback
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return fallback
	}
	return next
}

// signInURL is the sign-in page that comes back to the request's page.
func signInURL(r *http.Request) string {
	next := "/account"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		next = r.URL.RequestURI()
	}
	return "/account/signin?" + url.Values{"next": {safeNext(next)}}.Encode()
}

// requireUser returns the signed-in person or redirects to sign-in.
func requireUser(rw http.ResponseWriter, r *http.Request) *signedIn {
	s := current(r)
	if s == nil {
		rw.Header().Set("Cache-Control", "no-store")
		http.Redirect(rw, r, signInURL(r), http.StatusSeeOther)
	}
	return s
}

// requireAdmin returns the signed-in admin or staff member whose role may
// use the page's route class (account.AreaOf: one table for the admin
// pages and the admin API); staff on a page for admins only get a 403 page
// saying whom to ask, anyone else the ordinary 404 page, so the admin's
// existence is not revealed.
func (w *Web) requireAdmin(rw http.ResponseWriter, r *http.Request) *signedIn {
	s := current(r)
	if s == nil || !s.user.IsStaff() {
		w.notFound(rw, r)
		return nil
	}
	if area, _ := account.AreaOf(r.URL.Path); !s.user.Can(area) {
		w.fail(rw, r, account.Forbidden(s.user, area))
		return nil
	}
	return s
}

// retryAfterSeconds rounds a throttling delay up to whole seconds (at least 1).
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// throttledHeader sets Retry-After for a rate-limited error.
func throttledHeader(rw http.ResponseWriter, err error) {
	rw.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(account.RetryAfter(err))))
}
