package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
)

// The merchant's catalog pages: the product list, the product form with its
// options and variants, the category tree and the catalog's audit log. Plain
// forms (CSRF like every admin form); no script needed.

func (w *Web) registerCatalog(mux *http.ServeMux, page func(http.HandlerFunc) http.Handler) {
	for _, rt := range []route{
		{"GET /admin/products", w.adminProducts, ""},
		{"GET /admin/products/new", w.adminProductNew, ""},
		{"POST /admin/products/new", w.adminProductSave, ""},
		{"GET /admin/products/{id}", w.adminProductEdit, ""},
		{"POST /admin/products/{id}", w.adminProductSave, ""},
		{"POST /admin/products/{id}/{action}", w.adminProductAction, ""},
		{"GET /admin/categories", w.adminCategories, ""},
		{"POST /admin/categories", w.adminCategorySave, ""},
		{"POST /admin/categories/{id}", w.adminCategorySave, ""},
		{"POST /admin/categories/{id}/delete", w.adminCategoryDelete, ""},
		{"GET /admin/catalog-audit", w.adminCatalogAudit, ""},
	} {
		mux.Handle(rt.pattern, w.secureOnly(page(rt.h)))
	}
}

func actorOf(s *signedIn) catalog.Actor { return catalog.Actor{ID: s.user.ID, Name: s.user.Email} }

type adminProductsData struct {
	layout
	Items    []catalog.AdminRow
	Status   string
	Q        string
	Next     string
	Done     string
	Statuses []string
}

func (w *Web) adminProducts(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	q := r.URL.Query()
	page, err := w.svc.AdminProducts(r.Context(), q.Get("status"), q.Get("q"), q.Get("cursor"), 50)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := adminProductsData{Items: page.Items, Status: q.Get("status"), Q: q.Get("q"), Done: officeDoneMessage(r),
		Statuses: []string{catalog.StatusDraft, catalog.StatusActive, catalog.StatusArchived}}
	if page.NextCursor != "" {
		v := url.Values{"cursor": {page.NextCursor}}
		if d.Status != "" {
			v.Set("status", d.Status)
		}
		if d.Q != "" {
			v.Set("q", d.Q)
		}
		d.Next = "/admin/products?" + v.Encode()
	}
	d.layout = w.pageLayout(rw, r, "Products")
	w.renderPrivate(rw, r, http.StatusOK, "admin_products", d)
}

// The form has up to maxOptionRows options and as many variant rows as
// the product has plus blankVariantRows to add.
const (
	maxOptionRows    = 3
	blankVariantRows = 2
)

type categoryChoice struct {
	ID    string
	Label string
}

type conflictLine struct {
	Actor   string
	At      string
	Action  string
	Changed string
}

type adminProductData struct {
	layout
	ID          int64
	Slug        string
	Status      string
	Form        formState
	Categories  []categoryChoice
	OptionRows  []int
	VariantRows []int
	Conflict    []conflictLine
	Done        string
	Currency    string
}

func (w *Web) categoryChoices(r *http.Request) ([]categoryChoice, error) {
	tree, err := w.svc.Categories(r.Context())
	if err != nil {
		return nil, err
	}
	var out []categoryChoice
	var walk func([]*catalog.Category, string)
	walk = func(cs []*catalog.Category, indent string) {
		for _, c := range cs {
			out = append(out, categoryChoice{ID: strconv.FormatInt(c.ID, 10), Label: indent + c.Name})
			walk(c.Children, indent+"— ")
		}
	}
	walk(tree.Roots, "")
	return out, nil
}

func (w *Web) adminProductNew(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	w.renderProductForm(rw, r, http.StatusOK, &adminProductData{Form: newForm("status", catalog.StatusDraft, "rows", "0")})
}

