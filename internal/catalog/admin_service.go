package catalog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// The merchant's side of the catalog: products in every status, categories
// as a tree, versions for optimistic concurrency and the audit log. Every
// write normalises and validates its input, lets the store write it in one
// transaction (rows, search index, stock ledger, audit entry), then
// invalidates what it changed (SaveTags) so every instance serves the change.

// Create adds a product from the admin: normalised (a slug from the name,
// status draft unless given, option values in one spelling) and validated.
func (s *Service) Create(ctx context.Context, a Actor, p *Product) error {
	p.Normalize()
	if err := s.check(ctx, p); err != nil {
		return err
	}
	defer func() { s.cache.InvalidateTags(ctx, TagProduct(p.ID), TagListings, TagPrices, TagStock) }()
	return s.store.CreateProduct(ctx, p, a)
}

// check validates p and that its category exists.
// checkPublish refuses to make product p active while one of its
// pictures has no alt text: a shopper who cannot see it would be told
// nothing. wasActive: it is active already (a save of a live product).
func (s *Service) checkPublish(ctx context.Context, p *Product, wasActive bool) error {
	if p.ID == 0 || p.Status != StatusActive || wasActive {
		return nil
	}
	n, err := s.store.PicturesWithoutAlt(ctx, p.ID)
	if err != nil {
		return err
	}
	if n > 0 {
		return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("Describe every picture (alt text) before the product is published: %d still need it.", n),
			Fields: []ocean.FieldError{{Field: "images", Message: "every picture needs alt text before the product is published"}}}
	}
	return nil
}

func (s *Service) check(ctx context.Context, p *Product) error {
	verr := p.Validate()
	tree, err := s.Categories(ctx)
	if err != nil {
		return err
	}
	if _, ok := tree.ByID(p.CategoryID); !ok {
		fe := append(ocean.ErrorFields(verr), ocean.FieldError{Field: "category_id", Message: "must be an existing category"})
		return ocean.Invalid("The product is not valid.", fe...)
	}
	return verr
}

// ProductByID returns a product in any status, for the admin.
func (s *Service) ProductByID(ctx context.Context, id int64) (*Product, error) {
	if id < 1 {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no such product.")
	}
	return s.store.ProductByID(ctx, id)
}

// Save replaces product p.ID with p if its version is still version (0:
// skip the check). ESTALE when someone saved in between: nothing changes.
func (s *Service) Save(ctx context.Context, a Actor, p *Product, version int64) error {
	p.Normalize()
	if err := s.check(ctx, p); err != nil {
		return err
	}
	if p.Status == StatusActive && p.ID != 0 {
		cur, err := s.store.ProductByID(ctx, p.ID)
		if err != nil {
			return err
		}
		if err := s.checkPublish(ctx, p, cur.Status == StatusActive); err != nil {
			return err
		}
	}
	// What the save drops depends on what it changes: compared with the
	// product as it is now, which is what the store writes over when the
	// version still matches. Without a version (or a product to compare)
	// every listing goes.
	var before *Product
	if version != 0 {
		if b, err := s.store.ProductByID(ctx, p.ID); err == nil && b.Version == version {
			before = b
		}
	}
	defer func() { s.cache.InvalidateTags(ctx, SaveTags(before, p)...) }()
	return s.store.SaveProduct(ctx, p, version, a)
}

// SetStatus archives a product, restores an archived one (as a draft) or
// publishes one: status is the new status.
func (s *Service) SetStatus(ctx context.Context, a Actor, id, version int64, status string) (*Product, error) {
	if !ValidStatus(status) {
		return nil, ocean.Invalid("The status is not valid.", ocean.FieldError{Field: "status", Message: "must be draft, active or archived"})
	}
	p, err := s.ProductByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if version != 0 && p.Version != version {
		return nil, stale("product")
	}
	wasActive := p.Status == StatusActive
	p.Status = status
	for i := range p.Variants {
		p.Variants[i].KeepStock = true
	}
	p.Normalize()
	if err := s.check(ctx, p); err != nil {
		return nil, err
	}
	if err := s.checkPublish(ctx, p, wasActive); err != nil {
		return nil, err
	}
	// A status change moves the product in or out of every listing.
	defer s.cache.InvalidateTags(ctx, TagProduct(id), TagListings, TagPrices, TagStock)
	if err := s.store.SaveProduct(ctx, p, p.Version, a); err != nil {
		return nil, err
	}
	return p, nil
}

func stale(what string) error {
	return ocean.Errorf(ocean.ESTALE, "The %s was changed by someone else since you loaded it; nothing was saved. Load it again and redo your change.", what)
}

// Duplicate copies a product as a new draft: "Copy of …", a free slug, SKUs
// with a -COPY suffix, no stock. It returns the copy.
func (s *Service) Duplicate(ctx context.Context, a Actor, id int64) (*Product, error) {
	src, err := s.ProductByID(ctx, id)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for n := 1; n <= 20; n++ {
		suffix := "-copy"
		sku := "-COPY"
		if n > 1 {
			suffix += "-" + strconv.Itoa(n)
			sku += strconv.Itoa(n)
		}
		cp := &Product{Name: cut("Copy of "+src.Name, 200), Slug: cut(src.Slug, 80-len(suffix)) + suffix,
			Brand: src.Brand, Description: src.Description, CategoryID: src.CategoryID, Status: StatusDraft}
		for _, o := range src.Options {
			cp.Options = append(cp.Options, Option{Name: o.Name, Values: append([]string(nil), o.Values...)})
		}
		for _, v := range src.Variants {
			nv := Variant{SKU: cut(v.SKU, 64-len(sku)) + sku, Options: map[string]string{}, Price: v.Price,
				CompareAt: v.CompareAt, Weight: v.Weight}
			for k, val := range v.Options {
				nv.Options[k] = val
			}
			cp.Variants = append(cp.Variants, nv)
		}
		lastErr = s.Create(ctx, a, cp)
		if ocean.ErrorCode(lastErr) != ocean.ECONFLICT {
			if lastErr != nil {
				return nil, lastErr
			}
			return cp, nil
		}
	}
	return nil, lastErr
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return strings.TrimRight(s[:n], "-")
}

