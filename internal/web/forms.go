package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
)

// formState is what a form shows: what the person typed (never a
// password), a message per field, and a summary above the form.
type formState struct {
	Values  map[string]string
	Errors  map[string]string
	Message string
}

func newForm(kv ...string) formState {
	f := formState{Values: map[string]string{}, Errors: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Values[kv[i]] = kv[i+1]
	}
	return f
}

// fieldData is the data of the "field" partial (templates/forms.html).
type fieldData struct {
	ID, Name, Label, Type, Value, Auto, Hint, Error, Input string
	Required                                               bool
	MaxLen                                                 int
}

// Describedby lists the ids of the hint and error, for aria-describedby.
func (f fieldData) Describedby() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// newField is the template function behind {{template "field" (field
// .Form "name" "Label" "type=email" ...)}}. Options: type=, auto=
// (autocomplete), id= (default: the name), hint=, max= (maxlength),
// inputmode=, and "optional". Password fields are never filled in.
func newField(f formState, name, label string, opts ...string) fieldData {
	d := fieldData{ID: name, Name: name, Label: label, Type: "text", Required: true,
		Value: f.Values[name], Error: f.Errors[name]}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "type":
			d.Type = v
		case "auto":
			d.Auto = v
		case "id":
			d.ID = v
		case "hint":
			d.Hint = v
		case "max":
			d.MaxLen, _ = strconv.Atoi(v)
		case "inputmode":
			d.Input = v
		case "optional":
			d.Required = false
		}
	}
	if d.Type == "password" {
		d.Value = ""
	}
	if d.Error != "" {
		d.Error = fieldSentence(label, d.Error)
	}
	return d
}

// fieldSentence turns the service's field message ("is required") into a
// sentence naming the field; messages that are sentences already stay.
func fieldSentence(label, msg string) string {
	if r, _ := utf8.DecodeRuneInString(msg); unicode.IsUpper(r) {
		return msg
	}
	return label + " " + msg
}

// formError fills st from an error a person can fix and returns the status to
// show the form again with. Other errors (the shop's own failures) are
// answered here with the error page, and ok is false. rename maps the
// service's field names to the form's.
func (w *Web) formError(rw http.ResponseWriter, r *http.Request, err error, st *formState, rename map[string]string) (status int, ok bool) {
	code := ocean.ErrorCode(err)
	switch code {
	case ocean.ERATELIMITED:
		throttledHeader(rw, err)
		st.Message = ocean.ErrorMessage(err)
		return http.StatusTooManyRequests, true
	case ocean.EUNAVAILABLE:
		if account.RetryAfter(err) > 0 {
			// Busy for a moment (too many sign-ins at once): the form
			// again, saying when to try.
			throttledHeader(rw, err)
			st.Message = ocean.ErrorMessage(err)
			return http.StatusServiceUnavailable, true
		}
		w.fail(rw, r, err)
		return 0, false
	case ocean.EINVALID, ocean.ECONFLICT, ocean.EUNAUTHORIZED, ocean.EUNPROCESSABLE:
	default:
		w.fail(rw, r, err)
		return 0, false
	}
	st.Message = ocean.ErrorMessage(err)
	for _, fe := range ocean.ErrorFields(err) {
		name := fe.Field
		if n, ok := rename[name]; ok {
			name = n
		}
		if _, exists := st.Errors[name]; !exists {
			st.Errors[name] = fe.Message
		}
	}
	status = httpx.Status(code)
	if status == http.StatusUnauthorized {
		// A wrong password is a form to correct, not an HTTP
		// authentication challenge (401 would need WWW-Authenticate).
		status = http.StatusBadRequest
	}
	return status, true
}

// notice is a page with a heading, a message and one way on.
type notice struct {
	Heading, Message string
	Link, LinkText   string
}

type noticeData struct {
	layout
	notice
}

func (w *Web) notice(rw http.ResponseWriter, r *http.Request, status int, n notice) {
	w.renderPrivate(rw, r, status, "notice", noticeData{layout: w.pageLayout(rw, r, n.Heading), notice: n})
}

// pageLayout is the layout of an account or admin page: the category nav
// (a nicety: left out if the catalog fails) and the forms' CSRF token.
func (w *Web) pageLayout(rw http.ResponseWriter, r *http.Request, title string) layout {
	var tree *catalog.Tree
	if w.svc != nil {
		tree, _ = w.svc.Categories(r.Context())
	}
	l := w.layout(r, title, tree)
	l.CSRF = csrfToken(rw, r)
	return l
}

// renderPrivate renders a page that is about one person: never cached.
func (w *Web) renderPrivate(rw http.ResponseWriter, r *http.Request, status int, page string, data any) {
	rw.Header().Set("Cache-Control", "no-store")
	w.render(rw, r, status, page, data)
}

// doneMessages are the confirmations a redirect after a form may show
// (?done=key): fixed texts, so nothing from the address is echoed.
var doneMessages = map[string]string{
	"error-resolved":  "The error is resolved. If it happens again, it opens again.",
	"error-ignored":   "The error is ignored: still counted, never reopened.",
	"error-open":      "The error is open again.",
	"welcome":         "Welcome! Your account is ready.",
	"signed-in":       "You are signed in.",
	"signed-out":      "You are signed out.",
	"profile":         "Your details were saved.",
	"address-added":   "The address was added to your address book.",
	"address-deleted": "The address was deleted.",
	"password":        "Your password was changed. Other browsers and apps were signed out.",
	"reset":           "Your password was changed. Sign in with your new password.",
	"role":            "The role was changed. That account was signed out everywhere.",
}

func doneMessage(r *http.Request) string { return doneMessages[r.URL.Query().Get("done")] }
