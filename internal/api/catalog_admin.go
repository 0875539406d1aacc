package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
)

// The merchant's catalog over the API: products in every status, their
// variants, categories, and the audit log. Every editable resource answers
// with its version (and an ETag); a write with a stale If-Match is a 412
// and changes nothing.

func (a *API) catalogAdminRoutes() []Route {
	return append([]Route{
		{"GET", "/api/v1/admin/products", a.admin(a.adminProducts), ""},
		{"POST", "/api/v1/admin/products", a.admin(a.createProduct), ""},
		{"GET", "/api/v1/admin/products/{id}", a.admin(a.adminProduct), ""},
		{"PATCH", "/api/v1/admin/products/{id}", a.admin(a.patchProduct), ""},
		{"DELETE", "/api/v1/admin/products/{id}", a.admin(a.deleteProduct), ""},
		{"POST", "/api/v1/admin/products/{id}/duplicate", a.admin(a.duplicateProduct), ""},
		{"POST", "/api/v1/admin/products/{id}/archive", a.admin(a.productStatus(catalog.StatusArchived)), ""},
		{"POST", "/api/v1/admin/products/{id}/restore", a.admin(a.productStatus(catalog.StatusDraft)), ""},
		{"GET", "/api/v1/admin/categories", a.admin(a.adminCategories), ""},
		{"POST", "/api/v1/admin/categories", a.admin(a.createCategory), ""},
		{"PATCH", "/api/v1/admin/categories/{id}", a.admin(a.patchCategory), ""},
		{"DELETE", "/api/v1/admin/categories/{id}", a.admin(a.deleteCategory), ""},
		{"GET", "/api/v1/admin/catalog-audit", a.admin(a.catalogAudit), ""},
	}, a.catalogBulkRoutes()...)
}

// staffActor is the audit log's name for the caller.
func staffActor(u *account.User) catalog.Actor { return catalog.Actor{ID: u.ID, Name: u.Email} }

func resourceID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, ocean.Errorf(ocean.ENOTFOUND, "There is no such %s.", what)
	}
	return id, nil
}

type adminVariantJSON struct {
	ID        string            `json:"id"`
	SKU       string            `json:"sku"`
	Options   map[string]string `json:"options"`
	Price     ocean.Money       `json:"price"`
	CompareAt *ocean.Money      `json:"compare_at_price"`
	Weight    int               `json:"weight"`
	Barcode   string            `json:"barcode"`
	Stock     int               `json:"stock"`
}

type adminProductJSON struct {
	ID              string             `json:"id"`
	Name            string             `json:"name"`
	Slug            string             `json:"slug"`
	Brand           string             `json:"brand"`
	Description     string             `json:"description"`
	DescriptionHTML string             `json:"description_html"`
	CategoryID      string             `json:"category_id"`
	Status          string             `json:"status"`
	Version         int64              `json:"version"`
	Options         []catalog.Option   `json:"options"`
	Variants        []adminVariantJSON `json:"variants"`
	CreatedAt       time.Time          `json:"created_at"`
	UpdatedAt       time.Time          `json:"updated_at"`
}

