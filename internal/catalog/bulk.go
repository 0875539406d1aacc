package catalog

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
)

// Bulk import and export of the catalog as CSV (decision 0090). An export
// streams every product in every status; an import is planned against the
// catalog as it is (a dry run stops there and shows the plan row by row)
// and then written by the store in one transaction: products matched by
// handle, variants by SKU, stock set through the ledger, nothing written
// at all when one row is refused.

// BulkImage is a product picture as the CSV file names it: the address of
// its largest rendition, the renditions' content hash and its alt text.
type BulkImage struct {
	Hash string
	URL  string
	Alt  string
}

// BulkProduct is a product with its pictures, as an export writes it.
type BulkProduct struct {
	Product
	Images []BulkImage
}

// ImportBatch is what a real import writes, in one transaction.
type ImportBatch struct {
	// Categories are created first (top level); their IDs are set.
	Categories []*Category
	Items      []ImportItem
	// Reason is the stock ledger's reason for the stock the file sets.
	Reason string
	// Progress, when set, is called after each item is written, with the
	// number of items written so far.
	Progress func(done int)
}

// ImportItem is one product of an import.
type ImportItem struct {
	// Product is created when its ID is 0, else saved if its version is
	// still Version (ESTALE otherwise). Nil when only pictures change.
	Product *Product
	// ProductID is the product whose pictures change when Product is nil.
	ProductID int64
	Version   int64
	// Rows is how many rows of the file the item is (for progress).
	Rows int
	// NewCategory (1-based) puts the product in Categories[NewCategory-1].
	NewCategory int
	// Link are pictures appended to the product (the renditions another
	// picture of the shop with the same Hash has); Alt sets the alt text
	// of pictures it has, by hash.
	Link []BulkImage
	Alt  map[string]string
}

// Import actions of a row.
const (
	ImportCreate    = "create"
	ImportUpdate    = "update"
	ImportUnchanged = "unchanged"
	ImportRefused   = "refused"
)

// ImportRow is what the import does with one row of the file.
type ImportRow struct {
	Row     int      `json:"row"`
	Handle  string   `json:"handle"`
	SKU     string   `json:"sku,omitempty"`
	Action  string   `json:"action"`
	Changes []string `json:"changes,omitempty"` // the fields it changes
	Notes   []string `json:"notes,omitempty"`
}

// ImportReport is the plan (dry run) or the outcome of an import.
type ImportReport struct {
	DryRun bool `json:"dry_run"`
	// Products created, updated and unchanged (refused rows not counted).
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Variants is the number of variant rows read.
	Variants int `json:"variants"`
	// NewCategories are the categories the import creates for Type
	// values that name none of the shop's.
	NewCategories []string      `json:"new_categories"`
	Rows          []ImportRow   `json:"rows"`
	Errors        []ImportError `json:"errors"`
}

// ImportOptions tune an import.
type ImportOptions struct {
	Currency string // the shop's; prices in the file are in it
	DryRun   bool
	// OwnHost is the shop's host: an absolute Image Src on it is one of
	// the shop's pictures like a /media/ path is.
	OwnHost string
	// Progress, when set, hears how far the import is (decision 0130):
	// the rows checked against the catalog, then (a real run) the rows
	// written in the transaction. It is told each phase's start and end
	// and at most about a hundred steps between, in the import's
	// goroutine; a real run's write progress is of a transaction that
	// may still roll back.
	Progress func(ImportProgress)
}

// Import phases.
const (
	PhaseCheck = "check" // rows planned against the catalog
	PhaseWrite = "write" // rows written (a real run)
)