func (w *Web) adminProductEdit(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	p, err := w.svc.ProductByID(r.Context(), id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.renderProductForm(rw, r, http.StatusOK, &adminProductData{ID: p.ID, Slug: p.Slug, Status: p.Status, Form: productValues(p), Done: officeDoneMessage(r)})
}

// productValues is the form as a stored product fills it.
func productValues(p *catalog.Product) formState {
	st := newForm("name", p.Name, "slug", p.Slug, "brand", p.Brand, "description", p.Description, "category", strconv.FormatInt(p.CategoryID, 10),
		"status", p.Status, "version", strconv.FormatInt(p.Version, 10), "rows", strconv.Itoa(len(p.Variants)))
	for j, o := range p.Options {
		if j >= maxOptionRows {
			break
		}
		st.Values["option_name_"+strconv.Itoa(j)] = o.Name
		st.Values["option_values_"+strconv.Itoa(j)] = strings.Join(o.Values, ", ")
	}
	for i, v := range p.Variants {
		n := strconv.Itoa(i)
		st.Values["v_id_"+n] = strconv.FormatInt(v.ID, 10)
		st.Values["v_sku_"+n] = v.SKU
		st.Values["v_price_"+n] = major(v.Price.Amount)
		if v.CompareAt.Amount != 0 {
			st.Values["v_compare_"+n] = major(v.CompareAt.Amount)
		}
		st.Values["v_weight_"+n] = strconv.Itoa(v.Weight)
		st.Values["v_barcode_"+n] = v.Barcode
		st.Values["v_stock_"+n] = strconv.Itoa(v.Stock)
		st.Values["v_stock_was_"+n] = strconv.Itoa(v.Stock)
		for j, o := range p.Options {
			st.Values["v_opt_"+n+"_"+strconv.Itoa(j)] = v.Options[o.Name]
		}
	}
	return st
}

func (w *Web) renderProductForm(rw http.ResponseWriter, r *http.Request, status int, d *adminProductData) {
	to := "/admin/products/new"
	if d.ID != 0 {
		to = "/admin/products/" + strconv.FormatInt(d.ID, 10)
	}
	// A refused save, or "add a variant row", goes back to the form's own
	// address with what was typed (redirect after POST).
	if r.Method == http.MethodPost && (w.refusedPost(r, status) || status == http.StatusOK) {
		texts := map[string]string{}
		if len(d.Conflict) > 0 {
			if b, err := json.Marshal(d.Conflict); err == nil {
				texts["Conflict"] = string(b)
			}
		}
		if w.redirectRefused(rw, r, "admin_product", to, map[string]formState{"Form": d.Form}, texts) {
			return
		}
	}
	if fl := w.takeFlash(rw, r, "admin_product"); fl != nil {
		if f, ok := fl.Forms["Form"]; ok && len(f.Values) > 0 {
			d.Form, d.Done = f, "" // a refused save: what was typed
		} else if ok {
			d.Form.Message, d.Done = f.Message, "" // a refused action: the stored product, and why
			for k, v := range f.Errors {
				d.Form.Errors[k] = v
			}
		}
		if c := fl.Texts["Conflict"]; c != "" {
			_ = json.Unmarshal([]byte(c), &d.Conflict)
		}
	}
	cats, err := w.categoryChoices(r)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d.Categories, d.Currency = cats, w.shopCurrency(r)
	for j := range maxOptionRows {
		d.OptionRows = append(d.OptionRows, j)
	}
	rows, _ := strconv.Atoi(d.Form.Values["rows"])
	for i := range min(rows, catalog.MaxVariants) + blankVariantRows {
		d.VariantRows = append(d.VariantRows, i)
	}
	title := "New product"
	if d.ID != 0 {
		title = "Edit " + d.Form.Values["name"]
	}
	d.layout = w.pageLayout(rw, r, title)
	w.renderPrivate(rw, r, status, "admin_product", d)
}

// productFormFields are the fields a form post carries besides the rows.
var productFormFields = []string{"name", "slug", "brand", "description", "category", "status", "version", "rows"}

// readProductForm reads the posted form into its state and a product; rowOf
// maps the product's variant index to the form row it came from.
func readProductForm(r *http.Request, id int64, currency string) (formState, *catalog.Product, []int) {
	st := newForm()
	for _, f := range productFormFields {
		st.Values[f] = r.PostForm.Get(f)
	}
	p := &catalog.Product{ID: id, Name: st.Values["name"], Slug: strings.TrimSpace(st.Values["slug"]), Brand: st.Values["brand"], Description: st.Values["description"], Status: st.Values["status"]}
	if c, err := strconv.ParseInt(st.Values["category"], 10, 64); err == nil {
		p.CategoryID = c
	} else {
		st.Errors["category"] = "Choose a category."
	}
	var names []string
	for j := range maxOptionRows {
		n := strconv.Itoa(j)
		name := strings.TrimSpace(r.PostForm.Get("option_name_" + n))
		vals := r.PostForm.Get("option_values_" + n)
		st.Values["option_name_"+n], st.Values["option_values_"+n] = name, vals
		names = append(names, catalog.NormalizeOptionName(name))
		if name == "" {
			if strings.TrimSpace(vals) != "" {
				st.Errors["option_name_"+n] = "Name the option, such as size or colour."
			}
			continue
		}
		p.Options = append(p.Options, catalog.Option{Name: name, Values: strings.Split(vals, ",")})
	}
	rows, _ := strconv.Atoi(r.PostForm.Get("rows"))
	rows = min(max(rows, 0), catalog.MaxVariants) + blankVariantRows
	var rowOf []int
	for i := range rows {
		n := strconv.Itoa(i)
		for _, f := range []string{"v_id_", "v_sku_", "v_price_", "v_compare_", "v_weight_", "v_barcode_", "v_stock_", "v_stock_was_", "v_remove_"} {
			st.Values[f+n] = strings.TrimSpace(r.PostForm.Get(f + n))
		}
		for j := range maxOptionRows {
			k := "v_opt_" + n + "_" + strconv.Itoa(j)
			st.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
		}
		v := catalog.Variant{SKU: st.Values["v_sku_"+n], Barcode: st.Values["v_barcode_"+n], Options: map[string]string{}}
		vid, _ := strconv.ParseInt(st.Values["v_id_"+n], 10, 64)
		if st.Values["v_remove_"+n] != "" || (vid == 0 && v.SKU == "" && st.Values["v_price_"+n] == "") {
			continue // removed, or a blank row
		}
		v.ID = vid
		v.Price.Currency, v.CompareAt.Currency = currency, currency
		if s := st.Values["v_price_"+n]; s != "" {
			a, err := ocean.ParseMajor(s, currency)
			if err != nil {
				st.Errors["v_price_"+n] = "Enter a price such as 199.00."
			}
			v.Price.Amount = a
		} else {
			st.Errors["v_price_"+n] = "Enter a price."
		}
		if s := st.Values["v_compare_"+n]; s != "" {
			a, err := ocean.ParseMajor(s, currency)
			if err != nil {
				st.Errors["v_compare_"+n] = "Enter a price such as 249.00, or leave it empty."
			}
			v.CompareAt.Amount = a
		}
		for _, f := range []struct {
			key string
			dst *int
		}{{"v_weight_", &v.Weight}, {"v_stock_", &v.Stock}} {
			if s := st.Values[f.key+n]; s != "" {
				x, err := strconv.Atoi(s)
				if err != nil {
					st.Errors[f.key+n] = "Enter a whole number."
				}
				*f.dst = x
			}
		}
		if vid != 0 && st.Values["v_stock_"+n] == st.Values["v_stock_was_"+n] {
			v.KeepStock = true // not edited: a sale meanwhile stays counted
		}
		for j, name := range names {
			if name != "" {
				v.Options[name] = st.Values["v_opt_"+n+"_"+strconv.Itoa(j)]
			}
		}
		p.Variants = append(p.Variants, v)
		rowOf = append(rowOf, i)
	}
	st.Values["rows"] = strconv.Itoa(rows)
	return st, p, rowOf
}

var reField = regexp.MustCompile(`^(options|variants)\[(\d+)\]\.?([a-z_]*)`)

// productFieldName maps a service's field ("variants[2].price") to the
// form's ("v_price_<row>").
func productFieldName(field string, rowOf []int) string {
	switch field {
	case "category_id", "category":
		return "category"
	case "name", "slug", "brand", "status", "description":
		return field
	}
	m := reField.FindStringSubmatch(field)
	if m == nil {
		return ""
	}
	i, _ := strconv.Atoi(m[2])
	if m[1] == "options" {
		if m[3] == "name" {
			return "option_name_" + m[2]
		}
		return "option_values_" + m[2]
	}
	if i >= len(rowOf) {
		return ""
	}
	n := strconv.Itoa(rowOf[i])
	switch m[3] {
	case "sku", "price", "weight", "barcode", "stock":
		return "v_" + m[3] + "_" + n
	case "compare_at_price":
		return "v_compare_" + n
	default:
		return "v_row_" + n // the row's options, or its id
	}
}

func (w *Web) adminProductSave(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return
	}
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = strconv.ParseInt(r.PathValue("id"), 10, 64); err != nil {
			w.notFound(rw, r)
			return
		}
	}
	st, p, rowOf := readProductForm(r, id, w.shopCurrency(r))
	d := &adminProductData{ID: id, Form: st, Slug: p.Slug, Status: p.Status}
	if r.PostForm.Get("action") == "add_row" {
		st.Values["rows"] = strconv.Itoa(len(rowOf) + 1)
		d.Form = st
		w.renderProductForm(rw, r, http.StatusOK, d)
		return
	}
	if len(st.Errors) > 0 {
		st.Message = "The product was not saved: please correct the fields marked below."
		d.Form = st
		w.renderProductForm(rw, r, http.StatusBadRequest, d)
		return
	}
	var err error
	version, _ := strconv.ParseInt(st.Values["version"], 10, 64)
	if id == 0 {
		err = w.svc.Create(r.Context(), actorOf(s), p)
	} else {
		err = w.svc.Save(r.Context(), actorOf(s), p, version)
	}
	if ocean.ErrorCode(err) == ocean.ESTALE {
		// Someone saved in between: say who changed what, keep what this
		// person typed, and base a second save on the current version.
		changes, cerr := w.svc.ChangesSince(r.Context(), catalog.EntityProduct, id, version)
		if cerr != nil {
			w.fail(rw, r, cerr)
			return
		}
		for _, c := range changes {
			d.Conflict = append(d.Conflict, conflictLine{Actor: c.Actor, At: c.At.UTC().Format("2 Jan 2006 15:04 UTC"), Action: c.Action, Changed: strings.Join(c.Changed(), ", ")})
			st.Values["version"] = strconv.FormatInt(c.Version, 10)
		}
		st.Message = ocean.ErrorMessage(err)
		d.Form = st
		w.renderProductForm(rw, r, http.StatusPreconditionFailed, d)
		return
	}
	if err != nil {
		status, ok := w.formError(rw, r, err, &st, nil)
		if !ok {
			return
		}
		// formError keyed the errors by the service's names: move them to
		// the form's.
		errs := st.Errors
		st.Errors = map[string]string{}
		for k, msg := range errs {
			if n := productFieldName(k, rowOf); n != "" {
				st.Errors[n] = sentenceOrPredicate(msg)
			} else {
				st.Message += " " + k + " " + msg + "."
			}
		}
		d.Form = st
		w.renderProductForm(rw, r, status, d)
		return
	}
	http.Redirect(rw, r, "/admin/products/"+strconv.FormatInt(p.ID, 10)+"?done=product", http.StatusSeeOther)
}

