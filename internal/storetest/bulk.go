package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
)

// BulkDB is what the CSV import contract needs of one database: the
// catalog, the stock ledger and the product pictures.
type BulkDB struct {
	Catalog   catalog.Store
	Inventory inventory.Store
	Media     media.Store
}

// Bulk is the contract of the CSV import and export (through
// catalog.Service, which plans an import and lets the store write it in
// one transaction).
func Bulk(t *testing.T, open func(t *testing.T) BulkDB) {
	t.Run("import creates products, variants, categories and ledger rows", func(t *testing.T) { testImportCreates(t, open(t)) })
	t.Run("import again changes nothing; export round trip is unchanged", func(t *testing.T) { testImportIdempotent(t, open(t)) })
	t.Run("a bad row writes nothing", func(t *testing.T) { testImportAllOrNothing(t, open(t)) })
	t.Run("stock changes are ledger rows and verify holds", func(t *testing.T) { testImportStock(t, open(t)) })
	t.Run("own pictures are linked, other addresses not fetched", func(t *testing.T) { testImportPictures(t, open(t)) })
	t.Run("a product changed after the plan fails the whole import", func(t *testing.T) { testImportStale(t, open(t)) })
}

const bulkHeader = "Handle,Title,Body (HTML),Vendor,Type,Status,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Variant SKU,Variant Price,Variant Compare At Price,Variant Grams,Variant Barcode,Variant Inventory Qty\n"

const bulkFile = bulkHeader +
	"wool-beanie,Wool beanie,<p>Warm <strong>merino</strong>.</p>,Hilltop,Knitwear,active,Colour,Forest,,,WB-F,199.00,249.00,90,6001,5\n" +
	"wool-beanie,,,,,,,Ochre,,,WB-O,199.00,,90,,0\n" +
	"rain-jacket,Rain jacket,Keeps you dry.,Coastline,Jackets,draft,Size,Small,Colour,Ink,RJ-S-I,1299.90,,650,,3\n" +
	"rain-jacket,,,,,,,M,,Ink,RJ-M-I,1299.90,,700,,2\n"

func importCSV(t *testing.T, svc *catalog.Service, file string, dry bool) (*catalog.ImportReport, error) {
	t.Helper()
	return svc.Import(ctx, alice, strings.NewReader(file), catalog.ImportOptions{Currency: "ZAR", DryRun: dry})
}

func mustImport(t *testing.T, svc *catalog.Service, file string, dry bool) *catalog.ImportReport {
	t.Helper()
	rep, err := importCSV(t, svc, file, dry)
	if err != nil {
		t.Fatalf("import: %v (%+v)", err, rep)
	}
	return rep
}

func bySlug(t *testing.T, s catalog.Store, slug string) *catalog.Product {
	t.Helper()
	page, err := s.BulkProducts(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range page {
		if page[i].Slug == slug {
			p := page[i].Product
			return &p
		}
	}
	t.Fatalf("no product %q", slug)
	return nil
}

func testImportCreates(t *testing.T, db BulkDB) {
	svc := catalog.NewService(db.Catalog, nil)
	dry := mustImport(t, svc, bulkFile, true)
	if dry.Created != 2 || dry.Updated != 0 || len(dry.Errors) != 0 || strings.Join(dry.NewCategories, ",") != "Knitwear,Jackets" {
		t.Fatalf("dry run %+v", dry)
	}
	if n, _ := db.Catalog.CountProducts(ctx); n != 0 {
		t.Fatalf("a dry run wrote %d products", n)
	}
	rep := mustImport(t, svc, bulkFile, false)
	if rep.Created != 2 || len(rep.Rows) != 4 || rep.Rows[1].Action != catalog.ImportCreate || rep.Rows[1].SKU != "WB-O" {
		t.Fatalf("import %+v", rep)
	}
	b := bySlug(t, db.Catalog, "wool-beanie")
	if b.Name != "Wool beanie" || b.Description != "Warm **merino**." || b.Brand != "Hilltop" || b.Status != catalog.StatusActive {
		t.Fatalf("beanie %+v", b)
	}
	if len(b.Variants) != 2 || b.Variants[0].Price.Amount != 19900 || b.Variants[0].CompareAt.Amount != 24900 || b.Variants[0].Weight != 90 ||
		b.Variants[0].Barcode != "6001" || b.Variants[0].Stock != 5 || b.Variants[1].Options["colour"] != "Ochre" {
		t.Fatalf("beanie variants %+v", b.Variants)
	}
	j := bySlug(t, db.Catalog, "rain-jacket")
	if j.Status != catalog.StatusDraft || len(j.Options) != 2 || j.Options[0].Name != "size" || strings.Join(j.Options[0].Values, ",") != "S,M" ||
		j.Variants[0].Price.Amount != 129990 {
		t.Fatalf("jacket %+v", j)
	}
	cats, err := db.Catalog.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cats) != 2 || j.CategoryID == b.CategoryID {
		t.Fatalf("categories %+v", cats)
	}
	// Search finds the brand.
	hits, err := db.Catalog.Search(ctx, catalog.Filter{Terms: []string{"hilltop"}, Limit: 10})
	if err != nil || len(hits) != 1 || hits[0].ID != b.ID {
		t.Fatalf("search by brand: %v %+v", err, hits)
	}
}