// ImportProgress is how far an import is: Done of Total rows of Phase.
type ImportProgress struct {
	Phase string `json:"phase"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

// progress tells opt.Progress of a phase: its start, its end and about
// every hundredth of the way, so a 50,000-row file is a few hundred calls.
type progress struct {
	fn    func(ImportProgress)
	phase string
	total int
	next  int
}

func newProgress(fn func(ImportProgress), phase string, total int) *progress {
	p := &progress{fn: fn, phase: phase, total: total}
	p.report(0)
	return p
}

func (p *progress) report(done int) {
	if p == nil || p.fn == nil {
		return
	}
	if done < p.next && done < p.total {
		return
	}
	p.next = done + max(p.total/100, 1)
	p.fn(ImportProgress{Phase: p.phase, Done: min(done, p.total), Total: p.total})
}

// ImportReason is the stock ledger's reason for a level an import sets.
const ImportReason = "set by CSV import"

// Export writes every product in every status as CSV to w, a page of
// products at a time, so a large catalog streams.
func (s *Service) Export(ctx context.Context, w io.Writer) error {
	cats, err := s.store.Categories(ctx)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	names := categoryNames(cats)
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	var after int64
	for {
		page, err := s.store.BulkProducts(ctx, after, 200)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		for i := range page {
			for _, rec := range exportRows(&page[i], names[page[i].CategoryID]) {
				if err := cw.Write(rec); err != nil {
					return err
				}
			}
			after = page[i].ID
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if len(page) < 200 {
			return nil
		}
	}
}

// categoryNames is what an export writes in Type for each category: its
// name, or its slug when two categories share the name.
func categoryNames(cats []Category) map[int64]string {
	seen := map[string]int{}
	for _, c := range cats {
		seen[strings.ToLower(c.Name)]++
	}
	out := map[int64]string{}
	for _, c := range cats {
		out[c.ID] = c.Name
		if seen[strings.ToLower(c.Name)] > 1 {
			out[c.ID] = c.Slug
		}
	}
	return out
}

// exportRows are the rows of one product: one per variant, the product's
// columns on the first, then a row per picture beyond the variants.
func exportRows(p *BulkProduct, category string) [][]string {
	n := max(len(p.Variants), len(p.Images), 1)
	out := make([][]string, 0, n)
	col := map[string]int{}
	for i, c := range CSVColumns {
		col[c] = i
	}
	for i := 0; i < n; i++ {
		rec := make([]string, len(CSVColumns))
		set := func(c, v string) { rec[col[c]] = escapeCell(v) }
		set(ColHandle, p.Slug)
		if i == 0 {
			set(ColTitle, p.Name)
			set(ColBody, p.Description)
			set(ColVendor, p.Brand)
			set(ColType, category)
			set(ColStatus, p.Status)
			for k, o := range p.Options {
				if k < 3 {
					set(ColOptionName(k+1), o.Name)
				}
			}
		}
		if i < len(p.Variants) {
			v := p.Variants[i]
			for k, o := range p.Options {
				if k < 3 {
					set(ColOptionValue(k+1), v.Options[o.Name])
				}
			}
			set(ColSKU, v.SKU)
			rec[col[ColPrice]] = FormatMajor(v.Price.Amount, v.Price.Currency)
			if v.CompareAt.Amount != 0 {
				rec[col[ColCompareAt]] = FormatMajor(v.CompareAt.Amount, v.Price.Currency)
			}
			rec[col[ColGrams]] = strconv.Itoa(v.Weight)
			set(ColBarcode, v.Barcode)
			rec[col[ColQty]] = strconv.Itoa(v.Stock)
		}
		if i < len(p.Images) {
			set(ColImageSrc, p.Images[i].URL)
			set(ColImageAlt, p.Images[i].Alt)
		}
		out = append(out, rec)
	}
	return out
}

// escapeCell keeps a spreadsheet from running a cell as a formula: text
// that starts with = + - @ gets a leading apostrophe, which the import
// takes off again.
func escapeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func unescapeCell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

// Import reads a CSV file and plans it against the catalog: what it
// creates, updates, leaves unchanged and refuses, row by row. A dry run
// returns the plan. Otherwise a file with a refused row writes nothing and
// returns the report with an EUNPROCESSABLE error listing every refusal;
// a good file is written in one transaction (ESTALE, and nothing written,
// if a product changed between the plan and the write).
func (s *Service) Import(ctx context.Context, a Actor, r io.Reader, opt ImportOptions) (*ImportReport, error) {
	if len(opt.Currency) != 3 {
		return nil, fmt.Errorf("import: no shop currency")
	}
	rep := &ImportReport{DryRun: opt.DryRun, NewCategories: []string{}, Rows: []ImportRow{}, Errors: []ImportError{}}
	f, errs := parseCSV(r, opt.Currency)
	rep.Errors = append(rep.Errors, errs...)
	if f == nil {
		return rep, importFailed(rep)
	}
	pl, err := s.newPlanner(ctx, f, opt)
	if err != nil {
		return nil, err
	}
	for _, e := range errs {
		pl.refused[e.Row] = true
	}
	batch := &ImportBatch{Reason: ImportReason}
	var checking *progress
	if opt.Progress != nil {
		checking = newProgress(opt.Progress, PhaseCheck, f.rows)
	}
	checked := 0
	for _, cp := range f.products {
		checking.report(checked)
		checked += cp.Rows
		rep.Variants += len(cp.Variants)
		item, rows, errs := pl.plan(cp)
		rep.Errors = append(rep.Errors, errs...)
		rep.Rows = append(rep.Rows, rows...)
		if len(errs) > 0 {
			continue
		}
		switch {
		case item == nil:
			rep.Unchanged++
		case item.Product != nil && item.Product.ID == 0:
			rep.Created++
		default:
			rep.Updated++
		}
		if item != nil {
			item.Rows = cp.Rows
			batch.Items = append(batch.Items, *item)
		}
	}
	checking.report(f.rows) // the end of the phase, blank rows included
	for _, c := range pl.newCats {
		rep.NewCategories = append(rep.NewCategories, c.Name)
	}
	batch.Categories = pl.newCats
	if len(rep.Errors) > maxImportErrors {
		rep.Errors = append(rep.Errors[:maxImportErrors], ImportError{Row: rep.Errors[maxImportErrors].Row, Message: "and more refusals: fix these first"})
	}
	markRefused(rep)
	if len(rep.Errors) > 0 {
		if opt.DryRun {
			return rep, nil
		}
		return rep, importFailed(rep)
	}
	if opt.DryRun || len(batch.Items) == 0 {
		return rep, nil
	}
	if opt.Progress != nil {
		total := 0
		for _, it := range batch.Items {
			total += it.Rows
		}
		writing := newProgress(opt.Progress, PhaseWrite, total)
		written := 0
		batch.Progress = func(done int) {
			written += batch.Items[done-1].Rows
			writing.report(written)
		}
	}
	defer s.cache.Invalidate(ctx)
	if err := s.store.ImportProducts(ctx, batch, a); err != nil {
		return nil, err
	}
	return rep, nil
}

// importFailed is the error of a real import with refused rows.
func importFailed(rep *ImportReport) error {
	fe := make([]ocean.FieldError, 0, len(rep.Errors))
	for _, e := range rep.Errors {
		field := "row " + strconv.Itoa(e.Row)
		if e.Column != "" {
			field += ": " + e.Column
		}
		fe = append(fe, ocean.FieldError{Field: field, Message: e.Message})
	}
	return &ocean.Error{Code: ocean.EUNPROCESSABLE, Fields: fe,
		Message: fmt.Sprintf("The file has %d refused cells; nothing was imported. Fix them and import the file again.", len(rep.Errors))}
}

// markRefused sorts the rows and marks those with an error refused.
func markRefused(rep *ImportReport) {
	bad := map[int][]string{}
	for _, e := range rep.Errors {
		bad[e.Row] = append(bad[e.Row], e.String())
	}
	sort.SliceStable(rep.Rows, func(i, j int) bool { return rep.Rows[i].Row < rep.Rows[j].Row })
	sort.SliceStable(rep.Errors, func(i, j int) bool { return rep.Errors[i].Row < rep.Errors[j].Row })
	for i := range rep.Rows {
		if msgs, ok := bad[rep.Rows[i].Row]; ok {
			rep.Rows[i].Action = ImportRefused
			rep.Rows[i].Changes = nil
			rep.Rows[i].Notes = append(rep.Rows[i].Notes, msgs...)
		}
	}
}

// planner holds what an import is planned against.
type planner struct {
	f        *csvFile
	opt      ImportOptions
	bySlug   map[string]*BulkProduct
	skuOwner map[string]string // SKU → the handle of the product that has it
	cats     []Category
	catByKey map[string][]int64 // lower-case name or slug → categories
	newCats  []*Category
	newByKey map[string]int // lower-case name → 1-based index in newCats
	images   map[string]BulkImage
	notOurs  map[string]bool
	refused  map[int]bool // rows refused already
}

func (s *Service) newPlanner(ctx context.Context, f *csvFile, opt ImportOptions) (*planner, error) {
	pl := &planner{f: f, opt: opt, bySlug: map[string]*BulkProduct{}, skuOwner: map[string]string{},
		catByKey: map[string][]int64{}, newByKey: map[string]int{}, images: map[string]BulkImage{}, notOurs: map[string]bool{}, refused: map[int]bool{}}
	cats, err := s.store.Categories(ctx)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	pl.cats = cats
	for _, c := range cats {
		for _, k := range []string{strings.ToLower(c.Name), c.Slug} {
			if !containsID(pl.catByKey[k], c.ID) {
				pl.catByKey[k] = append(pl.catByKey[k], c.ID)
			}
		}
	}
	var after int64
	for {
		page, err := s.store.BulkProducts(ctx, after, 500)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		for i := range page {
			p := &page[i]
			pl.bySlug[p.Slug] = p
			for _, v := range p.Variants {
				pl.skuOwner[v.SKU] = p.Slug
			}
			after = p.ID
		}
		if len(page) < 500 {
			break
		}
	}
	var urls []string
	for _, cp := range f.products {
		for _, im := range cp.Images {
			if path, ok := ownMediaPath(im.Src, opt.OwnHost); ok {
				urls = append(urls, path)
			} else {
				pl.notOurs[im.Src] = true
			}
		}
	}
	if len(urls) > 0 {
		found, err := s.store.ImagesByURL(ctx, urls)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		pl.images = found
	}
	return pl, nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// ownMediaPath returns the /media/ path of src when src is one of the
// shop's own picture addresses (a path, or an absolute URL on host).
func ownMediaPath(src, host string) (string, bool) {
	u, err := url.Parse(src)
	if err != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	if u.Scheme != "" || u.Host != "" {
		if (u.Scheme != "http" && u.Scheme != "https") || host == "" || !strings.EqualFold(u.Host, host) {
			return "", false
		}
	}
	if !strings.HasPrefix(u.Path, media.Prefix) || len(u.Path) == len(media.Prefix) {
		return "", false
	}
	return u.Path, true
}

// plan merges one handle's rows into the product as it is (or a new one)
// and returns what to write (nil when nothing changes), each row's action,
// and the cells refused.
func (pl *planner) plan(cp *csvProduct) (*ImportItem, []ImportRow, []ImportError) {
	var errs []ImportError
	refused := pl.refused
	bad := func(row int, col, msg string) {
		errs = append(errs, ImportError{Row: row, Column: col, Message: msg})
		refused[row] = true
	}
	ex := pl.bySlug[cp.Handle]
	p := &Product{Slug: cp.Handle, Status: StatusDraft}
	if ex != nil {
		p = cloneProduct(&ex.Product)
	}
	item := &ImportItem{Product: p}
	if ex != nil {
		item.Version = ex.Version
		item.ProductID = ex.ID
	}
	// The product's own columns.
	// An empty cell (or a column the file leaves out) keeps what an
	// existing product has.
	switch {
	case cp.Title != "":
		p.Name = unescapeCell(cp.Title)
	case ex == nil:
		bad(cp.Row, ColTitle, "is empty: a product needs a title")
	}
	if cp.Body != "" {
		p.Description = BodyToMarkdown(unescapeCell(cp.Body))
	}
	if cp.Vendor != "" {
		p.Brand = strings.Join(strings.Fields(unescapeCell(cp.Vendor)), " ")
	}
	switch {
	case cp.Type != "":
		pl.category(cp, p, item, bad)
	case ex == nil:
		bad(cp.Row, ColType, "is empty: a product needs a category (name one of the shop's or a new one)")
	}
	if cp.Status != "" {
		if ValidStatus(cp.Status) {
			p.Status = cp.Status
		} else {
			bad(cp.Row, ColStatus, "must be active, draft or archived")
		}
	}
	// Options: names from the first row, else the product's own.
	var names []string
	for n, name := range cp.OptionNames {
		name = NormalizeOptionName(unescapeCell(name))
		if name == "" {
			continue
		}
		if len(names) != n {
			bad(cp.Row, ColOptionName(n+1), fmt.Sprintf("needs Option%d Name filled first", n))
		}
		names = append(names, name)
	}
	if len(names) == 1 && names[0] == "title" && defaultTitleOnly(cp) {
		names = nil // Shopify's "Title: Default Title" for a product without options
	}
	if names == nil {
		for _, o := range p.Options {
			names = append(names, o.Name)
		}
	}
	// Variants, by SKU.
	rowOf := map[int]int{} // variant index → row
	bySKU := map[string]int{}
	for i, v := range p.Variants {
		bySKU[v.SKU] = i
		p.Variants[i].KeepStock = true
	}
	created := map[int]bool{}
	for _, cv := range cp.Variants {
		sku := unescapeCell(cv.SKU)
		i, ok := bySKU[sku]
		if !ok {
			if owner, taken := pl.skuOwner[sku]; taken && owner != cp.Handle {
				bad(cv.Row, ColSKU, fmt.Sprintf("belongs to the product %q; a variant cannot move to another product", owner))
				continue
			}
			p.Variants = append(p.Variants, Variant{SKU: sku, Options: map[string]string{}})
			i = len(p.Variants) - 1
			bySKU[sku] = i
			created[i] = true
		}
		rowOf[i] = cv.Row
		v := &p.Variants[i]
		if cv.Values != [3]string{} || created[i] {
			opts := map[string]string{}
			for n, val := range cv.Values {
				val = unescapeCell(val)
				if val == "" || (n == 0 && len(names) == 0 && val == "Default Title") {
					continue
				}
				if n >= len(names) {
					bad(cv.Row, ColOptionValue(n+1), fmt.Sprintf("the product has no option %d: name it in Option%d Name on row %d", n+1, n+1, cp.Row))
					continue
				}
				opts[names[n]] = val
			}
			v.Options = opts
		}
		switch {
		case cv.Price != nil:
			v.Price = ocean.Money{Amount: *cv.Price, Currency: pl.opt.Currency}
		case cv.PriceCell:
			// refused by the parser
		case created[i]:
			bad(cv.Row, ColPrice, "is empty: a new variant needs a price")
		}
		if v.Price.Currency == "" {
			v.Price.Currency = pl.opt.Currency
		}
		if cv.CompareAt != nil { // 0 ends a sale
			v.CompareAt = ocean.Money{}
			if *cv.CompareAt != 0 {
				v.CompareAt = ocean.Money{Amount: *cv.CompareAt, Currency: v.Price.Currency}
			}
		}
		if cv.Grams != nil {
			v.Weight = *cv.Grams
		}
		if cv.Barcode != "" {
			v.Barcode = unescapeCell(cv.Barcode)
		}
		if cv.Qty != nil {
			v.Stock, v.KeepStock = *cv.Qty, false
		}
	}
	p.Options = mergeOptions(p.Options, names, p.Variants)
	p.Normalize()
	if err := p.Validate(); err != nil {
		// A row refused already is not refused again for what follows
		// from it (no title, so "must be 1-200 characters" too).
		var more []ImportError
		for _, fe := range ocean.ErrorFields(err) {
			if row, col := cellOf(fe.Field, cp, rowOf, names); !refused[row] {
				more = append(more, ImportError{Row: row, Column: col, Message: fe.Message})
			}
		}
		for _, e := range more {
			bad(e.Row, e.Column, e.Message)
		}
	}
	pl.pictures(cp, ex, p, item, bad)
	// What changes.
	rows := map[int]*ImportRow{}
	rowFor := func(r int, sku string) *ImportRow {
		if rows[r] == nil {
			rows[r] = &ImportRow{Row: r, Handle: cp.Handle, SKU: sku, Action: ImportUnchanged}
		}
		if sku != "" {
			rows[r].SKU = sku
		}
		return rows[r]
	}
	first := rowFor(cp.Row, "")
	changed := false
	if ex == nil {
		for i, v := range p.Variants {
			r := cp.Row
			if rr, ok := rowOf[i]; ok {
				r = rr
			}
			rowFor(r, v.SKU).Action = ImportCreate
		}
		first.Action = ImportCreate
		changed = true
	} else {
		if ch := productChanges(&ex.Product, p); len(ch) > 0 {
			first.Action, first.Changes = ImportUpdate, ch
			changed = true
		}
		old := map[string]Variant{}
		for _, v := range ex.Variants {
			old[v.SKU] = v
		}
		for i, v := range p.Variants {
			r, ok := rowOf[i]
			if !ok {
				continue
			}
			row := rowFor(r, v.SKU)
			if created[i] {
				row.Action, row.Changes = ImportCreate, nil
				changed = true
				continue
			}
			if ch := variantChanges(old[v.SKU], v); len(ch) > 0 {
				if row.Action == ImportUnchanged {
					row.Action = ImportUpdate
				}
				row.Changes = append(row.Changes, ch...)
				changed = true
			}
		}
		if !changed {
			item.Product = nil
		}
	}
	for _, im := range cp.Images {
		row := rowFor(im.Row, "")
		if ex == nil {
			row.Action = ImportCreate
		}
		if pl.notOurs[im.Src] {
			row.Notes = append(row.Notes, "Image Src not fetched: the shop takes only its own /media/ addresses; upload the picture on the product's page")
			continue
		}
		if ex == nil {
			continue
		}
		if im := pl.images[mediaPathOf(im.Src, pl.opt.OwnHost)]; im.Hash != "" {
			if _, alt := item.Alt[im.Hash]; alt || linked(item.Link, im.Hash) {
				if row.Action == ImportUnchanged {
					row.Action = ImportUpdate
				}
				row.Changes = append(row.Changes, "image")
			}
		}
	}
	if ex != nil && !changed && len(item.Link) == 0 && len(item.Alt) == 0 {
		item = nil
	}
	if item != nil && ex == nil && item.NewCategory == 0 && p.CategoryID == 0 {
		item = nil // refused above: no category
	}
	out := make([]ImportRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	if len(errs) > 0 {
		return nil, out, errs
	}
	return item, out, nil
}

func linked(imgs []BulkImage, hash string) bool {
	for _, im := range imgs {
		if im.Hash == hash {
			return true
		}
	}
	return false
}

func mediaPathOf(src, host string) string {
	p, _ := ownMediaPath(src, host)
	return p
}

// defaultTitleOnly reports whether every variant row's Option1 Value is
// Shopify's "Default Title" (or empty).
func defaultTitleOnly(cp *csvProduct) bool {
	for _, v := range cp.Variants {
		if v.Values[0] != "" && v.Values[0] != "Default Title" {
			return false
		}
	}
	return true
}

// category resolves a Type cell: an existing category by name or slug, or
// one the import creates (at the top of the tree).
func (pl *planner) category(cp *csvProduct, p *Product, item *ImportItem, bad func(int, string, string)) {
	name := strings.Join(strings.Fields(unescapeCell(cp.Type)), " ")
	key := strings.ToLower(name)
	switch ids := pl.catByKey[key]; {
	case len(ids) == 1:
		p.CategoryID = ids[0]
		return
	case len(ids) > 1:
		bad(cp.Row, ColType, fmt.Sprintf("%q names %d categories; write the slug of the one you mean", name, len(ids)))
		return
	}
	if n, ok := pl.newByKey[key]; ok {
		item.NewCategory = n
		return
	}
	c := &Category{Name: name, Slug: Slugify(name)}
	if err := c.ValidateCategory(); err != nil {
		bad(cp.Row, ColType, "must be a category name of 1-100 characters")
		return
	}
	if ids := pl.catByKey[c.Slug]; len(ids) > 0 {
		p.CategoryID = ids[0] // "Knit Wear" for the category knit-wear
		return
	}
	for _, o := range pl.newCats {
		if o.Slug == c.Slug {
			c = o
		}
	}
	if c.ID == 0 && !containsCat(pl.newCats, c) {
		pl.newCats = append(pl.newCats, c)
	}
	for i, o := range pl.newCats {
		if o == c {
			pl.newByKey[key] = i + 1
			item.NewCategory = i + 1
		}
	}
}

func containsCat(cs []*Category, c *Category) bool {
	for _, o := range cs {
		if o == c {
			return true
		}
	}
	return false
}

// pictures plans a product's Image Src cells: the shop's own pictures are
// linked (or their alt text set); others are noted as not fetched.
func (pl *planner) pictures(cp *csvProduct, ex *BulkProduct, p *Product, item *ImportItem, bad func(int, string, string)) {
	have := map[string]string{} // hash → alt
	if ex != nil {
		for _, im := range ex.Images {
			have[im.Hash] = im.Alt
		}
	}
	count := len(have)
	for _, im := range cp.Images {
		if pl.notOurs[im.Src] {
			continue
		}
		found, ok := pl.images[mediaPathOf(im.Src, pl.opt.OwnHost)]
		if !ok {
			bad(im.Row, ColImageSrc, "is not a picture of this shop: upload it on the product's page, then use the address the export gives")
			continue
		}
		alt, err := media.CleanAlt(unescapeCell(im.Alt))
		if err != nil {
			bad(im.Row, ColImageAlt, "must be one line of at most "+strconv.Itoa(media.MaxAlt)+" characters")
			continue
		}
		if cur, ok := have[found.Hash]; ok {
			if alt != "" && alt != cur {
				if item.Alt == nil {
					item.Alt = map[string]string{}
				}
				item.Alt[found.Hash] = alt
				have[found.Hash] = alt
			}
			continue
		}
		if count >= media.MaxImages {
			bad(im.Row, ColImageSrc, fmt.Sprintf("a product has at most %d pictures", media.MaxImages))
			continue
		}
		found.Alt = alt
		item.Link = append(item.Link, found)
		have[found.Hash] = alt
		count++
	}
	if p.Status == StatusActive {
		for _, im := range cp.Images {
			found, ok := pl.images[mediaPathOf(im.Src, pl.opt.OwnHost)]
			if ok && have[found.Hash] == "" {
				bad(im.Row, ColImageAlt, "is needed to publish the product: say what the picture shows")
			}
		}
	}
}

// mergeOptions is the product's options after an import: the names in
// order, each with the values it had and then the new ones the variants use.
func mergeOptions(cur []Option, names []string, vs []Variant) []Option {
	var out []Option
	for _, n := range names {
		o := Option{Name: n}
		for _, c := range cur {
			if NormalizeOptionName(c.Name) == n {
				o.Values = append(o.Values, c.Values...)
			}
		}
		for _, v := range vs {
			if val := v.Options[n]; val != "" {
				o.Values = append(o.Values, val)
			}
		}
		out = append(out, o)
	}
	return out
}

// cellOf maps a validation field ("variants[2].price") to its cell.
func cellOf(field string, cp *csvProduct, rowOf map[int]int, names []string) (int, string) {
	switch field {
	case "slug":
		return cp.Row, ColHandle
	case "name":
		return cp.Row, ColTitle
	case "description":
		return cp.Row, ColBody
	case "status":
		return cp.Row, ColStatus
	case "variants", "options":
		return cp.Row, ColHandle
	}
	if rest, ok := strings.CutPrefix(field, "options["); ok {
		n, _ := strconv.Atoi(rest[:max(strings.IndexByte(rest, ']'), 0)])
		if strings.Contains(rest, "values") {
			return cp.Row, ColOptionValue(n + 1)
		}
		return cp.Row, ColOptionName(n + 1)
	}
	if rest, ok := strings.CutPrefix(field, "variants["); ok {
		end := strings.IndexByte(rest, ']')
		i, _ := strconv.Atoi(rest[:max(end, 0)])
		row, ok := rowOf[i]
		if !ok {
			row = cp.Row
		}
		sub := strings.TrimPrefix(rest[end+1:], ".")
		switch {
		case sub == "sku":
			return row, ColSKU
		case sub == "price":
			return row, ColPrice
		case sub == "compare_at_price":
			return row, ColCompareAt
		case sub == "weight":
			return row, ColGrams
		case sub == "barcode":
			return row, ColBarcode
		case sub == "stock":
			return row, ColQty
		case strings.HasPrefix(sub, "options."):
			for n, name := range names {
				if safeField(name) == strings.TrimPrefix(sub, "options.") {
					return row, ColOptionValue(n + 1)
				}
			}
			return row, ColOptionValue(1)
		case sub == "options":
			return row, ColOptionValue(1)
		}
		return row, ""
	}
	return cp.Row, ""
}

// cloneProduct copies p deeply enough to change its fields, options and
// variants without touching p.
func cloneProduct(p *Product) *Product {
	cp := *p
	cp.Options = nil
	for _, o := range p.Options {
		cp.Options = append(cp.Options, Option{Name: o.Name, Values: append([]string(nil), o.Values...)})
	}
	cp.Variants = make([]Variant, len(p.Variants))
	for i, v := range p.Variants {
		v.Options = copyOptions(v.Options)
		cp.Variants[i] = v
	}
	return &cp
}

func copyOptions(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// productChanges lists the product-level fields that differ.
func productChanges(a, b *Product) []string {
	var ch []string
	add := func(diff bool, name string) {
		if diff {
			ch = append(ch, name)
		}
	}
	add(a.Name != b.Name, "title")
	add(a.Description != b.Description, "body")
	add(a.Brand != b.Brand, "vendor")
	add(a.CategoryID != b.CategoryID || b.CategoryID == 0, "type")
	add(a.Status != b.Status, "status")
	add(Snapshot(nonNilOptions(a.Options)) != Snapshot(nonNilOptions(b.Options)), "options")
	return ch
}

func nonNilOptions(o []Option) []Option {
	if o == nil {
		return []Option{}
	}
	return o
}

// variantChanges lists the variant fields that differ.
func variantChanges(a, b Variant) []string {
	var ch []string
	add := func(diff bool, name string) {
		if diff {
			ch = append(ch, name)
		}
	}
	add(Snapshot(copyOptions(a.Options)) != Snapshot(copyOptions(b.Options)), "options")
	add(a.Price != b.Price, "price")
	add(a.CompareAt.Amount != b.CompareAt.Amount, "compare_at_price")
	add(a.Weight != b.Weight, "grams")
	add(a.Barcode != b.Barcode, "barcode")
	add(!b.KeepStock && a.Stock != b.Stock, "inventory")
	return ch
}
