package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
)

// memBulk is an in-memory catalog for the import's planning: the SQL
// stores run the same import in internal/storetest.
type memBulk struct {
	Store
	cats     []Category
	prods    []BulkProduct
	images   map[string]BulkImage
	batches  []*ImportBatch
	failNext error
}

func (m *memBulk) Categories(context.Context) ([]Category, error) { return m.cats, nil }

func (m *memBulk) BulkProducts(_ context.Context, after int64, limit int) ([]BulkProduct, error) {
	var out []BulkProduct
	for _, p := range m.prods {
		if p.ID > after && len(out) < limit {
			out = append(out, p)
		}
	}
	return out, nil
}

func (m *memBulk) ImagesByURL(_ context.Context, urls []string) (map[string]BulkImage, error) {
	out := map[string]BulkImage{}
	for _, u := range urls {
		if im, ok := m.images[u]; ok {
			out[u] = im
		}
	}
	return out, nil
}

func (m *memBulk) ImportProducts(_ context.Context, b *ImportBatch, _ Actor) error {
	if m.failNext != nil {
		return m.failNext
	}
	m.batches = append(m.batches, b)
	for _, c := range b.Categories {
		c.ID = int64(len(m.cats) + 1)
		m.cats = append(m.cats, *c)
	}
	for n, it := range b.Items {
		var bp *BulkProduct
		if it.Product != nil {
			p := it.Product
			if it.NewCategory > 0 {
				p.CategoryID = b.Categories[it.NewCategory-1].ID
			}
			for i := range p.Variants {
				p.Variants[i].KeepStock = false
			}
			if p.ID == 0 {
				p.ID = int64(len(m.prods) + 1)
				m.prods = append(m.prods, BulkProduct{})
			}
			p.Version++
			m.prods[p.ID-1].Product = *cloneProduct(p)
		}
		id := it.ProductID
		if it.Product != nil {
			id = it.Product.ID
		}
		bp = &m.prods[id-1]
		bp.Images = append(bp.Images, it.Link...)
		for i, im := range bp.Images {
			if alt, ok := it.Alt[im.Hash]; ok {
				bp.Images[i].Alt = alt
			}
		}
		if b.Progress != nil {
			b.Progress(n + 1)
		}
	}
	return nil
}

const shopFile = "Handle,Title,Body (HTML),Vendor,Type,Status,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Compare At Price,Variant Grams,Variant Barcode,Variant Inventory Qty,Image Src,Image Alt Text\n" +
	"tee,Plain tee,<p>Soft <b>cotton</b>.</p>,Ocean,Tees,active,Size,Small,T-S,100.00,120.00,180,600,4,/media/h1-1000.webp,A white tee\n" +
	"tee,,,,,,,Medium,T-M,110,,,,2,https://cdn.example.com/tee.jpg,\n" +
	"mug,=Mug,Stoneware.,,Kitchen,,Title,Default Title,M-1,\"1,250.5\",,400,,,,\n"

func newMem() *memBulk {
	return &memBulk{cats: []Category{{ID: 1, Slug: "tees", Name: "Tees"}},
		images: map[string]BulkImage{"/media/h1-1000.webp": {Hash: "h1", URL: "/media/h1-1000.webp"}}}
}

func runImport(t *testing.T, svc *Service, file string, dry bool) (*ImportReport, error) {
	t.Helper()
	return svc.Import(context.Background(), System, strings.NewReader(file), ImportOptions{Currency: "ZAR", DryRun: dry, OwnHost: "shop.example"})
}

