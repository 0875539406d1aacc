package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Redirect after POST (docs/decisions/0140). A form the shop refuses is
// not answered on the POST's address: the browser is sent (303) to the
// page's own GET address, which shows the refusal and what was typed. A
// reload there asks nothing and sends nothing again.
//
// What the GET page needs travels in a flash cookie: sealed with the
// shop's keys (the same AEAD as the checkout cookie, so every instance of a
// fleet opens it and nobody can read or forge it), bound to one page
// address, short-lived, and read once. Nothing of what was typed goes into
// an address.

const (
	flashCookie = "__Host-ocean_flash"
	flashMaxAge = 2 * time.Minute
	flashAAD    = "web.flash"
	// A sealed flash goes in up to flashChunks cookies of flashChunk bytes
	// (a browser keeps 4 KB a cookie); maxFlashJSON keeps it there: kept
	// values are shortened to fit (an over-long value is refused anyway,
	// and the field's maxlength stops a person typing one).
	flashChunk   = 3800
	flashChunks  = 4
	maxFlashJSON = 9000
)

// flash is a refused form on its way to the page that shows it.
type flash struct {
	Page  string               `json:"p"`           // the template that shows it
	Path  string               `json:"u"`           // the GET address it is for
	Forms map[string]formState `json:"f,omitempty"` // by the page data's field name
	Texts map[string]string    `json:"t,omitempty"` // other messages, by field name
	Exp   int64                `json:"x"`           // unix seconds
}

// secretFields are never kept, whatever a page's form state holds.
var secretFields = map[string]bool{"password": true, "current_password": true, "new_password": true, "csrf": true, "key": true}

// refusedPost reports whether a page about to be shown with status answers
// a form the shop refused: a POST, a status a person can act on (not a
// throttled one, whose Retry-After stands), and keys to seal the flash.
func (w *Web) refusedPost(r *http.Request, status int) bool {
	return r.Method == http.MethodPost && status >= 400 && status != http.StatusTooManyRequests && w.accounts != nil
}

// prg answers a refused POST with a 303 to the page's GET address to,
// carrying the refused forms and messages of data (a page's data struct:
// its formState fields that have a message or errors, and its non-empty
// string fields named Message or Error). It returns false, and the caller
// shows the page itself, when r is not a refused post.
func (w *Web) prg(rw http.ResponseWriter, r *http.Request, status int, page, to string, data any) bool {
	if !w.refusedPost(r, status) {
		return false
	}
	forms, texts := refusedParts(data)
	return w.redirectRefused(rw, r, page, to, forms, texts)
}

