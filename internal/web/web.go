// Package web is the storefront people shop in: server-rendered HTML pages
// (html/template, embedded), fingerprinted static assets, and the drawn
// product pictures. JavaScript is an optional layer: every page works
// without it.
//
// Templates are parsed once in New; a request executes its page into a
// pooled buffer and writes it in one go, so a template failure can still
// become a proper 500 page.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/kpi"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/rum"
	"github.com/oceanshop/ocean/internal/snapshot"
)

//go:embed templates/*.html
var templateFS embed.FS

// shopCurrency is the shop's currency from its settings (the rules
// snapshot, notices.go): the price filter and the admin's forms take
// amounts in its major unit. Without a checkout (a catalog-only
// storefront) or when the settings cannot be read, it is "", which the
// forms' validation then refuses rather than guess.
func (w *Web) shopCurrency(r *http.Request) string {
	if s := w.rules(r.Context()); s != nil {
		return s.Value.Settings.Currency
	}
	return ""
}

// Web serves the storefront.
type Web struct {
	svc    *catalog.Service
	log    *slog.Logger
	pages  map[string]*template.Template
	assets *assets
	worker *worker // the service worker (offline.go)
	// localCA: no service worker over HTTPS (see Config.LocalCA).
	localCA bool
	icons   map[string]template.HTML
	images  imageCache
	cards   cardCache
	// rendered keeps the public pages as rendered (pagecache.go), and
	// photoCache the product photos they show.
	rendered   *pageCache
	photoCache photoCache
	// rulesCache is the snapshot of the shop's settings and the footer's
	// notices every page uses (notices.go); nil without a checkout.
	rulesCache *snapshot.Cache[shopRules]
	// cardTmpl renders one product card; cards are the same for every
	// request, so their HTML is cached (see cardHTML).
	cardTmpl *template.Template
	// Without accounts the storefront has no sign-in and no admin.
	accounts  *account.Service
	publicURL string // see Config.PublicURL
	mailbox   MailLister
	// office is the admin's orders, inventory and discounts (admin_orders.go),
	// nil without them.
	office *backOffice
	// Without carts and checkout the storefront is a catalog without a
	// cart (commerce.go).
	carts    *cart.Service
	checkout *checkout.Service
	payment  Payment
	// locks is the lock dashboard's source (admin_locks.go); nil: no
	// dashboard.
	locks *locksView
	// media is the products' uploaded pictures (media.go); nil: drawings
	// only.
	media *media.Service
	// kpi is the owner's dashboard on /admin (admin_dashboard.go) and
	// counts storefront visits; nil: neither.
	kpi *kpi.Service
	// errors and vitals are the error tracker's and real-user
	// monitoring's stores (admin_errors.go); nil: no pages.
	errors ErrorBrowser
	vitals rum.Store
}

// Config is what the storefront is built from. Only Catalog is required;
// each optional part turns on its pages.
type Config struct {
	Catalog *catalog.Service
	Log     *slog.Logger // nil: slog.Default()
	// PublicURL is the shop's public origin (OCEAN_PUBLIC_URL); account
	// and admin pages need HTTPS away from it (see secureOnly).
	PublicURL string
	// Accounts turns on the account and admin pages. Mailbox, when the
	// shop has a dev mailbox instead of SMTP, adds /admin/mailbox.
	Accounts *account.Service
	Mailbox  MailLister
	// Carts and Checkout (with Accounts, whose keys seal the checkout
	// cookie) turn on the cart, checkout and order pages; Payment is the
	// gateway the checkout takes cards with. Inventory as well turns on
	// the back office (orders, inventory, discounts).
	Carts     *cart.Service
	Checkout  *checkout.Service
	Payment   Payment
	Inventory *inventory.Service
	// Locks turns on the lock dashboard (/admin/locks): the locks held
	// now (every instance's, with Redis), and LockStats, this instance's
	// lock counters. Instance is this process's holder name, so its own
	// locks can be told apart.
	Locks     LockLister
	LockStats func() lock.Stats
	Instance  string
	// Media turns on uploaded product pictures: /media/ files, the
	// storefront's photos and the admin's picture pages.
	Media *media.Service
	// KPI turns on the owner's dashboard on /admin and the counting of
	// storefront visits it needs.
	KPI *kpi.Service
	// Errors turns on the error pages (/admin/errors), Vitals the Web
	// Vitals page (/admin/vitals).
	Errors ErrorBrowser
	Vitals rum.Store
	// Release is the build's version: a new one gives the service worker a
	// new version, so a deploy replaces the offline caches (offline.go).
	Release string
	// LocalCA says HTTPS is served with the shop's own development CA
	// (OCEAN_TLS=local). Browsers refuse to register a service worker
	// from an untrusted certificate, and say so in the console of every
	// page, so pages served over it do not offer the worker; plain HTTP
	// on localhost does.
	LocalCA bool
}

