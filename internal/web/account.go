package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/ratelimit"
)

// registerAccounts adds the account and admin pages. page wraps a handler
// with the session lookup.
func (w *Web) registerAccounts(mux *http.ServeMux, page func(http.HandlerFunc) http.Handler) {
	for _, rt := range []route{
		{"GET /account/register", w.registerForm, ""},
		{"POST /account/register", w.registerPost, ratelimit.SignIn},
		{"GET /account/signin", w.signInForm, ""},
		{"POST /account/signin", w.signInPost, ratelimit.SignIn},
		{"POST /account/signout", w.signOut, ""},
		{"GET /account/forgot", w.forgotForm, ""},
		{"POST /account/forgot", w.forgotPost, ratelimit.Reset},
		{"GET /account/reset", w.resetForm, ""},
		{"POST /account/reset", w.resetPost, ""},
		{"GET /account/goodbye", w.goodbye, ""},
		{"GET /account", w.accountPage, ""},
		{"GET /account/orders", w.ordersPage, ""},
		{"POST /account/profile", w.profilePost, ""},
		{"POST /account/addresses", w.addressAdd, ""},
		{"POST /account/addresses/{id}/delete", w.addressDelete, ""},
		{"POST /account/password", w.passwordPost, ""},
		{"GET /account/export.json", w.export, ""},
		{"POST /account/delete", w.deletePost, ""},
		{"GET /admin", w.adminHome, ""},
		{"GET /admin/users", w.adminUsers, ""},
		{"POST /admin/users/{id}/role", w.adminRole, ""},
		{"GET /admin/audit", w.adminAudit, ""},
	} {
		mux.Handle(rt.pattern, ratelimit.Limited(w.secureOnly(page(rt.h)), rt.limits()...))
	}
	if w.mailbox != nil {
		mux.Handle("GET /admin/mailbox", w.secureOnly(page(w.adminMailbox)))
	}
}

// authData is the data of the signed-out forms: sign-in, register, forgot
// and reset.
type authData struct {
	layout
	Form  formState
	Next  string // where sign-in goes afterwards (already checked)
	Token string // the reset token
	Done  string
	Sent  bool // the reset link was asked for
}

// authPaths are the GET addresses of the signed-out forms.
var authPaths = map[string]string{"signin": "/account/signin", "register": "/account/register",
	"forgot": "/account/forgot", "reset": "/account/reset"}

func (w *Web) renderAuth(rw http.ResponseWriter, r *http.Request, status int, page, title string, d authData) {
	to := authPaths[page]
	switch {
	case page == "signin" && d.Next != "":
		to += "?" + url.Values{"next": {d.Next}}.Encode()
	case page == "reset" && d.Token != "":
		// The token came in the address of the mailed link already.
		to += "?" + url.Values{"token": {d.Token}}.Encode()
	}
	if w.prg(rw, r, status, page, to, d) {
		return
	}
	w.restore(rw, r, page, &d)
	d.layout = w.pageLayout(rw, r, title)
	if d.Form.Values == nil {
		d.Form = newForm()
	}
	w.renderPrivate(rw, r, status, page, d)
}

// startSession signs u in on this browser with a new session id, ending
// the session the browser had (so an id planted before sign-in is useless).
func (w *Web) startSession(rw http.ResponseWriter, r *http.Request, u *account.User) error {
	if s := current(r); s != nil {
		if err := w.accounts.EndSession(r.Context(), s.cookie, w.meta(r)); err != nil {
			return err
		}
	}
	value, sess, err := w.accounts.StartSession(r.Context(), u)
	if err != nil {
		return err
	}
	setSessionCookie(rw, value, sess, sess.CreatedAt)
	// What they put in the cart as a guest comes along.
	w.mergeGuestCart(rw, r, u.ID)
	return nil
}

// ---------------------------------------------------------------- sign-in

func (w *Web) signInForm(rw http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if current(r) != nil {
		http.Redirect(rw, r, safeNext(next), http.StatusSeeOther) //nolint:gosec // safeNext keeps same-site paths only
		return
	}
	d := authData{Done: doneMessage(r)}
	if next != "" {
		d.Next = safeNext(next)
	}
	w.renderAuth(rw, r, http.StatusOK, "signin", "Sign in", d)
}