// Delete removes a draft product (EUNPROCESSABLE for any other status:
// archive those).
func (s *Service) Delete(ctx context.Context, a Actor, id, version int64) error {
	defer s.cache.InvalidateTags(ctx, TagProduct(id), TagListings, TagPrices, TagStock)
	return s.store.DeleteProduct(ctx, id, version, a)
}

// AdminPage is one page of the admin's product list.
type AdminPage struct {
	Items      []AdminRow
	NextCursor string
}

// AdminProducts lists products of any status (or one), matching q, newest
// first; cursor is the NextCursor of the page before.
func (s *Service) AdminProducts(ctx context.Context, status, q, cursor string, limit int) (*AdminPage, error) {
	var fe []ocean.FieldError
	if status != "" && !ValidStatus(status) {
		fe = append(fe, ocean.FieldError{Field: "status", Message: "must be draft, active or archived"})
	}
	var after int64
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 1 {
			fe = append(fe, ocean.FieldError{Field: "cursor", Message: "is not a cursor this list gave"})
		}
		after = n
	}
	if utf8.RuneCountInString(q) > MaxQueryRunes {
		fe = append(fe, ocean.FieldError{Field: "q", Message: "is too long"})
	}
	if fe != nil {
		return nil, ocean.Invalid("The product list query is not valid.", fe...)
	}
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	rows, err := s.store.AdminProducts(ctx, AdminFilter{Status: status, Terms: ParseTerms(q), After: after, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("admin products: %w", err)
	}
	page := &AdminPage{Items: rows}
	if len(rows) > limit {
		page.Items = rows[:limit]
		page.NextCursor = strconv.FormatInt(rows[limit-1].ID, 10)
	}
	return page, nil
}

// AddCategory creates a category (a slug from the name when none is given)
// under an existing parent, or at the top (ParentID 0).
func (s *Service) AddCategory(ctx context.Context, a Actor, c *Category) error {
	c.Name = strings.Join(strings.Fields(c.Name), " ")
	if c.Slug == "" {
		c.Slug = Slugify(c.Name)
	}
	if err := s.checkCategory(ctx, c); err != nil {
		return err
	}
	defer s.cache.Invalidate(ctx)
	return s.store.CreateCategory(ctx, c, a)
}

// checkCategory validates c's fields and its place in the tree: the parent
// exists and is neither c nor one of c's descendants.
func (s *Service) checkCategory(ctx context.Context, c *Category) error {
	verr := c.ValidateCategory()
	if c.ParentID == 0 {
		return verr
	}
	tree, err := s.Categories(ctx)
	if err != nil {
		return err
	}
	bad := false
	if _, ok := tree.ByID(c.ParentID); !ok || c.ParentID == c.ID {
		bad = true
	} else if self, ok := tree.ByID(c.ID); ok && c.ID != 0 {
		for _, id := range tree.Subtree(self) {
			if id == c.ParentID {
				bad = true
			}
		}
	}
	if bad {
		fe := append(ocean.ErrorFields(verr), ocean.FieldError{Field: "parent_id", Message: "must be an existing category outside this one"})
		return ocean.Invalid("The category is not valid.", fe...)
	}
	return verr
}

// Category returns a category by id, or ENOTFOUND.
func (s *Service) Category(ctx context.Context, id int64) (*Category, error) {
	tree, err := s.Categories(ctx)
	if err != nil {
		return nil, err
	}
	c, ok := tree.ByID(id)
	if !ok {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no such category.")
	}
	cp := *c
	cp.Children = nil
	return &cp, nil
}

// UpdateCategory renames, moves (a new parent) or reorders (a new
// position) category c.ID if its version is still version (0: skip).
func (s *Service) UpdateCategory(ctx context.Context, a Actor, c *Category, version int64) error {
	c.Name = strings.Join(strings.Fields(c.Name), " ")
	if err := s.checkCategory(ctx, c); err != nil {
		return err
	}
	defer s.cache.Invalidate(ctx)
	return s.store.UpdateCategory(ctx, c, version, a)
}

// DeleteCategory removes an empty category: ECONFLICT while products or
// other categories are in it.
func (s *Service) DeleteCategory(ctx context.Context, a Actor, id, version int64) error {
	defer s.cache.Invalidate(ctx)
	return s.store.DeleteCategory(ctx, id, version, a)
}

// AuditLog returns catalog changes, newest first (at most 200 a page).
func (s *Service) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return s.store.AuditLog(ctx, f)
}

// ChangesSince returns what others changed in a product after version, oldest
// first: what the admin shows when a save is refused as stale.
func (s *Service) ChangesSince(ctx context.Context, entity string, id, version int64) ([]AuditEntry, error) {
	all, err := s.store.AuditLog(ctx, AuditFilter{Entity: entity, EntityID: id, Limit: 50})
	if err != nil {
		return nil, err
	}
	var out []AuditEntry
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Version > version {
			out = append(out, all[i])
		}
	}
	return out, nil
}