func TestImportPlansAndWrites(t *testing.T) {
	m := newMem()
	svc := NewService(m, nil)
	rep, err := runImport(t, svc, shopFile, true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 2 || rep.Variants != 3 || strings.Join(rep.NewCategories, ",") != "Kitchen" || len(m.batches) != 0 {
		t.Fatalf("dry run %+v", rep)
	}
	if len(rep.Rows) != 3 || !strings.Contains(strings.Join(rep.Rows[1].Notes, " "), "not fetched") {
		t.Fatalf("rows %+v", rep.Rows)
	}
	var progress []string
	_, err = svc.Import(context.Background(), System, strings.NewReader(shopFile), ImportOptions{Currency: "ZAR", Progress: func(p ImportProgress) {
		progress = append(progress, fmt.Sprintf("%s %d/%d", p.Phase, p.Done, p.Total))
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Rows, not products: the tee is two rows, the mug one.
	if got := strings.Join(progress, ", "); len(m.prods) != 2 || got != "check 0/3, check 2/3, check 3/3, write 0/3, write 2/3, write 3/3" {
		t.Fatalf("products %d, progress %s", len(m.prods), got)
	}
	tee, mug := m.prods[0], m.prods[1]
	if tee.Description != "Soft **cotton**." || tee.Brand != "Ocean" || tee.CategoryID != 1 || tee.Status != StatusActive ||
		tee.Options[0].Name != "size" || strings.Join(tee.Options[0].Values, ",") != "S,M" || tee.Variants[1].Price.Amount != 11000 ||
		tee.Variants[0].CompareAt.Amount != 12000 || tee.Variants[0].Stock != 4 || len(tee.Images) != 1 || tee.Images[0].Alt != "A white tee" {
		t.Fatalf("tee %+v", tee)
	}
	if mug.Name != "=Mug" || len(mug.Options) != 0 || mug.Variants[0].Price.Amount != 125050 || mug.Status != StatusDraft || mug.CategoryID != 2 {
		t.Fatalf("mug %+v", mug)
	}
	// Export, then import the export: nothing changes.
	var out bytes.Buffer
	if err := svc.Export(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "mug,'=Mug,Stoneware.,,Kitchen,draft,,,,,,,M-1,1250.50,,400,,0,,") {
		t.Fatalf("export:\n%s", out.String())
	}
	again, err := runImport(t, svc, out.String(), false)
	if err != nil || again.Unchanged != 2 || again.Updated+again.Created != 0 || len(m.batches) != 1 {
		t.Fatalf("round trip %v %+v\n%s", err, again, out.String())
	}
	// Changes are planned field by field.
	changed := strings.Replace(strings.Replace(out.String(), "1250.50", "1300", 1), "Plain tee", "Plain T-shirt", 1)
	changed = strings.Replace(changed, "A white tee", "A white T-shirt", 1)
	rep, err = runImport(t, svc, changed, false)
	if err != nil || rep.Updated != 2 {
		t.Fatalf("update %v %+v", err, rep)
	}
	if m.prods[1].Variants[0].Price.Amount != 130000 || m.prods[0].Name != "Plain T-shirt" || m.prods[0].Images[0].Alt != "A white T-shirt" {
		t.Fatalf("after update %+v", m.prods)
	}
	if rep.Rows[0].Action != ImportUpdate || strings.Join(rep.Rows[0].Changes, ",") != "title,image" {
		t.Fatalf("row 2 %+v", rep.Rows[0])
	}
	// A write that fails in the store is the import's error.
	m.failNext = ocean.Errorf(ocean.ESTALE, "stale")
	if _, err := runImport(t, svc, strings.Replace(changed, "1300", "1400", 1), false); ocean.ErrorCode(err) != ocean.ESTALE {
		t.Fatalf("store error %v", err)
	}
}

func TestImportRefusals(t *testing.T) {
	m := newMem()
	m.prods = []BulkProduct{{Product: Product{ID: 1, Slug: "tee", Name: "Tee", CategoryID: 1, Status: StatusDraft, Version: 1,
		Variants: []Variant{{ID: 1, SKU: "TAKEN", Price: ocean.Money{Amount: 1, Currency: "ZAR"}, Options: map[string]string{}}}}}}
	m.cats = append(m.cats, Category{ID: 2, Slug: "sale", Name: "Sale"}, Category{ID: 3, Slug: "sale-2", Name: "Sale"})
	svc := NewService(m, nil)
	head := "Handle,Title,Type,Status,Option1 Name,Option1 Value,Option2 Name,Variant SKU,Variant Price,Variant Grams,Variant Inventory Qty,Image Src,Image Alt Text\n"
	cases := map[string]struct {
		rows string
		want []string // "row column"
	}{
		"empty handle":           {",T,Tees,,,,,S1,1,,,,\n", []string{"2 Handle"}},
		"bad handle":             {"Bad Handle,T,Tees,,,,,S1,1,,,,\n", []string{"2 Handle"}},
		"no title":               {"new,,Tees,,,,,S1,1,,,,\n", []string{"2 Title"}},
		"no type":                {"new,T,,,,,,S1,1,,,,\n", []string{"2 Type"}},
		"ambiguous type":         {"new,T,sale,,,,,S1,1,,,,\n", []string{"2 Type"}},
		"bad status":             {"new,T,Tees,live,,,,S1,1,,,,\n", []string{"2 Status"}},
		"option2 without 1":      {"new,T,Tees,,,,Colour,S1,1,,,,\n", []string{"2 Option2 Name"}},
		"value without option":   {"new,T,Tees,,,Red,,S1,1,,,,\n", []string{"2 Option1 Value"}},
		"missing option value":   {"new,T,Tees,,Size,S,,S1,1,,,,\nnew,,,,,,,S2,1,,,,\n", []string{"3 Option1 Value"}},
		"same options":           {"new,T,Tees,,Size,S,,S1,1,,,,\nnew,,,,,Small,,S2,1,,,,\n", []string{"3 Option1 Value"}},
		"no sku":                 {"new,T,Tees,,,,,,1,,,,\n", []string{"2 Variant SKU"}},
		"sku twice":              {"new,T,Tees,,,,,S1,1,,,,\nnew,,,,,,,S1,1,,,,\n", []string{"3 Variant SKU"}},
		"sku of another product": {"new,T,Tees,,,,,TAKEN,1,,,,\n", []string{"2 Variant SKU"}},
		"no price":               {"new,T,Tees,,,,,S1,,,,,\n", []string{"2 Variant Price"}},
		"bad price":              {"new,T,Tees,,,,,S1,1.234,,,,\n", []string{"2 Variant Price"}},
		"bad grams":              {"new,T,Tees,,,,,S1,1,-3,,,\n", []string{"2 Variant Grams"}},
		"bad qty":                {"new,T,Tees,,,,,S1,1,,lots,,\n", []string{"2 Variant Inventory Qty"}},
		"title on a later row":   {"new,T,Tees,,,,,S1,1,,,,\nnew,Other,,,,,,S2,1,,,,\n", []string{"3 Title"}},
		"alt without image":      {"new,T,Tees,,,,,S1,1,,,,Alt\n", []string{"2 Image Alt Text"}},
		"unknown picture":        {"new,T,Tees,,,,,S1,1,,,/media/nope-1.webp,\n", []string{"2 Image Src"}},
		"published without alt":  {"new,T,Tees,active,,,,S1,1,,,/media/h1-1000.webp,\n", []string{"2 Image Alt Text"}},
		"bad alt":                {"new,T,Tees,,,,,S1,1,,,/media/h1-1000.webp,\"two\nlines\"\n", []string{"2 Image Alt Text"}},
		"empty later row":        {"new,T,Tees,,,,,S1,1,,,,\nnew,,,,,,,,,,,,\nnew,,,,,,,,,,,,x\n", []string{"3 Handle", "4 Image Alt Text", "4 Handle"}},
		"no variants":            {"new,T,Tees,,,,,,,,,,\n", []string{"2 Handle"}},
		"too long a title":       {"new," + strings.Repeat("x", 201) + ",Tees,,,,,S1,1,,,,\n", []string{"2 Title"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rep, err := runImport(t, svc, head+c.rows, false)
			if ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
				t.Fatalf("err %v", err)
			}
			var got []string
			for _, e := range rep.Errors {
				got = append(got, itoa(e.Row)+" "+e.Column)
				if e.Message == "" {
					t.Errorf("no message: %+v", e)
				}
			}
			if strings.Join(got, ";") != strings.Join(c.want, ";") {
				t.Fatalf("errors %v, want %v (%+v)", got, c.want, rep.Errors)
			}
			if fe := ocean.ErrorFields(err); len(fe) != len(c.want) || !strings.HasPrefix(fe[0].Field, "row ") {
				t.Fatalf("problem fields %+v", fe)
			}
			for _, r := range rep.Rows {
				if r.Row == rep.Errors[0].Row && r.Action != ImportRefused && r.Row > 1 {
					t.Fatalf("row %+v not refused", r)
				}
			}
			// A dry run reports the same without an error.
			dry, err := runImport(t, svc, head+c.rows, true)
			if err != nil || len(dry.Errors) != len(c.want) {
				t.Fatalf("dry run %v %+v", err, dry)
			}
			if len(m.batches) != 0 {
				t.Fatal("a refused import was written")
			}
		})
	}
}

func TestParseCSVFileProblems(t *testing.T) {
	cases := map[string]struct{ file, want string }{
		"empty":           {"", "row 1: the file has no header row (Handle, Title, …)"},
		"no handle":       {"Title\nx\n", "row 1, Handle: the file needs a Handle column: it names the product each row belongs to"},
		"column twice":    {"Handle,Title,title\n", "row 1, Title: the column appears twice"},
		"not utf-8":       {"Handle\n\xff\n", "row 1: the file is not UTF-8 text; save it as CSV UTF-8"},
		"broken quote":    {"Handle,Title\ntee,\"x\ny\"z\n", "row 2: the row is not valid CSV"},
		"bom and aliases": {"\xef\xbb\xbfhandle,TITLE,Body (HTML),Brand,Product Type\n", ""},
	}
	for name, c := range cases {
		f, errs := parseCSV(strings.NewReader(c.file), "ZAR")
		var got string
		if len(errs) > 0 {
			got = errs[0].String()
		}
		if !strings.HasPrefix(got, c.want) || (c.want == "") != (len(errs) == 0) {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
		if name == "bom and aliases" && (!f.has[ColHandle] || !f.has[ColTitle] || !f.has[ColBody] || !f.has[ColVendor] || !f.has[ColType]) {
			t.Errorf("columns %v", f.has)
		}
	}
	big := "Handle,Title\n" + strings.Repeat(",\n", MaxImportRows+1)
	if _, errs := parseCSV(strings.NewReader(big), "ZAR"); len(errs) != 1 || !strings.Contains(errs[0].Message, "at most") {
		t.Errorf("too many rows: %d refusals", len(errs))
	}
	wrong := "Handle\n" + strings.Repeat("Not A Handle\n", 2000)
	if _, errs := parseCSV(strings.NewReader(wrong), "ZAR"); len(errs) != maxImportErrors+1 || !strings.Contains(errs[maxImportErrors].Message, "and more") {
		t.Errorf("a file in the wrong shape: %d refusals", len(errs))
	}
	huge := io0(MaxImportBytes + 1)
	if _, errs := parseCSV(huge, "ZAR"); len(errs) != 1 || !strings.Contains(errs[0].Message, "larger") {
		t.Errorf("too large: %+v", errs)
	}
	if _, errs := parseCSV(errReader{}, "ZAR"); len(errs) != 1 {
		t.Errorf("read error: %+v", errs)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("broken") }

func io0(n int) *bytes.Reader { return bytes.NewReader(bytes.Repeat([]byte("a"), n)) }

func TestBodyToMarkdown(t *testing.T) {
	cases := map[string]string{
		"Already *Markdown*\n\n- a": "Already *Markdown*\n\n- a",
		"size < 5 and > 3":          "size < 5 and > 3",
		"<p>Hello <b>world</b>!</p><p>Second&nbsp;para &amp; more</p>":        "Hello **world**!\n\nSecond para & more",
		"<h1>Title</h1><h4>Small</h4>":                                        "# Title\n\n### Small",
		"<ul><li>One</li><li><em>Two</em></li></ul>":                          "- One\n- *Two*",
		"<ol><li>One</li><li>Two</li></ol>":                                   "1. One\n2. Two",
		`<p>See <a href="https://example.com/a?b=1&amp;c=2">our site</a></p>`: "See [our site](https://example.com/a?b=1&c=2)",
		`<a href="javascript:alert(1)">x</a>`:                                 "x",
		`<a href='mailto:a@b.c'>mail</a> <a href=http://x.y>x</a>`:            "[mail](mailto:a@b.c) [x](http://x.y)",
		"<script>alert(1)</script><style>p{}</style><p>ok</p>":                "ok",
		"<!-- note --><div>a<br>b</div>":                                      "a\nb",
		"<p><strong></strong>x</p>":                                           "x",
		"<p>unclosed <b":                                                      "unclosed <b",
		"<p>x<!-- open":                                                       "x",
		"<span>a</span><span> b</span>":                                       "a b",
	}
	for in, want := range cases {
		if got := BodyToMarkdown(in); got != want {
			t.Errorf("BodyToMarkdown(%q) = %q, want %q", in, got, want)
		}
	}
	if got := itoa(12); got != "12" {
		t.Errorf("itoa %q", got)
	}
}

func TestFormatMajor(t *testing.T) {
	for _, c := range []struct {
		n    int64
		cur  string
		want string
	}{{129990, "ZAR", "1299.90"}, {5, "ZAR", "0.05"}, {-150, "ZAR", "-1.50"}, {1500, "JPY", "1500"}, {1234, "KWD", "1.234"}} {
		if got := FormatMajor(c.n, c.cur); got != c.want {
			t.Errorf("FormatMajor(%d, %s) = %q, want %q", c.n, c.cur, got, c.want)
		}
	}
}

func TestOwnMediaPath(t *testing.T) {
	for src, want := range map[string]string{
		"/media/h-1.webp":                        "/media/h-1.webp",
		"https://shop.example/media/h-1.webp":    "/media/h-1.webp",
		"https://SHOP.example/media/h-1.webp":    "/media/h-1.webp",
		"https://cdn.example.com/media/h-1.webp": "",
		"ftp://shop.example/media/h-1.webp":      "",
		"/media/":                                "",
		"/media/h-1.webp?x=1":                    "",
		"/images/products/tee.svg":               "",
		"%zz":                                    "",
	} {
		got, _ := ownMediaPath(src, "shop.example")
		if got != want {
			t.Errorf("ownMediaPath(%q) = %q, want %q", src, got, want)
		}
	}
}

// FuzzImportCSV: any file is planned without a panic, and every refusal
// names a row of the file (or the header) and says why.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte(shopFile))
	f.Add([]byte("Handle,Variant SKU,Variant Price\ntee,A,1\ntee,A,2\n"))
	f.Add([]byte("Handle,Title,Type,Option1 Name,Option1 Value,Option2 Value,Variant SKU,Variant Price\nx,X,Tees,Size,S,red,A,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		svc := NewService(newMem(), nil)
		rep, err := svc.Import(context.Background(), System, bytes.NewReader(data), ImportOptions{Currency: "ZAR", DryRun: true})
		if err != nil {
			if rep == nil || len(rep.Errors) == 0 {
				t.Fatalf("error without refusals: %v", err)
			}
			return
		}
		rows := bytes.Count(data, []byte("\n")) + 2
		for _, e := range rep.Errors {
			if e.Row < 1 || e.Row > rows || e.Message == "" {
				t.Fatalf("refusal %+v in a file of at most %d rows", e, rows)
			}
		}
		if len(rep.Errors) == 0 && rep.Created+rep.Updated+rep.Unchanged != len(dedupHandles(rep)) {
			t.Fatalf("counts %+v", rep)
		}
	})
}

func dedupHandles(rep *ImportReport) map[string]bool {
	m := map[string]bool{}
	for _, r := range rep.Rows {
		m[r.Handle] = true
	}
	return m
}

// A large file's progress comes in about a hundred steps a phase, rising
// to the total; a dry run only checks.
func TestImportProgressSteps(t *testing.T) {
	var b strings.Builder
	b.WriteString("Handle,Title,Type,Variant SKU,Variant Price\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "p-%d,Product %d,Tees,SKU-%d,10.00\n", i, i, i)
	}
	b.WriteString(",,,,\n") // a blank row counts too
	for _, dry := range []bool{true, false} {
		var got []ImportProgress
		_, err := NewService(newMem(), nil).Import(context.Background(), System, strings.NewReader(b.String()),
			ImportOptions{Currency: "ZAR", DryRun: dry, Progress: func(p ImportProgress) { got = append(got, p) }})
		if err != nil {
			t.Fatal(err)
		}
		phases := map[string][]ImportProgress{}
		for _, p := range got {
			phases[p.Phase] = append(phases[p.Phase], p)
		}
		want := map[string]int{PhaseCheck: 1001, PhaseWrite: 1000}
		if dry {
			delete(want, PhaseWrite)
		}
		if len(phases) != len(want) {
			t.Fatalf("dry %v: phases %v", dry, got)
		}
		for phase, total := range want {
			ps := phases[phase]
			if len(ps) < 50 || len(ps) > 110 || ps[0].Done != 0 || ps[len(ps)-1].Done != total {
				t.Fatalf("dry %v, %s: %d reports from %+v to %+v", dry, phase, len(ps), ps[0], ps[len(ps)-1])
			}
			for i, p := range ps {
				if p.Total != total || (i > 0 && p.Done < ps[i-1].Done) {
					t.Fatalf("dry %v, %s: report %d is %+v after %+v", dry, phase, i, p, ps[max(i-1, 0)])
				}
			}
		}
	}
}