func (w *Web) signInPost(rw http.ResponseWriter, r *http.Request) {
	if !w.checkForm(rw, r) {
		return
	}
	email, next := r.PostForm.Get("email"), r.PostForm.Get("next")
	u, err := w.accounts.SignIn(r.Context(), email, r.PostForm.Get("password"), w.meta(r))
	if err != nil {
		d := authData{Form: newForm("email", email)}
		if next != "" {
			d.Next = safeNext(next)
		}
		status, ok := w.formError(rw, r, err, &d.Form, nil)
		if !ok {
			return
		}
		w.renderAuth(rw, r, status, "signin", "Sign in", d)
		return
	}
	if err := w.startSession(rw, r, u); err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, safeNext(next), http.StatusSeeOther) //nolint:gosec // safeNext keeps same-site paths only
}

func (w *Web) signOut(rw http.ResponseWriter, r *http.Request) {
	s := current(r)
	if s == nil {
		// Already signed out: nothing to change.
		http.Redirect(rw, r, "/account/signin?done=signed-out", http.StatusSeeOther)
		return
	}
	if !w.checkForm(rw, r) {
		return
	}
	if err := w.accounts.EndSession(r.Context(), s.cookie, w.meta(r)); err != nil {
		w.fail(rw, r, err)
		return
	}
	clearCookie(rw, sessionCookie)
	// The cart is theirs: whoever uses this browser next starts afresh.
	forgetCommerce(rw, r)
	http.Redirect(rw, r, "/account/signin?done=signed-out", http.StatusSeeOther)
}

// ---------------------------------------------------------------- register

func (w *Web) registerForm(rw http.ResponseWriter, r *http.Request) {
	if current(r) != nil {
		http.Redirect(rw, r, "/account", http.StatusSeeOther)
		return
	}
	w.renderAuth(rw, r, http.StatusOK, "register", "Create an account", authData{Sent: r.URL.Query().Get("sent") == "1"})
}

func (w *Web) registerPost(rw http.ResponseWriter, r *http.Request) {
	if !w.checkForm(rw, r) {
		return
	}
	f := r.PostForm
	err := w.accounts.SignUp(r.Context(), f.Get("email"), f.Get("password"), f.Get("name"), w.meta(r))
	if err != nil {
		d := authData{Form: newForm("email", f.Get("email"), "name", f.Get("name"))}
		status, ok := w.formError(rw, r, err, &d.Form, nil)
		if !ok {
			return
		}
		w.renderAuth(rw, r, status, "register", "Create an account", d)
		return
	}
	// The same answer whether the address is new or already has an
	// account (whose owner is mailed instead): the page does not tell
	// anyone which addresses shop here.
	http.Redirect(rw, r, "/account/register?sent=1", http.StatusSeeOther)
}

// ---------------------------------------------------------------- reset

func (w *Web) forgotForm(rw http.ResponseWriter, r *http.Request) {
	w.renderAuth(rw, r, http.StatusOK, "forgot", "Forgot your password?", authData{Sent: r.URL.Query().Get("sent") == "1"})
}

func (w *Web) forgotPost(rw http.ResponseWriter, r *http.Request) {
	if !w.checkForm(rw, r) {
		return
	}
	email := r.PostForm.Get("email")
	if err := w.accounts.RequestReset(r.Context(), email, w.meta(r)); err != nil {
		d := authData{Form: newForm("email", email)}
		status, ok := w.formError(rw, r, err, &d.Form, nil)
		if !ok {
			return
		}
		w.renderAuth(rw, r, status, "forgot", "Forgot your password?", d)
		return
	}
	// The same answer whether or not the address has an account.
	http.Redirect(rw, r, "/account/forgot?sent=1", http.StatusSeeOther)
}

func (w *Web) resetForm(rw http.ResponseWriter, r *http.Request) {
	// The token is in the address: keep it out of Referer headers.
	rw.Header().Set("Referrer-Policy", "no-referrer")
	d := authData{Token: r.URL.Query().Get("token"), Form: newForm()}
	if d.Token == "" {
		d.Form.Message = "This reset link is incomplete. Copy the whole link from the message, or ask for a new one."
	}
	w.renderAuth(rw, r, http.StatusOK, "reset", "Choose a new password", d)
}

