package api

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/ratelimit"
)

// maxBody bounds a JSON request body of the API.
const maxBody = httpx.MaxJSONBytes

func (a *API) accountRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/auth/register", a.register, ratelimit.SignIn},
		{"POST", "/api/v1/auth/login", a.login, ratelimit.SignIn},
		{"POST", "/api/v1/auth/refresh", a.refresh, ""},
		{"POST", "/api/v1/auth/logout", a.logout, ""},
		{"POST", "/api/v1/auth/password-reset", a.requestReset, ratelimit.Reset},
		{"POST", "/api/v1/auth/password-reset/confirm", a.confirmReset, ""},
		{"GET", "/api/v1/me", a.authed(a.getMe), ""},
		{"PATCH", "/api/v1/me", a.authed(a.patchMe), ""},
		{"DELETE", "/api/v1/me", a.authed(a.deleteMe), ""},
		{"POST", "/api/v1/me/password", a.authed(a.changePassword), ""},
		{"GET", "/api/v1/me/addresses", a.authed(a.listAddresses), ""},
		{"POST", "/api/v1/me/addresses", a.authed(a.addAddress), ""},
		{"DELETE", "/api/v1/me/addresses/{id}", a.authed(a.deleteAddress), ""},
		{"GET", "/api/v1/me/export", a.authed(a.export), ""},
		{"GET", "/api/v1/admin/users", a.admin(a.listUsers), ""},
		{"PATCH", "/api/v1/admin/users/{id}", a.admin(a.patchUser), ""},
		{"GET", "/api/v1/admin/audit", a.admin(a.listAudit), ""},
	}
}

// decode reads a JSON body with the shared strict reader (see
// httpx.DecodeJSON): one object of known fields, at most maxBody bytes.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpx.DecodeJSON(w, r, v, maxBody)
}

// fail writes err as a problem, adding Retry-After to a throttled answer
// and a Bearer challenge to a 401.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	if d := account.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
	if ocean.ErrorCode(err) == ocean.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ocean"`)
	}
	httpx.WriteProblem(w, r, err)
}

func meta(r *http.Request, u *account.User) account.Meta {
	m := account.Meta{IP: httpx.ClientAddr(r)}
	if u != nil {
		m.ActorID = u.ID
	}
	return m
}

type authedHandler func(w http.ResponseWriter, r *http.Request, u *account.User)

// authed requires a valid access token. Cookies are ignored by the API, so
// no cross-site form can act with a shopper's session here.
func (a *API) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		tok, ok := httpx.Bearer(r)
		if !ok {
			fail(w, r, &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: "Send an access token: Authorization: Bearer <token>."})
			return
		}
		u, err := a.Accounts.AccessUser(r.Context(), tok)
		if err != nil {
			fail(w, r, err)
			return
		}
		h(w, r, u)
	}
}

// admin requires a valid access token of an account whose role may use
// the route's class (account.AreaOf: the one table of back-office route
// classes, shared with the admin pages). Others get 403.
func (a *API) admin(h authedHandler) http.HandlerFunc {
	return a.authed(func(w http.ResponseWriter, r *http.Request, u *account.User) {
		if !u.IsStaff() {
			fail(w, r, &ocean.Error{Code: ocean.EFORBIDDEN, Message: "This needs an admin account."})
			return
		}
		if area, _ := account.AreaOf(r.URL.Path); !u.Can(area) {
			fail(w, r, account.Forbidden(u, area))
			return
		}
		h(w, r, u)
	})
}

// userJSON is an account as its owner (or an admin) sees it.
type userJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func toUserJSON(u *account.User) userJSON {
	return userJSON{ID: strconv.FormatInt(u.ID, 10), Email: u.Email, Name: u.Name, Phone: u.Phone, Role: u.Role, CreatedAt: u.CreatedAt}
}

type tokensJSON struct {
	User         userJSON `json:"user"`
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	TokenType    string   `json:"token_type"`
	ExpiresIn    int      `json:"expires_in"`
}

func writeTokens(w http.ResponseWriter, status int, u *account.User, t *account.Tokens) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, status, tokensJSON{User: toUserJSON(u), AccessToken: t.Access, RefreshToken: t.Refresh, TokenType: "Bearer", ExpiresIn: int(t.ExpiresIn.Seconds())})
}