func testImportIdempotent(t *testing.T, db BulkDB) {
	svc := catalog.NewService(db.Catalog, nil)
	mustImport(t, svc, bulkFile, false)
	before := bySlug(t, db.Catalog, "wool-beanie")
	again := mustImport(t, svc, bulkFile, false)
	if again.Created != 0 || again.Updated != 0 || again.Unchanged != 2 {
		t.Fatalf("second import %+v", again)
	}
	for _, r := range again.Rows {
		if r.Action != catalog.ImportUnchanged {
			t.Fatalf("row %+v", r)
		}
	}
	if after := bySlug(t, db.Catalog, "wool-beanie"); after.Version != before.Version {
		t.Fatalf("an unchanged import bumped the version %d → %d", before.Version, after.Version)
	}
	var out bytes.Buffer
	if err := svc.Export(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), strings.Join(catalog.CSVColumns, ",")+"\n") || !strings.Contains(out.String(), "wool-beanie,Wool beanie,Warm **merino**.,Hilltop,Knitwear,active,colour,Forest") {
		t.Fatalf("export:\n%s", out.String())
	}
	rt := mustImport(t, svc, out.String(), true)
	if rt.Unchanged != 2 || rt.Created+rt.Updated != 0 {
		t.Fatalf("round trip %+v\n%s", rt, out.String())
	}
	// An update: a price and a title.
	up := strings.Replace(strings.Replace(bulkFile, "WB-O,199.00", "WB-O,209.00", 1), "Rain jacket", "Storm jacket", 1)
	rep := mustImport(t, svc, up, false)
	if rep.Updated != 2 || rep.Unchanged != 0 {
		t.Fatalf("update %+v", rep)
	}
	got := map[int]catalog.ImportRow{}
	for _, r := range rep.Rows {
		got[r.Row] = r
	}
	if got[3].Action != catalog.ImportUpdate || strings.Join(got[3].Changes, ",") != "price" || got[2].Action != catalog.ImportUnchanged ||
		got[4].Action != catalog.ImportUpdate || strings.Join(got[4].Changes, ",") != "title" {
		t.Fatalf("rows %+v", rep.Rows)
	}
	if b := bySlug(t, db.Catalog, "wool-beanie"); b.Variants[1].Price.Amount != 20900 || b.Version != before.Version+1 {
		t.Fatalf("beanie %+v", b)
	}
}

func testImportAllOrNothing(t *testing.T, db BulkDB) {
	svc := catalog.NewService(db.Catalog, nil)
	bad := bulkFile + "scarf,Scarf,,,Knitwear,active,,,,,SC-1,-5,,,,1\n" + "sock,Sock,,,Knitwear,active,,,,,RJ-M-I,10,,,,1\n"
	rep, err := importCSV(t, svc, bad, false)
	if ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("err %v", err)
	}
	want := []catalog.ImportError{{Row: 6, Column: catalog.ColPrice}, {Row: 7, Column: catalog.ColSKU}}
	if len(rep.Errors) != len(want) {
		t.Fatalf("errors %+v", rep.Errors)
	}
	for i, w := range want {
		if rep.Errors[i].Row != w.Row || rep.Errors[i].Column != w.Column || rep.Errors[i].Message == "" {
			t.Fatalf("error %d: %+v, want row %d %s", i, rep.Errors[i], w.Row, w.Column)
		}
	}
	if n, _ := db.Catalog.CountProducts(ctx); n != 0 {
		t.Fatalf("a refused import wrote %d products", n)
	}
	if cats, _ := db.Catalog.Categories(ctx); len(cats) != 0 {
		t.Fatalf("a refused import wrote categories %+v", cats)
	}
	// A failure inside the store's transaction (a SKU another product
	// took after the plan: the unique index refuses it) rolls back the
	// products written before it.
	mustImport(t, svc, bulkFile, false)
	b := bySlug(t, db.Catalog, "wool-beanie")
	batch := &catalog.ImportBatch{Reason: catalog.ImportReason, Items: []catalog.ImportItem{
		{Product: &catalog.Product{Slug: "new-one", Name: "New", CategoryID: b.CategoryID, Status: catalog.StatusDraft,
			Variants: []catalog.Variant{{SKU: "NEW-1", Price: zar(100), Options: map[string]string{}, Stock: 3}}}},
		{Product: &catalog.Product{Slug: "dup-sku", Name: "Dup", CategoryID: b.CategoryID, Status: catalog.StatusDraft,
			Variants: []catalog.Variant{{SKU: "WB-F", Price: zar(100), Options: map[string]string{}}}}},
	}}
	if err := db.Catalog.ImportProducts(ctx, batch, alice); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("duplicate SKU in a batch: %v", err)
	}
	if n, _ := db.Catalog.CountProducts(ctx); n != 2 {
		t.Fatalf("a failed batch left %d products, want the 2 before it", n)
	}
}