func (w *Web) resetPost(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Referrer-Policy", "no-referrer")
	if !w.checkForm(rw, r) {
		return
	}
	tok := r.PostForm.Get("token")
	if err := w.accounts.ResetPassword(r.Context(), tok, r.PostForm.Get("password"), w.meta(r)); err != nil {
		d := authData{Token: tok, Form: newForm()}
		status, ok := w.formError(rw, r, err, &d.Form, nil)
		if !ok {
			return
		}
		w.renderAuth(rw, r, status, "reset", "Choose a new password", d)
		return
	}
	// Every session of the account ended, this browser's too if it had one.
	if current(r) != nil {
		clearCookie(rw, sessionCookie)
	}
	http.Redirect(rw, r, "/account/signin?done=reset", http.StatusSeeOther)
}

// ---------------------------------------------------------------- account

// accountData is the account page: the person's details and one form
// state per form on it.
type accountData struct {
	layout
	Done      string
	Addresses []account.Address
	Profile   formState
	Address   formState
	Countries []country // the address form's choices: the shop's countries
	Password  formState
	Delete    formState
}

// renderAccount shows the account page; change adjusts the forms (a failed
// form shows its errors and what was typed).
func (w *Web) renderAccount(rw http.ResponseWriter, r *http.Request, s *signedIn, status int, change func(*accountData)) {
	addrs, err := w.accounts.Addresses(r.Context(), s.user.ID)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	list, err := w.shopCountries(r.Context())
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := accountData{
		Countries: list,
		Done:      doneMessage(r),
		Addresses: addrs,
		Profile:   newForm("name", s.user.Name, "email", s.user.Email, "phone", s.user.Phone),
		Address:   newForm("country", list[0].Code),
		Password:  newForm(),
		Delete:    newForm(),
	}
	if change != nil {
		d.Done = ""
		change(&d)
	}
	if w.prg(rw, r, status, "account", "/account", d) {
		return
	}
	if w.restore(rw, r, "account", &d) {
		d.Done = ""
	}
	d.layout = w.pageLayout(rw, r, "Your account")
	w.renderPrivate(rw, r, status, "account", d)
}

func (w *Web) accountPage(rw http.ResponseWriter, r *http.Request) {
	if s := requireUser(rw, r); s != nil {
		w.renderAccount(rw, r, s, http.StatusOK, nil)
	}
}

// accountForm is the start of every form handler on the account page: a
// signed-in person and a genuine form.
func (w *Web) accountForm(rw http.ResponseWriter, r *http.Request) *signedIn {
	s := requireUser(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return nil
	}
	return s
}

func (w *Web) profilePost(rw http.ResponseWriter, r *http.Request) {
	s := w.accountForm(rw, r)
	if s == nil {
		return
	}
	f := r.PostForm
	name, email, phone := f.Get("name"), f.Get("email"), f.Get("phone")
	_, err := w.accounts.UpdateProfile(r.Context(), s.user.ID, account.Profile{Name: &name, Email: &email, Phone: &phone}, w.meta(r))
	if err != nil {
		st := newForm("name", name, "email", email, "phone", phone)
		status, ok := w.formError(rw, r, err, &st, nil)
		if ok {
			w.renderAccount(rw, r, s, status, func(d *accountData) { d.Profile = st })
		}
		return
	}
	http.Redirect(rw, r, "/account?done=profile", http.StatusSeeOther)
}