// Payment is the payment gateway the storefront's checkout uses: Gateway
// is its name in checkout.Request, CardPage the address of its hosted card
// page, which the payment step redirects to with return, amount and
// currency, and which comes back to the return address with
// payment_token, card and state.
type Payment struct {
	Gateway  string
	CardPage string
}

// pageNames are the page templates (templates/NAME.html): each is parsed
// together with layout.html and partials.html and executed through the
// "layout" template, which calls the page's "content".
var pageNames = []string{"home", "listing", "product", "error", "notice", "offline",
	"signin", "register", "forgot", "reset", "account", "orders",
	"cart", "checkout_details", "checkout_shipping", "checkout_payment", "checkout_review", "order",
	"admin", "admin_users", "admin_audit", "admin_mailbox",
	"admin_orders", "admin_order", "admin_orders_discounts",
	"admin_inventory", "admin_inventory_variant", "admin_inventory_verify",
	"admin_locks", "admin_errors", "admin_error", "admin_vitals", "admin_images",
	"admin_products", "admin_product", "admin_categories", "admin_catalog_audit", "admin_settings", "admin_products_import"}

// New builds the storefront from cfg: it parses the embedded templates and
// prepares the static assets and icons. It fails if any of them is broken,
// so a bad build never serves.
func New(cfg Config) (*Web, error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	w := &Web{svc: cfg.Catalog, media: cfg.Media, log: log, pages: map[string]*template.Template{},
		accounts: cfg.Accounts, mailbox: cfg.Mailbox, publicURL: strings.TrimSuffix(cfg.PublicURL, "/"),
		carts: cfg.Carts, checkout: cfg.Checkout, payment: cfg.Payment, kpi: cfg.KPI, errors: cfg.Errors, vitals: cfg.Vitals,
		localCA: cfg.LocalCA, rendered: newPageCache()}
	if cfg.Checkout != nil {
		w.rulesCache = w.newRules()
	}
	if cfg.Checkout != nil && cfg.Inventory != nil {
		w.office = &backOffice{checkout: cfg.Checkout, inventory: cfg.Inventory}
	}
	if cfg.Locks != nil {
		w.locks = &locksView{locker: cfg.Locks, stats: cfg.LockStats, instance: cfg.Instance}
	}
	var err error
	if w.icons, err = loadIcons(); err != nil {
		return nil, err
	}
	if w.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if w.worker, err = buildWorker(w.assets, cfg.Release); err != nil {
		return nil, err
	}
	base := template.New("").Funcs(w.funcs())
	for _, name := range []string{"layout", "partials", "forms", "commerce", "dashboard"} {
		if err := w.parse(base, name); err != nil {
			return nil, err
		}
	}
	w.cardTmpl = base.Lookup("card")
	if w.cardTmpl == nil {
		return nil, fmt.Errorf("web: no \"card\" template")
	}
	for _, name := range pageNames {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout: %w", err)
		}
		if err := w.parse(t, name); err != nil {
			return nil, err
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("web: template %s defines no \"content\"", name)
		}
		w.pages[name] = t
	}
	return w, nil
}

// staticCall matches {{icon "name"}} and {{asset "name"}} with a constant
// argument: New replaces them by their result before parsing, so a page
// does not pay a function call for what never changes.
var staticCall = regexp.MustCompile(`\{\{\s*(icon|asset)\s+"([^"]+)"\s*\}\}`)