// adminProductAction duplicates, archives, restores, publishes or deletes a
// product.
func (w *Web) adminProductAction(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.notFound(rw, r)
		return
	}
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	back := "/admin/products/" + strconv.FormatInt(id, 10)
	switch r.PathValue("action") {
	case "duplicate":
		var p *catalog.Product
		if p, err = w.svc.Duplicate(r.Context(), actorOf(s), id); err == nil {
			back = "/admin/products/" + strconv.FormatInt(p.ID, 10)
		}
	case "archive":
		_, err = w.svc.SetStatus(r.Context(), actorOf(s), id, version, catalog.StatusArchived)
	case "restore":
		_, err = w.svc.SetStatus(r.Context(), actorOf(s), id, version, catalog.StatusDraft)
	case "publish":
		_, err = w.svc.SetStatus(r.Context(), actorOf(s), id, version, catalog.StatusActive)
	case "delete":
		if err = w.svc.Delete(r.Context(), actorOf(s), id, version); err == nil {
			back = "/admin/products"
		}
	default:
		w.notFound(rw, r)
		return
	}
	if err != nil {
		// A refusal the admin can act on (the product changed meanwhile,
		// it cannot be published or deleted yet) is shown on the
		// product's page, like a refused save (redirect after POST).
		st := newForm()
		if ocean.ErrorCode(err) == ocean.ESTALE {
			st.Message = ocean.ErrorMessage(err)
		} else if _, ok := w.formError(rw, r, err, &st, nil); !ok {
			return
		}
		if w.refusedPost(r, http.StatusConflict) && w.redirectRefused(rw, r, "admin_product", "/admin/products/"+strconv.FormatInt(id, 10), map[string]formState{"Form": st}, nil) {
			return
		}
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, back+"?done=product", http.StatusSeeOther)
}