// register answers 202 with the same body whether the address is new or
// already has an account: tokens are never issued here (the client signs
// in with POST /auth/login), so the answer tells no one which addresses
// have accounts. The owner of an existing account is mailed instead.
func (a *API) register(w http.ResponseWriter, r *http.Request) {
	var in struct{ Email, Password, Name string }
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Accounts.SignUp(r.Context(), in.Email, in.Password, in.Name, meta(r, nil)); err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": RegisterAccepted})
}

// RegisterAccepted is the body's status of every accepted registration.
const RegisterAccepted = "If this address is new, the account is ready: sign in with POST /api/v1/auth/login. Either way a message is on its way to the address."

func (a *API) login(w http.ResponseWriter, r *http.Request) {
	var in struct{ Email, Password string }
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	u, err := a.Accounts.SignIn(r.Context(), in.Email, in.Password, meta(r, nil))
	if err != nil {
		fail(w, r, err)
		return
	}
	t, err := a.Accounts.IssueTokens(r.Context(), u)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeTokens(w, http.StatusOK, u, t)
}

type refreshIn struct {
	RefreshToken string `json:"refresh_token"`
}

func (a *API) refresh(w http.ResponseWriter, r *http.Request) {
	var in refreshIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	t, u, err := a.Accounts.Refresh(r.Context(), in.RefreshToken, meta(r, nil))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeTokens(w, http.StatusOK, u, t)
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) {
	var in refreshIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Accounts.RevokeRefresh(r.Context(), in.RefreshToken, meta(r, nil)); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) requestReset(w http.ResponseWriter, r *http.Request) {
	var in struct{ Email string }
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Accounts.RequestReset(r.Context(), in.Email, meta(r, nil)); err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "If an account uses this address, a reset link is on its way."})
}

func (a *API) confirmReset(w http.ResponseWriter, r *http.Request) {
	var in struct{ Token, Password string }
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Accounts.ResetPassword(r.Context(), in.Token, in.Password, meta(r, nil)); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) getMe(w http.ResponseWriter, _ *http.Request, u *account.User) {
	httpx.WriteJSON(w, http.StatusOK, toUserJSON(u))
}

func (a *API) patchMe(w http.ResponseWriter, r *http.Request, u *account.User) {
	var in struct {
		Email *string `json:"email"`
		Name  *string `json:"name"`
		Phone *string `json:"phone"`
	}
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	got, err := a.Accounts.UpdateProfile(r.Context(), u.ID, account.Profile{Email: in.Email, Name: in.Name, Phone: in.Phone}, meta(r, u))
	if err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toUserJSON(got))
}