// parse adds templates/NAME.html to t, with constant icons and asset URLs
// written in.
func (w *Web) parse(t *template.Template, name string) error {
	src, err := templateFS.ReadFile("templates/" + name + ".html")
	if err != nil {
		return fmt.Errorf("web: read template %s: %w", name, err)
	}
	var ferr error
	text := staticCall.ReplaceAllStringFunc(string(src), func(call string) string {
		m := staticCall.FindStringSubmatch(call)
		var out string
		var err error
		if m[1] == "icon" {
			var h template.HTML
			h, err = w.icon(m[2])
			out = string(h)
		} else {
			out, err = w.asset(m[2])
		}
		if err != nil && ferr == nil {
			ferr = err
		}
		return out
	})
	if ferr != nil {
		return fmt.Errorf("web: template %s: %w", name, ferr)
	}
	if _, err := t.New(name + ".html").Parse(text); err != nil {
		return fmt.Errorf("web: parse template %s: %w", name, err)
	}
	return nil
}

// Register adds the storefront routes to mux. "/" is the catch-all that
// answers every unmatched path with the friendly 404 page.
//
// With accounts (Config.Accounts), pages resolve the session cookie so the
// header can say who is signed in, and the account and admin pages are
// added (see registerAccounts).
func (w *Web) Register(mux *http.ServeMux) {
	page := func(h http.HandlerFunc) http.Handler {
		if w.accounts == nil {
			return h
		}
		return w.withSession(h)
	}
	mux.Handle("GET /{$}", w.offlineOK(w.visits(page(w.home))))
	mux.Handle("GET /c/{slug}", w.offlineOK(w.visits(page(w.category))))
	mux.Handle("GET /search", w.visits(page(w.search)))
	mux.Handle("GET /p/{slug}", w.offlineOK(w.visits(page(w.product))))
	mux.HandleFunc("GET /sw.js", w.serviceWorker)
	mux.HandleFunc("GET "+offlinePath, w.offline)
	mux.HandleFunc("GET /images/products/{file}", w.productImage)
	mux.HandleFunc("GET /media/{file}", w.mediaFile)
	mux.HandleFunc("GET /static/{path...}", w.static)
	mux.Handle("/", page(w.notFound)) // every method: the API's "/api/" catch-all must not conflict with it
	if w.accounts != nil {
		w.registerAccounts(mux, page)
		if w.office != nil {
			w.registerBackOffice(mux, page)
		}
		if w.locks != nil {
			mux.Handle("GET /admin/locks", w.secureOnly(page(w.adminLocks)))
		}
		if w.errors != nil {
			w.registerErrors(mux, page)
		}
		if w.media != nil {
			w.registerMedia(mux, page)
		}
		w.registerCatalog(mux, page)
		if w.checkout != nil {
			w.registerSettings(mux, page)
		}
		w.registerCatalogCSV(mux, page)
	}
	if w.commerceOn() {
		w.registerCommerce(mux, page)
	}
}

// route is one line of a route table: the pattern, its handler, and the
// rate-limit class (ratelimit.SignIn, …) its requests count against, ""
// for none.
type route struct {
	pattern string
	h       http.HandlerFunc
	limit   string
}

func (rt route) limits() []string {
	if rt.limit == "" {
		return nil
	}
	return []string{rt.limit}
}