type categoryRow struct {
	catalog.Category
	Depth  int
	Indent string
	Form   formState
}

type adminCategoriesData struct {
	layout
	Rows    []categoryRow
	Choices []categoryChoice
	New     formState
	Done    string
}

func (w *Web) adminCategories(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	w.renderCategories(rw, r, http.StatusOK, 0, formState{}, newForm(), officeDoneMessage(r))
}

func (w *Web) renderCategories(rw http.ResponseWriter, r *http.Request, status int, failedID int64, failed, fresh formState, done string) {
	tree, err := w.svc.Categories(r.Context())
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if w.refusedPost(r, status) {
		forms := map[string]formState{"New": fresh}
		texts := map[string]string{}
		if failedID != 0 {
			forms = map[string]formState{"Row": failed}
			texts["Row"] = strconv.FormatInt(failedID, 10)
		}
		if w.redirectRefused(rw, r, "admin_categories", "/admin/categories", forms, texts) {
			return
		}
	}
	if fl := w.takeFlash(rw, r, "admin_categories"); fl != nil {
		done = ""
		if f, ok := fl.Forms["New"]; ok {
			fresh = f
		}
		if f, ok := fl.Forms["Row"]; ok {
			failed = f
			failedID, _ = strconv.ParseInt(fl.Texts["Row"], 10, 64)
		}
	}
	choices, _ := w.categoryChoices(r)
	d := adminCategoriesData{Choices: choices, New: fresh, Done: done}
	var walk func([]*catalog.Category, int)
	walk = func(cs []*catalog.Category, depth int) {
		for _, c := range cs {
			row := categoryRow{Category: *c, Depth: depth, Indent: strings.Repeat("— ", depth)}
			row.Children = nil
			row.Form = newForm("name", c.Name, "slug", c.Slug, "parent", strconv.FormatInt(c.ParentID, 10), "position", strconv.Itoa(c.Position), "version", strconv.FormatInt(c.Version, 10))
			if c.ID == failedID {
				row.Form = failed
			}
			d.Rows = append(d.Rows, row)
			walk(c.Children, depth+1)
		}
	}
	walk(tree.Roots, 0)
	d.layout = w.pageLayout(rw, r, "Categories")
	w.renderPrivate(rw, r, status, "admin_categories", d)
}