func toAdminProduct(p *catalog.Product) adminProductJSON {
	out := adminProductJSON{ID: strconv.FormatInt(p.ID, 10), Name: p.Name, Slug: p.Slug, Brand: p.Brand, Description: p.Description,
		DescriptionHTML: catalog.RenderDescription(p.Description), CategoryID: strconv.FormatInt(p.CategoryID, 10),
		Status: p.Status, Version: p.Version, Options: p.Options, Variants: []adminVariantJSON{},
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	if out.Options == nil {
		out.Options = []catalog.Option{}
	}
	for _, v := range p.Variants {
		vj := adminVariantJSON{ID: strconv.FormatInt(v.ID, 10), SKU: v.SKU, Options: v.Options, Price: v.Price, Weight: v.Weight, Barcode: v.Barcode, Stock: v.Stock}
		if vj.Options == nil {
			vj.Options = map[string]string{}
		}
		if v.CompareAt.Amount != 0 {
			ca := v.CompareAt
			vj.CompareAt = &ca
		}
		out.Variants = append(out.Variants, vj)
	}
	return out
}

func writeProduct(w http.ResponseWriter, status int, p *catalog.Product) {
	etag(w, p.Version)
	httpx.WriteJSON(w, status, toAdminProduct(p))
}

type adminRowJSON struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Slug       string      `json:"slug"`
	Status     string      `json:"status"`
	Version    int64       `json:"version"`
	CategoryID string      `json:"category_id"`
	PriceMin   ocean.Money `json:"price_min"`
	PriceMax   ocean.Money `json:"price_max"`
	Variants   int         `json:"variants"`
	Stock      int         `json:"stock"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

func (a *API) adminProducts(w http.ResponseWriter, r *http.Request, _ *account.User) {
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			fail(w, r, ocean.Invalid("The product list query is not valid.", ocean.FieldError{Field: "limit", Message: "must be 1-100"}))
			return
		}
		limit = n
	}
	page, err := a.Catalog.AdminProducts(r.Context(), q.Get("status"), q.Get("q"), q.Get("cursor"), limit)
	if err != nil {
		fail(w, r, err)
		return
	}
	items := make([]adminRowJSON, 0, len(page.Items))
	for _, p := range page.Items {
		items = append(items, adminRowJSON{ID: strconv.FormatInt(p.ID, 10), Name: p.Name, Slug: p.Slug, Status: p.Status, Version: p.Version,
			CategoryID: strconv.FormatInt(p.CategoryID, 10), PriceMin: p.PriceMin, PriceMax: p.PriceMax, Variants: p.Variants, Stock: p.Stock, UpdatedAt: p.UpdatedAt.UTC()})
	}
	var next *string
	if page.NextCursor != "" {
		next = &page.NextCursor
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
}

type variantIn struct {
	ID        string            `json:"id"`
	SKU       *string           `json:"sku"`
	Options   map[string]string `json:"options"`
	Price     *ocean.Money      `json:"price"`
	CompareAt *ocean.Money      `json:"compare_at_price"`
	Weight    *int              `json:"weight"`
	Barcode   *string           `json:"barcode"`
	Stock     *int              `json:"stock"`
}

type productIn struct {
	Name        *string          `json:"name"`
	Slug        *string          `json:"slug"`
	Brand       *string          `json:"brand"`
	Description *string          `json:"description"`
	CategoryID  *string          `json:"category_id"`
	Status      *string          `json:"status"`
	Options     []catalog.Option `json:"options"`
	Variants    []variantIn      `json:"variants"`
	// RemoveVariants names variants a PATCH deletes.
	RemoveVariants []string `json:"remove_variants"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// apply writes in's fields onto v (a new variant, or one being patched).
func (in variantIn) apply(v *catalog.Variant) {
	if in.SKU != nil {
		v.SKU = *in.SKU
	}
	if in.Options != nil {
		v.Options = in.Options
	}
	if in.Price != nil {
		v.Price = *in.Price
	}
	if in.CompareAt != nil {
		v.CompareAt = *in.CompareAt
	}
	if in.Weight != nil {
		v.Weight = *in.Weight
	}
	if in.Barcode != nil {
		v.Barcode = *in.Barcode
	}
	if in.Stock != nil {
		v.Stock, v.KeepStock = *in.Stock, false
	}
}

func categoryID(s *string, field string) (int64, error) {
	if s == nil || *s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(*s, 10, 64)
	if err != nil || id < 1 {
		return 0, ocean.Invalid("The category is not valid.", ocean.FieldError{Field: field, Message: "must be the id of an existing category"})
	}
	return id, nil
}

func (a *API) createProduct(w http.ResponseWriter, r *http.Request, u *account.User) {
	var in productIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	cid, err := categoryID(in.CategoryID, "category_id")
	if err != nil {
		fail(w, r, err)
		return
	}
	p := &catalog.Product{Name: str(in.Name), Slug: str(in.Slug), Brand: str(in.Brand), Description: str(in.Description), CategoryID: cid, Status: str(in.Status), Options: in.Options}
	for _, vi := range in.Variants {
		var v catalog.Variant
		vi.apply(&v)
		p.Variants = append(p.Variants, v)
	}
	if err := a.Catalog.Create(r.Context(), staffActor(u), p); err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/admin/products/"+strconv.FormatInt(p.ID, 10))
	writeProduct(w, http.StatusCreated, p)
}

func (a *API) adminProduct(w http.ResponseWriter, r *http.Request, _ *account.User) {
	id, err := resourceID(r, "product")
	if err != nil {
		fail(w, r, err)
		return
	}
	p, err := a.Catalog.ProductByID(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeProduct(w, http.StatusOK, p)
}

// patchProduct changes the fields given: name, slug, brand, description,
// category, status, options (replaced whole), variants (merged by id; one
// without an id is added) and remove_variants. The answer is 204 with the
// new version in ETag, as it always was; with Prefer: return=representation
// it is 200 and the product.
func (a *API) patchProduct(w http.ResponseWriter, r *http.Request, u *account.User) {
	id, err := resourceID(r, "product")
	if err != nil {
		fail(w, r, err)
		return
	}
	cond, err := readIfMatch(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var in productIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	p, err := a.Catalog.ProductByID(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := in.patch(p); err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Catalog.Save(r.Context(), staffActor(u), p, cond.version()); err != nil {
		fail(w, r, err)
		return
	}
	if strings.Contains(r.Header.Get("Prefer"), "return=representation") {
		writeProduct(w, http.StatusOK, p)
		return
	}
	etag(w, p.Version)
	w.WriteHeader(http.StatusNoContent)
}

// patch applies a PATCH body to the stored product p.
func (in productIn) patch(p *catalog.Product) error {
	if in.Name != nil {
		p.Name = *in.Name
	}
	if in.Slug != nil {
		p.Slug = *in.Slug
		if p.Slug == "" {
			return ocean.Invalid("The product is not valid.", ocean.FieldError{Field: "slug", Message: "must be 1-80 lowercase letters, digits and dashes"})
		}
	}
	if in.Brand != nil {
		p.Brand = *in.Brand
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.Status != nil {
		p.Status = *in.Status
		if p.Status == "" {
			return ocean.Invalid("The product is not valid.", ocean.FieldError{Field: "status", Message: "must be draft, active or archived"})
		}
	}
	if in.CategoryID != nil {
		cid, err := categoryID(in.CategoryID, "category_id")
		if err != nil {
			return err
		}
		p.CategoryID = cid
	}
	if in.Options != nil {
		p.Options = in.Options
	}
	for i := range p.Variants {
		p.Variants[i].KeepStock = true
	}
	byID := map[string]int{}
	for i, v := range p.Variants {
		byID[strconv.FormatInt(v.ID, 10)] = i
	}
	currency := ""
	for i, vi := range in.Variants {
		if vi.Price != nil {
			if currency != "" && vi.Price.Currency != currency {
				return ocean.Invalid("All prices must be in one currency.", ocean.FieldError{Field: "variants[" + strconv.Itoa(i) + "].price.currency", Message: "differs from the other prices"})
			}
			currency = vi.Price.Currency
		}
		if vi.ID == "" {
			var v catalog.Variant
			vi.apply(&v)
			p.Variants = append(p.Variants, v)
			continue
		}
		j, ok := byID[vi.ID]
		if !ok {
			return ocean.Invalid("A variant is not valid.", ocean.FieldError{Field: "variants[" + strconv.Itoa(i) + "].id", Message: "is not a variant of this product"})
		}
		vi.apply(&p.Variants[j])
	}
	if len(in.RemoveVariants) > 0 {
		drop := map[string]bool{}
		for i, id := range in.RemoveVariants {
			if _, ok := byID[id]; !ok {
				return ocean.Invalid("A variant is not valid.", ocean.FieldError{Field: "remove_variants[" + strconv.Itoa(i) + "]", Message: "is not a variant of this product"})
			}
			drop[id] = true
		}
		kept := p.Variants[:0]
		for _, v := range p.Variants {
			if v.ID == 0 || !drop[strconv.FormatInt(v.ID, 10)] {
				kept = append(kept, v)
			}
		}
		p.Variants = kept
	}
	return nil
}

func (a *API) deleteProduct(w http.ResponseWriter, r *http.Request, u *account.User) {
	id, err := resourceID(r, "product")
	if err != nil {
		fail(w, r, err)
		return
	}
	cond, err := readIfMatch(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Catalog.Delete(r.Context(), staffActor(u), id, cond.version()); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) duplicateProduct(w http.ResponseWriter, r *http.Request, u *account.User) {
	id, err := resourceID(r, "product")
	if err != nil {
		fail(w, r, err)
		return
	}
	p, err := a.Catalog.Duplicate(r.Context(), staffActor(u), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/admin/products/"+strconv.FormatInt(p.ID, 10))
	writeProduct(w, http.StatusCreated, p)
}

// productStatus archives a product, or restores an archived one as a draft.
func (a *API) productStatus(status string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, u *account.User) {
		id, err := resourceID(r, "product")
		if err != nil {
			fail(w, r, err)
			return
		}
		cond, err := readIfMatch(r)
		if err != nil {
			fail(w, r, err)
			return
		}
		p, err := a.Catalog.SetStatus(r.Context(), staffActor(u), id, cond.version(), status)
		if err != nil {
			fail(w, r, err)
			return
		}
		writeProduct(w, http.StatusOK, p)
	}
}

type adminCategoryJSON struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Slug     string  `json:"slug"`
	ParentID *string `json:"parent_id"`
	Position int     `json:"position"`
	Version  int64   `json:"version"`
}

func toAdminCategory(c *catalog.Category) adminCategoryJSON {
	out := adminCategoryJSON{ID: strconv.FormatInt(c.ID, 10), Name: c.Name, Slug: c.Slug, Position: c.Position, Version: c.Version}
	if c.ParentID != 0 {
		p := strconv.FormatInt(c.ParentID, 10)
		out.ParentID = &p
	}
	return out
}

func (a *API) adminCategories(w http.ResponseWriter, r *http.Request, _ *account.User) {
	tree, err := a.Catalog.Categories(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	items := []adminCategoryJSON{}
	var walk func([]*catalog.Category)
	walk = func(cs []*catalog.Category) {
		for _, c := range cs {
			items = append(items, toAdminCategory(c))
			walk(c.Children)
		}
	}
	walk(tree.Roots)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

type categoryIn struct {
	Name     *string `json:"name"`
	Slug     *string `json:"slug"`
	ParentID *string `json:"parent_id"`
	Position *int    `json:"position"`
}

func (in categoryIn) apply(c *catalog.Category) error {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.Slug != nil {
		c.Slug = *in.Slug
		if c.Slug == "" {
			return ocean.Invalid("The category is not valid.", ocean.FieldError{Field: "slug", Message: "must be 1-80 lowercase letters, digits and dashes"})
		}
	}
	if in.ParentID != nil {
		pid, err := categoryID(in.ParentID, "parent_id")
		if err != nil {
			return err
		}
		c.ParentID = pid
	}
	if in.Position != nil {
		c.Position = *in.Position
	}
	return nil
}

func (a *API) createCategory(w http.ResponseWriter, r *http.Request, u *account.User) {
	var in categoryIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	c := &catalog.Category{}
	if in.Slug != nil && *in.Slug == "" {
		in.Slug = nil // generated from the name
	}
	if err := in.apply(c); err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Catalog.AddCategory(r.Context(), staffActor(u), c); err != nil {
		fail(w, r, err)
		return
	}
	etag(w, c.Version)
	httpx.WriteJSON(w, http.StatusCreated, toAdminCategory(c))
}

func (a *API) patchCategory(w http.ResponseWriter, r *http.Request, u *account.User) {
	id, err := resourceID(r, "category")
	if err != nil {
		fail(w, r, err)
		return
	}
	cond, err := readIfMatch(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var in categoryIn
	if err := decode(w, r, &in); err != nil {
		fail(w, r, err)
		return
	}
	c, err := a.Catalog.Category(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := in.apply(c); err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Catalog.UpdateCategory(r.Context(), staffActor(u), c, cond.version()); err != nil {
		fail(w, r, err)
		return
	}
	etag(w, c.Version)
	httpx.WriteJSON(w, http.StatusOK, toAdminCategory(c))
}

func (a *API) deleteCategory(w http.ResponseWriter, r *http.Request, u *account.User) {
	id, err := resourceID(r, "category")
	if err != nil {
		fail(w, r, err)
		return
	}
	cond, err := readIfMatch(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := a.Catalog.DeleteCategory(r.Context(), staffActor(u), id, cond.version()); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type auditJSON struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Entity   string    `json:"entity"`
	EntityID string    `json:"entity_id"`
	Action   string    `json:"action"`
	Version  int64     `json:"version"`
	Changed  []string  `json:"changed"`
	Before   any       `json:"before"`
	After    any       `json:"after"`
}

func rawJSON(s string) any {
	if s == "" {
		return nil
	}
	return jsonText(s)
}

// jsonText is JSON the store already encoded, written as is.
type jsonText string

func (j jsonText) MarshalJSON() ([]byte, error) { return []byte(j), nil }

// catalogAudit lists catalog changes, newest first:
// ?entity=product&entity_id=12&cursor=.
func (a *API) catalogAudit(w http.ResponseWriter, r *http.Request, _ *account.User) {
	q := r.URL.Query()
	f := catalog.AuditFilter{Entity: q.Get("entity"), Limit: 50}
	var fe []ocean.FieldError
	switch f.Entity {
	case "", catalog.EntityProduct, catalog.EntityVariant, catalog.EntityCategory:
	default:
		fe = append(fe, ocean.FieldError{Field: "entity", Message: "must be product, variant or category"})
	}
	for field, dst := range map[string]*int64{"entity_id": &f.EntityID, "cursor": &f.Before} {
		if v := q.Get(field); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				fe = append(fe, ocean.FieldError{Field: field, Message: "must be an id this API gave"})
			}
			*dst = n
		}
	}
	if fe != nil {
		fail(w, r, ocean.Invalid("The audit query is not valid.", fe...))
		return
	}
	entries, err := a.Catalog.AuditLog(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	items := make([]auditJSON, 0, len(entries))
	for _, e := range entries {
		ch := e.Changed()
		if ch == nil {
			ch = []string{}
		}
		items = append(items, auditJSON{ID: strconv.FormatInt(e.ID, 10), At: e.At.UTC(), Actor: e.Actor, Entity: e.Entity,
			EntityID: strconv.FormatInt(e.EntityID, 10), Action: e.Action, Version: e.Version, Changed: ch, Before: rawJSON(e.Before), After: rawJSON(e.After)})
	}
	var next *string
	if len(entries) == f.Limit {
		n := strconv.FormatInt(entries[len(entries)-1].ID, 10)
		next = &n
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
}