// redirectRefused seals forms and texts into the flash cookie for page at
// to, and sends the browser there with 303. False if the flash could not
// be sealed (the caller shows the page itself).
func (w *Web) redirectRefused(rw http.ResponseWriter, r *http.Request, page, to string, forms map[string]formState, texts map[string]string) bool {
	u, err := url.Parse(to)
	if err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
		return false
	}
	fl := flash{Page: page, Path: u.Path, Forms: forms, Texts: texts, Exp: time.Now().Add(flashMaxAge).Unix()}
	b := fitFlash(&fl)
	sealed, err := w.accounts.Seal(string(b), flashAAD)
	if err != nil {
		w.log.WarnContext(r.Context(), "flash not sealed", "err", err)
		return false
	}
	if len(sealed) > flashChunk*flashChunks || strings.ContainsFunc(sealed, notCookieSafe) {
		return false
	}
	n := 0
	for ; len(sealed) > 0; n++ {
		part := cutString(sealed, flashChunk)
		sealed = sealed[len(part):]
		http.SetCookie(rw, &http.Cookie{Name: flashName(n), Value: part, Path: "/",
			MaxAge: int(flashMaxAge / time.Second), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	for ; n < flashChunks; n++ { // a longer flash before this one
		if _, err := r.Cookie(flashName(n)); err == nil {
			clearCookie(rw, flashName(n))
		}
	}
	h := rw.Header()
	h.Set("Cache-Control", "no-store")
	http.Redirect(rw, r, to, http.StatusSeeOther)
	return true
}

// fitFlash drops secrets and shortens kept values until fl fits the cookie.
func fitFlash(fl *flash) []byte {
	for _, st := range fl.Forms {
		for k := range st.Values {
			if secretFields[k] {
				delete(st.Values, k)
			}
		}
	}
	for _, limit := range []int{1024, 256, 64, 0} {
		for _, st := range fl.Forms {
			for k, v := range st.Values {
				st.Values[k] = cutString(v, limit)
			}
		}
		b, err := json.Marshal(fl)
		if err == nil && len(b) <= maxFlashJSON {
			return b
		}
	}
	// Only the messages then: what was typed is lost, the reasons are not.
	for name, st := range fl.Forms {
		st.Values = map[string]string{}
		fl.Forms[name] = st
	}
	b, _ := json.Marshal(fl)
	return b
}

// flashName is the name of the flash's nth cookie.
func flashName(n int) string {
	if n == 0 {
		return flashCookie
	}
	return flashCookie + "." + strconv.Itoa(n)
}

// notCookieSafe: a sealed token is base64url and dots; anything else would
// need quoting in a cookie.
func notCookieSafe(c rune) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')
}

// cutString shortens s to at most n bytes on a character boundary.
func cutString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// takeFlash returns the flash for page if this GET is the page it was
// sealed for, and spends it: a reload shows the page afresh. The page is
// then never stored by any cache.
func (w *Web) takeFlash(rw http.ResponseWriter, r *http.Request, page string) *flash {
	if w.accounts == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return nil
	}
	var sealed strings.Builder
	n := 0
	for ; n < flashChunks; n++ {
		c, err := r.Cookie(flashName(n))
		if err != nil || len(c.Value) > flashChunk {
			break
		}
		sealed.WriteString(c.Value)
	}
	if n == 0 {
		return nil
	}
	spend := func() {
		for i := range n {
			clearCookie(rw, flashName(i))
		}
	}
	var fl flash
	plain, err := w.accounts.Open(sealed.String(), flashAAD)
	if err != nil || json.Unmarshal([]byte(plain), &fl) != nil || time.Now().Unix() > fl.Exp {
		spend()
		return nil
	}
	if fl.Page != page || fl.Path != r.URL.Path {
		return nil // for another page: left for it
	}
	spend()
	rw.Header().Set("Cache-Control", "no-store")
	for name, st := range fl.Forms {
		if st.Values == nil {
			st.Values = map[string]string{}
		}
		if st.Errors == nil {
			st.Errors = map[string]string{}
		}
		fl.Forms[name] = st
	}
	return &fl
}

// restore takes the flash for page and puts its forms and messages back
// into *dst (a page's data struct). It reports whether there was one.
func (w *Web) restore(rw http.ResponseWriter, r *http.Request, page string, dst any) bool {
	fl := w.takeFlash(rw, r, page)
	if fl == nil {
		return false
	}
	fl.apply(dst)
	return true
}

var formStateType = reflect.TypeFor[formState]()

// refusedParts collects the refused forms of a page's data: formState
// fields with a message or errors, and non-empty Message and Error strings.
func refusedParts(data any) (map[string]formState, map[string]string) {
	v := reflect.ValueOf(data)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	forms, texts := map[string]formState{}, map[string]string{}
	if v.Kind() != reflect.Struct {
		return forms, texts
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		switch {
		case f.Type == formStateType:
			st := v.Field(i).Interface().(formState)
			if st.Message != "" || len(st.Errors) > 0 {
				forms[f.Name] = st
			}
		case f.Type.Kind() == reflect.String && (f.Name == "Message" || f.Name == "Error"):
			if s := v.Field(i).String(); s != "" {
				texts[f.Name] = s
			}
		}
	}
	return forms, texts
}

// apply sets the flash's forms and texts on the same-named fields of *dst.
func (fl *flash) apply(dst any) {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	for name, st := range fl.Forms {
		if f := v.FieldByName(name); f.IsValid() && f.CanSet() && f.Type() == formStateType {
			f.Set(reflect.ValueOf(st))
		}
	}
	for name, s := range fl.Texts {
		if f := v.FieldByName(name); f.IsValid() && f.CanSet() && f.Kind() == reflect.String {
			f.SetString(s)
		}
	}
}
