package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/ocean"
)

// Page sizes of the admin lists.
const (
	adminUsersPage = 50
	adminAuditPage = 50
	adminMailPage  = 100
	countBatch     = 1000
)

type adminData struct {
	layout
	Done    string
	Users   int
	Mailbox bool
	// Office is whether the back office is on; Orders counts orders per
	// status (admin_orders.go) and AllOrders is their sum.
	Office    bool
	Orders    []statusCount
	AllOrders int
	// Admin is false for staff, who see the dashboard and the tiles of
	// their role (Staff); Dash is the owner's dashboard (nil without it).
	Admin bool
	Staff bool
	Dash  *dashView
}

func (w *Web) adminHome(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil {
		return
	}
	var dash *dashView
	if w.kpi != nil {
		var err error
		if dash, err = w.dashboard(r); err != nil {
			w.fail(rw, r, err)
			return
		}
	}
	if !s.user.IsAdmin() {
		// Staff: the dashboard and the pages of their role.
		d := adminData{Dash: dash, Office: w.office != nil, Staff: true}
		d.layout = w.pageLayout(rw, r, "Dashboard")
		w.renderPrivate(rw, r, http.StatusOK, "admin", d)
		return
	}
	d := adminData{Mailbox: w.mailbox != nil, Done: doneMessage(r), Admin: true, Dash: dash, Office: w.office != nil}
	if dash == nil {
		// Without the dashboard the overview counts accounts and orders.
		// The dashboard replaces them: both read every row, and its page
		// must cost the same however big the shop is.
		var err error
		if d.Users, err = w.countUsers(r); err != nil {
			w.fail(rw, r, err)
			return
		}
		if d.Orders, d.AllOrders, err = w.orderCounts(r); err != nil {
			w.fail(rw, r, err)
			return
		}
	}
	d.layout = w.pageLayout(rw, r, "Admin")
	w.renderPrivate(rw, r, http.StatusOK, "admin", d)
}

// countUsers counts the accounts. The store has no count: page through
// the ids.
func (w *Web) countUsers(r *http.Request) (int, error) {
	n, after := 0, int64(0)
	for {
		us, err := w.accounts.Users(r.Context(), after, countBatch)
		if err != nil {
			return 0, err
		}
		n += len(us)
		if len(us) < countBatch {
			return n, nil
		}
		after = us[len(us)-1].ID
	}
}

type adminUsersData struct {
	layout
	Done  string
	Users []account.User
	After int64  // this page's cursor, to come back to it after a change
	Next  string // the next page's address, "" on the last page
	Self  int64
	Error string
}

func (w *Web) adminUsers(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil {
		return
	}
	after, err := parseID(r, "after")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.renderUsers(rw, r, s, after, http.StatusOK, "")
}

func (w *Web) renderUsers(rw http.ResponseWriter, r *http.Request, s *signedIn, after int64, status int, problem string) {
	to := "/admin/users"
	if after > 0 {
		to += "?" + url.Values{"after": {strconv.FormatInt(after, 10)}}.Encode()
	}
	if w.prg(rw, r, status, "admin_users", to, adminUsersData{Error: problem}) {
		return
	}
	us, err := w.accounts.Users(r.Context(), after, adminUsersPage+1)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := adminUsersData{After: after, Self: s.user.ID, Error: problem}
	w.restore(rw, r, "admin_users", &d)
	if d.Error == "" {
		d.Done = doneMessage(r)
	}
	if len(us) > adminUsersPage {
		us = us[:adminUsersPage]
		d.Next = "/admin/users?" + url.Values{"after": {strconv.FormatInt(us[len(us)-1].ID, 10)}}.Encode()
	}
	d.Users = us
	d.layout = w.pageLayout(rw, r, "Accounts")
	w.renderPrivate(rw, r, status, "admin_users", d)
}

func (w *Web) adminRole(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.notFound(rw, r)
		return
	}
	after, _ := strconv.ParseInt(r.PostForm.Get("after"), 10, 64)
	after = max(after, 0)
	if err := w.accounts.SetRole(r.Context(), id, r.PostForm.Get("role"), w.meta(r)); err != nil {
		switch ocean.ErrorCode(err) {
		case ocean.EINVALID, ocean.ECONFLICT:
			w.renderUsers(rw, r, s, after, httpx.Status(ocean.ErrorCode(err)), ocean.ErrorMessage(err))
		default:
			w.fail(rw, r, err)
		}
		return
	}
	if id == s.user.ID {
		// Changing one's own role signs one out everywhere, this browser too.
		clearCookie(rw, sessionCookie)
		http.Redirect(rw, r, "/account/signin?done=role", http.StatusSeeOther)
		return
	}
	back := "/admin/users?done=role"
	if after > 0 {
		back += "&after=" + strconv.FormatInt(after, 10)
	}
	http.Redirect(rw, r, back, http.StatusSeeOther)
}

type adminAuditData struct {
	layout
	Events []account.AuditEvent
	Filter int64 // only this account's events; 0: all
	Next   string
}

func (w *Web) adminAudit(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	user, err := parseID(r, "user")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	before, err := parseID(r, "before")
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	evs, err := w.accounts.AuditEvents(r.Context(), user, before, adminAuditPage+1)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := adminAuditData{Filter: user}
	if len(evs) > adminAuditPage {
		evs = evs[:adminAuditPage]
		q := url.Values{"before": {strconv.FormatInt(evs[len(evs)-1].ID, 10)}}
		if user > 0 {
			q.Set("user", strconv.FormatInt(user, 10))
		}
		d.Next = "/admin/audit?" + q.Encode()
	}
	d.Events = evs
	d.layout = w.pageLayout(rw, r, "Security log")
	w.renderPrivate(rw, r, http.StatusOK, "admin_audit", d)
}

// mailView is one mailbox message with the links in its text, so a
// developer can follow a reset link with one click.
type mailView struct {
	mail.Stored
	Links []string
}

type adminMailData struct {
	layout
	Messages []mailView
}

var reLink = regexp.MustCompile(`https?://[^\s<>"]+`)

func (w *Web) adminMailbox(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	ms, err := w.mailbox.List(r.Context(), adminMailPage)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := adminMailData{}
	for _, m := range ms {
		d.Messages = append(d.Messages, mailView{Stored: m, Links: reLink.FindAllString(m.Text, 5)})
	}
	d.layout = w.pageLayout(rw, r, "Mailbox")
	w.renderPrivate(rw, r, http.StatusOK, "admin_mailbox", d)
}