func (w *Web) funcs() template.FuncMap {
	return template.FuncMap{
		"icon":  w.icon,
		"asset": w.asset,
		"money": func(m ocean.Money) string { return m.String() },
		"nonce": w.templateNonce,
		"priceRange": func(lo, hi ocean.Money) string {
			if lo == hi {
				return lo.String()
			}
			return lo.String() + " – " + hi.String()
		},
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return "1 " + one
			}
			return strconv.Itoa(n) + " " + many
		},
		"image":   catalog.ImageURL,
		"picture": pictureOf,
		"card":    w.cardHTML,
		"searchbox": func(id, q, placeholder string) searchBox {
			return searchBox{ID: id, Q: q, Placeholder: placeholder}
		},
		"field": newField,
		// mailboxOn says whether the admin has the dev mailbox page.
		"mailboxOn": func() bool { return w.mailbox != nil },
		// officeOn says whether the admin has orders, inventory and discounts.
		"officeOn": func() bool { return w.office != nil },
		// mediaOn says whether products can have uploaded pictures.
		"mediaOn": func() bool { return w.media != nil },
		// locksOn says whether the admin has the lock dashboard.
		"locksOn": func() bool { return w.locks != nil },
		// errorsOn and vitalsOn say whether the admin has the error and
		// Web Vitals pages.
		"errorsOn": func() bool { return w.errors != nil },
		"vitalsOn": func() bool { return w.errors != nil && w.vitals != nil },
		"list":     func(s ...string) []string { return s },
		// tabs and adminTabs make the admin's tab bar: only the tabs the
		// signed-in account's role may use.
		"tabs":      func(current string, u *account.User) tabsData { return tabsData{Current: current, User: u} },
		"adminTabs": w.adminTabs,
		"canUse":    func(u *account.User, path string) bool { return u.CanUse(path) },
		"int":       func(n int64) int { return int(n) },
		// shopTime and isoTime show a moment the shop's way (see times.go).
		"shopTime": shopTime,
		"isoTime":  isoTime,
	}
}

// searchBox is the data of the "searchbox" partial.
type searchBox struct{ ID, Q, Placeholder string }

// layout is what the base layout needs; every page's data embeds it.
type layout struct {
	Ctx   context.Context // for {{nonce .Ctx}}
	Title string          // <title>, before " · Ocean"
	Q     string          // the search box's text
	Nav   []*catalog.Category
	Desc  string // meta description
	// Accounts is whether the shop has sign-in; User is who is signed in
	// (nil: nobody); CSRF is the token the page's forms carry.
	Accounts bool
	User     *account.User
	CSRF     string
	// Commerce is whether the shop has a cart; CartCount is the number of
	// units in it, for the header's cart link.
	Commerce  bool
	CartCount int
	// Worker is whether the page offers the service worker (offline.go).
	Worker bool
	// Notices are the footer's promises, from the settings (notices.go).
	Notices shopNotices
}

func (w *Web) layout(r *http.Request, title string, tree *catalog.Tree) layout {
	return w.layoutCount(r, title, tree, -1)
}

// layoutCount is layout with the cart's unit count already known (a cart
// page has just loaded the cart); -1 looks it up.
func (w *Web) layoutCount(r *http.Request, title string, tree *catalog.Tree, count int) layout {
	l := layout{Ctx: r.Context(), Title: title, Desc: "Ocean: calm, well-made things for everyday life.", Worker: w.workerOn(r), Notices: w.notices(r.Context())}
	if tree != nil {
		l.Nav = tree.Roots
	}
	if w.accounts != nil {
		l.Accounts, l.User = true, currentUser(r)
	}
	if w.commerceOn() {
		l.Commerce = true
		if count < 0 {
			count = w.cartCount(r)
		}
		l.CartCount = count
	}
	return l
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes the page into a pooled buffer and writes it with status
// and its caching headers (writePage). An execution error becomes the 500
// page instead of half a page.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, status int, page string, data any) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			bufPool.Put(buf)
		}
	}()
	t := w.pages[page]
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		err = &ocean.Error{Code: ocean.EINTERNAL, Message: "Something went wrong on our side.", Err: fmt.Errorf("web: render %s: %w", page, err)}
		if page == "error" {
			// The error page itself failed: say so plainly, once.
			w.log.ErrorContext(r.Context(), "error page failed", "request_id", httpx.RequestID(r.Context()), "err", err)
			http.Error(rw, "Something went wrong on our side. Request id: "+httpx.RequestID(r.Context()), http.StatusInternalServerError)
			return
		}
		w.fail(rw, r, err)
		return
	}
	writePage(rw, r, status, buf.Bytes())
}

// fail logs server-side failures and shows the error page (problem details
// for API paths, which the catch-all may see).
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, err error) {
	httpx.Fail(rw, r, w.ErrorPage, err)
}

// errorData is the error page's data.
type errorData struct {
	layout
	Status    int
	Heading   string
	Message   string
	Fields    []fieldMessage
	RequestID string
	RetryURL  string // the same listing without the settings that failed
	Admin     bool   // a back-office page the user may not use: offer the way back to /admin
	// TryAgain is the same address, for a page that failed for a while
	// (429, 5xx) on a GET; Wait the seconds its Retry-After asks for.
	TryAgain string
	Wait     int
}