func (w *Web) adminCategorySave(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return
	}
	st := newForm()
	for _, f := range []string{"name", "slug", "parent", "position", "version"} {
		st.Values[f] = strings.TrimSpace(r.PostForm.Get(f))
	}
	c := &catalog.Category{Name: st.Values["name"], Slug: st.Values["slug"]}
	c.ParentID, _ = strconv.ParseInt(st.Values["parent"], 10, 64)
	if st.Values["position"] != "" {
		n, err := strconv.Atoi(st.Values["position"])
		if err != nil {
			n = -1 // the service names the field
		}
		c.Position = n
	}
	var err error
	var id int64
	if r.PathValue("id") == "" {
		err = w.svc.AddCategory(r.Context(), actorOf(s), c)
	} else {
		if id, err = strconv.ParseInt(r.PathValue("id"), 10, 64); err != nil {
			w.notFound(rw, r)
			return
		}
		c.ID = id
		version, _ := strconv.ParseInt(st.Values["version"], 10, 64)
		err = w.svc.UpdateCategory(r.Context(), actorOf(s), c, version)
	}
	if err != nil {
		if ocean.ErrorCode(err) == ocean.ESTALE {
			st.Message = ocean.ErrorMessage(err)
			if cur, cerr := w.svc.Category(r.Context(), id); cerr == nil {
				st.Values["version"] = strconv.FormatInt(cur.Version, 10)
			}
			w.renderCategories(rw, r, http.StatusPreconditionFailed, id, st, newForm(), "")
			return
		}
		status, ok := w.formError(rw, r, err, &st, map[string]string{"parent_id": "parent"})
		if !ok {
			return
		}
		if id == 0 {
			w.renderCategories(rw, r, status, 0, formState{}, st, "")
		} else {
			w.renderCategories(rw, r, status, id, st, newForm(), "")
		}
		return
	}
	http.Redirect(rw, r, "/admin/categories?done=category", http.StatusSeeOther)
}