func testImportStock(t *testing.T, db BulkDB) {
	svc := catalog.NewService(db.Catalog, nil)
	mustImport(t, svc, bulkFile, false)
	b := bySlug(t, db.Catalog, "wool-beanie")
	// 5 → 12, and a file without the stock column leaves it alone.
	mustImport(t, svc, strings.Replace(bulkFile, "6001,5", "6001,12", 1), false)
	noQty := "Handle,Variant SKU,Variant Price\nwool-beanie,WB-F,189.00\n"
	if rep := mustImport(t, svc, noQty, false); rep.Updated != 1 {
		t.Fatalf("price-only file %+v", rep)
	}
	lvl, err := db.Inventory.Level(ctx, b.Variants[0].ID)
	if err != nil || lvl.Stock != 12 {
		t.Fatalf("level %+v %v", lvl, err)
	}
	hist, err := db.Inventory.History(ctx, b.Variants[0].ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var deltas []string
	for _, e := range hist {
		deltas = append(deltas, fmt.Sprintf("%+d %s", e.Delta, e.Reason))
	}
	if len(hist) != 2 || hist[0].Delta+hist[1].Delta != 12 || !strings.Contains(strings.Join(deltas, ";"), "+7 "+catalog.ImportReason) {
		t.Fatalf("ledger %v", deltas)
	}
	if drift, n, err := db.Inventory.Verify(ctx); err != nil || len(drift) != 0 || n != 4 {
		t.Fatalf("verify %+v %d %v", drift, n, err)
	}
}

func testImportPictures(t *testing.T, db BulkDB) {
	svc := catalog.NewService(db.Catalog, nil)
	mustImport(t, svc, bulkFile, false)
	b := bySlug(t, db.Catalog, "wool-beanie")
	img := &media.Image{ProductID: b.ID, Hash: "abc123", Alt: "A green beanie", Width: 1000, Height: 800, Widths: []int{320, 1000}, Fallback: "jpg"}
	if err := db.Media.AddImage(ctx, img, media.MaxImages); err != nil {
		t.Fatal(err)
	}
	file := "Handle,Image Src,Image Alt Text\n" +
		"rain-jacket," + img.URL() + ",Jacket beside the beanie\n" +
		"rain-jacket,https://cdn.example.com/x.jpg,\n" +
		"wool-beanie," + img.FallbackURL() + ",A forest-green beanie\n"
	rep := mustImport(t, svc, file, true)
	if rep.Updated != 2 || len(rep.Rows) != 3 || len(rep.Rows[1].Notes) != 1 || !strings.Contains(rep.Rows[1].Notes[0], "not fetched") {
		t.Fatalf("dry run %+v", rep)
	}
	mustImport(t, svc, file, false)
	j := bySlug(t, db.Catalog, "rain-jacket")
	imgs, err := db.Media.Images(ctx, j.ID)
	if err != nil || len(imgs) != 1 || imgs[0].Hash != "abc123" || imgs[0].Alt != "Jacket beside the beanie" || imgs[0].Width != 1000 {
		t.Fatalf("jacket pictures %+v %v", imgs, err)
	}
	if imgs, _ := db.Media.Images(ctx, b.ID); len(imgs) != 1 || imgs[0].Alt != "A forest-green beanie" {
		t.Fatalf("beanie pictures %+v", imgs)
	}
	if again := mustImport(t, svc, file, false); again.Unchanged != 2 {
		t.Fatalf("pictures again %+v", again)
	}
	unknown := "Handle,Image Src\nwool-beanie,/media/nope-320.webp\n"
	if rep, err := importCSV(t, svc, unknown, false); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE || rep.Errors[0].Column != catalog.ColImageSrc {
		t.Fatalf("unknown picture: %v %+v", err, rep)
	}
}

func testImportStale(t *testing.T, db BulkDB) {
	svc := catalog.NewService(db.Catalog, nil)
	mustImport(t, svc, bulkFile, false)
	b := bySlug(t, db.Catalog, "wool-beanie")
	stale := *b
	stale.Name = "Changed by the import"
	for i := range stale.Variants {
		stale.Variants[i].KeepStock = true
	}
	// Someone saves the product between the plan and the write.
	cur := bySlug(t, db.Catalog, "wool-beanie")
	cur.Name = "Changed by an editor"
	for i := range cur.Variants {
		cur.Variants[i].KeepStock = true
	}
	if err := db.Catalog.SaveProduct(ctx, cur, cur.Version, alice); err != nil {
		t.Fatal(err)
	}
	batch := &catalog.ImportBatch{Reason: catalog.ImportReason, Categories: []*catalog.Category{{Name: "Hats", Slug: "hats"}},
		Items: []catalog.ImportItem{{Product: &stale, Version: b.Version}}}
	if err := db.Catalog.ImportProducts(ctx, batch, alice); ocean.ErrorCode(err) != ocean.ESTALE {
		t.Fatalf("stale import: %v", err)
	}
	if got := bySlug(t, db.Catalog, "wool-beanie"); got.Name != "Changed by an editor" {
		t.Fatalf("name %q", got.Name)
	}
	if cats, _ := db.Catalog.Categories(ctx); len(cats) != 2 {
		t.Fatalf("the stale batch's category was written: %+v", cats)
	}
}