type fieldMessage struct{ Label, Message string }

// fieldLabels names query parameters the way the forms do.
var fieldLabels = map[string]string{
	"q": "Search", "category": "Category", "min": "Lowest price", "max": "Highest price",
	"min_price": "Lowest price", "max_price": "Highest price", "in_stock": "In stock only",
	"sort": "Sort", "limit": "Results per page", "cursor": "Page", "query": "Address",
}

// ErrorPage renders the friendly error page for err: the status comes from
// its code, the message is the error's safe message, 5xx pages show the
// request id, and every page offers a way on (search, home, categories).
func (w *Web) ErrorPage(rw http.ResponseWriter, r *http.Request, err error) {
	code := ocean.ErrorCode(err)
	if code == "" {
		code = ocean.EINTERNAL
	}
	status := httpx.Status(code)
	// The category nav is a nicety: if the catalog is what failed, the page
	// is shown without it.
	tree, _ := w.svc.Categories(r.Context())
	d := errorData{Status: status, Message: ocean.ErrorMessage(err)}
	switch {
	case status == http.StatusNotFound:
		d.Heading = "We couldn’t find that page"
	case status == http.StatusBadRequest:
		d.Heading = "Something in that request wasn’t right"
	case status == http.StatusForbidden:
		d.Heading = "You can’t use this page"
		_, d.Admin = account.AreaOf(r.URL.Path)
	case status == http.StatusTooManyRequests:
		d.Heading = "Too many requests"
		d.Message = "You’re going a little fast for us. Please wait a moment and try again."
	case status == http.StatusServiceUnavailable:
		d.Heading = "We’ll be right back"
	case status >= 500:
		d.Heading = "Something went wrong on our side"
	default:
		d.Heading = http.StatusText(status)
	}
	if status >= 500 {
		d.RequestID = httpx.RequestID(r.Context())
	}
	for _, f := range ocean.ErrorFields(err) {
		label := fieldLabels[f.Field]
		if label == "" {
			label = strings.TrimPrefix(f.Field, "option.")
		}
		d.Fields = append(d.Fields, fieldMessage{Label: label, Message: f.Message})
	}
	d.layout = w.layout(r, d.Heading, tree)
	if q := r.URL.Query().Get("q"); utf8.ValidString(q) && utf8.RuneCountInString(q) <= catalog.MaxQueryRunes {
		d.Q = strings.TrimSpace(q)
	}
	if status == http.StatusBadRequest && (r.URL.Path == "/search" || strings.HasPrefix(r.URL.Path, "/c/")) && utf8.ValidString(r.URL.Path) {
		d.RetryURL = r.URL.Path
		if d.Q != "" {
			d.RetryURL += "?" + url.Values{"q": {d.Q}}.Encode()
		}
	}
	if (status == http.StatusTooManyRequests || status >= 500) && r.Method == http.MethodGet &&
		strings.HasPrefix(r.URL.Path, "/") && !strings.HasPrefix(r.URL.Path, "//") && utf8.ValidString(r.URL.RequestURI()) {
		d.TryAgain = r.URL.RequestURI()
		if s, err := strconv.Atoi(rw.Header().Get("Retry-After")); err == nil && s > 0 {
			d.Wait = s
		}
	}
	rw.Header().Set("Cache-Control", "no-store")
	w.render(rw, r, status, "error", d)
}

// notFound answers the friendly 404 page. The back office's gates answer
// with it too, so its pages stay unknown to shoppers; but a visitor who is
// not signed in, opening an admin page, is sent to sign in and back.
func (w *Web) notFound(rw http.ResponseWriter, r *http.Request) {
	if w.accounts != nil && current(r) == nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		(r.URL.Path == "/admin" || strings.HasPrefix(r.URL.Path, "/admin/")) {
		requireUser(rw, r)
		return
	}
	w.fail(rw, r, ocean.Errorf(ocean.ENOTFOUND, "There is no page at this address."))
}

// isCode reports whether err carries the code.
func isCode(err error, code string) bool {
	var e *ocean.Error
	return errors.As(err, &e) && e.Code == code
}