func (w *Web) adminCategoryDelete(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil || !w.checkForm(rw, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.notFound(rw, r)
		return
	}
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if err := w.svc.DeleteCategory(r.Context(), actorOf(s), id, version); err != nil {
		if c := ocean.ErrorCode(err); c == ocean.ECONFLICT || c == ocean.ESTALE {
			st := newForm()
			st.Message = ocean.ErrorMessage(err)
			if cur, cerr := w.svc.Category(r.Context(), id); cerr == nil {
				st = newForm("name", cur.Name, "slug", cur.Slug, "parent", strconv.FormatInt(cur.ParentID, 10), "position", strconv.Itoa(cur.Position), "version", strconv.FormatInt(cur.Version, 10))
				st.Message = ocean.ErrorMessage(err)
			}
			w.renderCategories(rw, r, http.StatusConflict, id, st, newForm(), "")
			return
		}
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/admin/categories?done=category", http.StatusSeeOther)
}

type auditRow struct {
	catalog.AuditEntry
	Changed string
	Link    string
}

type adminCatalogAuditData struct {
	layout
	Rows []auditRow
	Next string
}

func (w *Web) adminCatalogAudit(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	f := catalog.AuditFilter{Limit: 50}
	f.Before, _ = strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	entries, err := w.svc.AuditLog(r.Context(), f)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := adminCatalogAuditData{}
	for _, e := range entries {
		row := auditRow{AuditEntry: e, Changed: strings.Join(e.Changed(), ", ")}
		if e.Entity == catalog.EntityProduct && e.Action != catalog.ActionDelete {
			row.Link = "/admin/products/" + strconv.FormatInt(e.EntityID, 10)
		}
		d.Rows = append(d.Rows, row)
	}
	if len(entries) == f.Limit {
		d.Next = "/admin/catalog-audit?before=" + strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	d.layout = w.pageLayout(rw, r, "Catalog changes")
	w.renderPrivate(rw, r, http.StatusOK, "admin_catalog_audit", d)
}