func (a *API) deleteMe(w http.ResponseWriter, r *http.Request, u *account.User) {
	if err := a.Accounts.Erase(r.Context(), u.ID, meta(r, u)); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request, u *account.User) {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Accounts.ChangePassword(r.Context(), u.ID, in.Current, in.New, "", meta(r, u)); err != nil {
		if oe := ocean.ErrorFields(err); len(oe) == 1 && oe[0].Field == "password" {
			err = ocean.Invalid(ocean.ErrorMessage(err), ocean.FieldError{Field: "new_password", Message: oe[0].Message})
		}
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) listAddresses(w http.ResponseWriter, r *http.Request, u *account.User) {
	addrs, err := a.Accounts.Addresses(r.Context(), u.ID)
	if err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": addrs})
}

func (a *API) addAddress(w http.ResponseWriter, r *http.Request, u *account.User) {
	var in struct {
		ocean.Address
		IsDefault bool `json:"is_default"`
	}
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	// The address book offers the countries checkout accepts: a
	// well-formed code the shop does not ship to is refused (422) as the
	// storefront's address book and checkout refuse it. A malformed one is
	// the account service's 400.
	if c := strings.ToUpper(strings.TrimSpace(in.Country)); a.Checkout != nil && ocean.IsCountry(c) {
		if err := a.Checkout.ShipsTo(r.Context(), c, "country"); err != nil {
			fail(w, r, err)
			return
		}
	}
	got, err := a.Accounts.AddAddress(r.Context(), u.ID, account.Address{Address: in.Address, IsDefault: in.IsDefault}, meta(r, u))
	if err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, got)
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (a *API) deleteAddress(w http.ResponseWriter, r *http.Request, u *account.User) {
	id, ok := pathID(r)
	if !ok {
		fail(w, r, ocean.Errorf(ocean.ENOTFOUND, "No such address."))
		return
	}
	if err := a.Accounts.DeleteAddress(r.Context(), u.ID, id, meta(r, u)); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) export(w http.ResponseWriter, r *http.Request, u *account.User) {
	x, err := a.Accounts.Export(r.Context(), u.ID, meta(r, u))
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="ocean-my-data.json"`)
	httpx.WriteJSON(w, http.StatusOK, x)
}

// listParams parses ?limit= (default 50, 1..200) and an id cursor
// parameter. Any other query parameter than these and the extra ones the
// list takes is refused, so a misspelt or foreign one (?before= where the
// list pages with ?cursor=) is an error, not a silently different page.
func listParams(r *http.Request, cursor string, extra ...string) (limit int, after int64, err error) {
	limit = 50
	var fe []ocean.FieldError
	q := r.URL.Query()
	for name := range q {
		if name != "limit" && name != cursor && !slices.Contains(extra, name) {
			fe = append(fe, ocean.FieldError{Field: name, Message: "is not a parameter of this list (it takes " + strings.Join(append([]string{"limit", cursor}, extra...), ", ") + ")"})
		}
	}
	if s := q.Get("limit"); s != "" {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 || n > 200 {
			fe = append(fe, ocean.FieldError{Field: "limit", Message: "must be a whole number from 1 to 200"})
		}
		limit = n
	}
	if s := q.Get(cursor); s != "" {
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil || n < 1 {
			fe = append(fe, ocean.FieldError{Field: cursor, Message: "must be the next_cursor of a previous page"})
		}
		after = n
	}
	if len(fe) > 0 {
		slices.SortFunc(fe, func(a, b ocean.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return 0, 0, ocean.Invalid("The list parameters are not valid.", fe...)
	}
	return limit, after, nil
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, _ *account.User) {
	limit, after, err := listParams(r, "cursor")
	if err != nil {
		fail(w, r, err)
		return
	}
	users, err := a.Accounts.Users(r.Context(), after, limit+1)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := struct {
		Items      []userJSON `json:"items"`
		NextCursor *string    `json:"next_cursor"`
	}{Items: []userJSON{}}
	for i := range users {
		if i == limit {
			next := strconv.FormatInt(users[i-1].ID, 10)
			out.NextCursor = &next
			break
		}
		uj := toUserJSON(&users[i])
		uj.Phone = "" // the list needs no personal details
		out.Items = append(out.Items, uj)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) patchUser(w http.ResponseWriter, r *http.Request, actor *account.User) {
	id, ok := pathID(r)
	if !ok {
		fail(w, r, ocean.Errorf(ocean.ENOTFOUND, "No such account."))
		return
	}
	var in struct {
		Role string `json:"role"`
	}
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Accounts.SetRole(r.Context(), id, in.Role, meta(r, actor)); err != nil {
		fail(w, r, err)
		return
	}
	u, err := a.Accounts.User(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toUserJSON(u))
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request, _ *account.User) {
	limit, before, err := listParams(r, "cursor", "user")
	if err != nil {
		fail(w, r, err)
		return
	}
	var user int64
	if s := r.URL.Query().Get("user"); s != "" {
		if user, err = strconv.ParseInt(s, 10, 64); err != nil || user < 1 {
			fail(w, r, ocean.Invalid("The list parameters are not valid.", ocean.FieldError{Field: "user", Message: "must be an account id"}))
			return
		}
	}
	events, err := a.Accounts.AuditEvents(r.Context(), user, before, limit+1)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := struct {
		Items      []account.AuditEvent `json:"items"`
		NextCursor *string              `json:"next_cursor"`
	}{Items: []account.AuditEvent{}}
	for i, e := range events {
		if i == limit {
			next := strconv.FormatInt(events[i-1].ID, 10)
			out.NextCursor = &next
			break
		}
		out.Items = append(out.Items, e)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