func (w *Web) addressAdd(rw http.ResponseWriter, r *http.Request) {
	s := w.accountForm(rw, r)
	if s == nil {
		return
	}
	f := r.PostForm
	a := account.Address{Address: ocean.Address{Name: f.Get("name"), Line1: f.Get("line1"), Line2: f.Get("line2"), City: f.Get("city"), PostalCode: f.Get("postal_code"), Country: f.Get("country"), Phone: f.Get("phone")}, IsDefault: f.Get("is_default") == "on"}
	// One country list everywhere: the address book offers and accepts
	// only the countries the shop ships to, like checkout.
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	var err error
	if list, lerr := w.shopCountries(r.Context()); lerr != nil {
		err = lerr
	} else if ocean.IsCountry(a.Country) && !knownCountry(list, a.Country) {
		err = notShipped("country") // a malformed code gets the service's message
	} else {
		_, err = w.accounts.AddAddress(r.Context(), s.user.ID, a, w.meta(r))
	}
	if err != nil {
		st := newForm("name", a.Name, "line1", a.Line1, "line2", a.Line2, "city", a.City,
			"postal_code", a.PostalCode, "country", a.Country, "phone", a.Phone)
		if a.IsDefault {
			st.Values["is_default"] = "on"
		}
		status, ok := w.formError(rw, r, err, &st, nil)
		if ok {
			w.renderAccount(rw, r, s, status, func(d *accountData) { d.Address = st })
		}
		return
	}
	http.Redirect(rw, r, "/account?done=address-added#addresses", http.StatusSeeOther)
}

func (w *Web) addressDelete(rw http.ResponseWriter, r *http.Request) {
	s := w.accountForm(rw, r)
	if s == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.notFound(rw, r)
		return
	}
	// The service deletes only the signed-in person's address: another
	// account's id is "not found", exactly like a missing one.
	if err := w.accounts.DeleteAddress(r.Context(), s.user.ID, id, w.meta(r)); err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/account?done=address-deleted#addresses", http.StatusSeeOther)
}

func (w *Web) passwordPost(rw http.ResponseWriter, r *http.Request) {
	s := w.accountForm(rw, r)
	if s == nil {
		return
	}
	err := w.accounts.ChangePassword(r.Context(), s.user.ID, r.PostForm.Get("current_password"), r.PostForm.Get("new_password"), s.cookie, w.meta(r))
	if err != nil {
		st := newForm()
		status, ok := w.formError(rw, r, err, &st, map[string]string{"password": "new_password"})
		if ok {
			w.renderAccount(rw, r, s, status, func(d *accountData) { d.Password = st })
		}
		return
	}
	http.Redirect(rw, r, "/account?done=password", http.StatusSeeOther)
}

// export sends everything the shop holds about the signed-in person as a
// JSON download. It is a GET (it changes nothing but the audit log), and
// SameSite=Lax keeps other sites' requests for it from carrying the cookie
// in a way they could read.
func (w *Web) export(rw http.ResponseWriter, r *http.Request) {
	s := requireUser(rw, r)
	if s == nil {
		return
	}
	e, err := w.accounts.Export(r.Context(), s.user.ID, w.meta(r))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="ocean-my-data.json"`)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	rw.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = rw.Write(b)
	}
}

// deleteWord is what a person types to confirm erasing their account: the
// service does not ask for the password, so the page asks for intent.
const deleteWord = "DELETE"

func (w *Web) deletePost(rw http.ResponseWriter, r *http.Request) {
	s := w.accountForm(rw, r)
	if s == nil {
		return
	}
	if strings.TrimSpace(r.PostForm.Get("confirm")) != deleteWord {
		st := newForm()
		st.Message = "Your account was not deleted."
		st.Errors["confirm"] = "Type DELETE in capital letters to confirm."
		w.renderAccount(rw, r, s, http.StatusBadRequest, func(d *accountData) { d.Delete = st })
		return
	}
	if err := w.accounts.Erase(r.Context(), s.user.ID, w.meta(r)); err != nil {
		st := newForm()
		status, ok := w.formError(rw, r, err, &st, nil)
		if ok {
			w.renderAccount(rw, r, s, status, func(d *accountData) { d.Delete = st })
		}
		return
	}
	clearCookie(rw, sessionCookie)
	http.Redirect(rw, r, "/account/goodbye", http.StatusSeeOther)
}

func (w *Web) goodbye(rw http.ResponseWriter, r *http.Request) {
	w.notice(rw, r, http.StatusOK, notice{
		Heading:  "Your account has been deleted",
		Message:  "We removed your personal details, addresses and sessions, and signed you out. Orders, if you placed any, stay on record for invoices without your name. Thank you for shopping with us.",
		Link:     "/",
		LinkText: "Back to the shop",
	})
}

// parseID reads a positive id from a query parameter; absent is 0.
func parseID(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, ocean.Invalid("The page address is not valid.", ocean.FieldError{Field: name, Message: "must be an account or event number"})
	}
	return id, nil
}
