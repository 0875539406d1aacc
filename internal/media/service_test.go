package media_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

var ctx = context.Background()

func smallJPEG(t *testing.T, w, h int, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func setup(t *testing.T) (*media.Service, *sqldb.DB, int64, int64) {
	db := sqlitetest.Open(t)
	cs := db.Catalog()
	c := &catalog.Category{Slug: "lights", Name: "Lights"}
	if err := cs.CreateCategory(ctx, c, catalog.System); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, slug := range []string{"lamp", "torch"} {
		p := &catalog.Product{Slug: slug, Name: slug, CategoryID: c.ID, Variants: []catalog.Variant{{SKU: slug, Options: map[string]string{}, Price: ocean.Money{Amount: 100, Currency: "ZAR"}, Stock: 1}}}
		if err := cs.CreateProduct(ctx, p, catalog.System); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	return media.NewService(db.Media(), db.Media(), 1), db, ids[0], ids[1]
}

func TestUploadStoresRenditionsAndServesThem(t *testing.T) {
	s, _, lamp, _ := setup(t)
	img, err := s.Upload(ctx, lamp, smallJPEG(t, 700, 350, 90), "  A brass lamp  ")
	if err != nil {
		t.Fatal(err)
	}
	if img.Alt != "A brass lamp" || img.Width != 700 || img.Height != 350 || img.Position != 1 ||
		img.SrcSet() != "/media/"+img.Hash+"-320.webp 320w, /media/"+img.Hash+"-640.webp 640w, /media/"+img.Hash+"-700.webp 700w" {
		t.Fatalf("uploaded %+v srcset %q", img, img.SrcSet())
	}
	for _, k := range img.Keys() {
		b, err := s.Blob(ctx, k)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if want := media.ContentType(k[strings.LastIndexByte(k, '.')+1:]); b.ContentType != want || len(b.Data) < 100 {
			t.Fatalf("%s: %s, %d bytes", k, b.ContentType, len(b.Data))
		}
	}
	if !strings.HasSuffix(img.URL(), "-700.webp") || !strings.HasSuffix(img.FallbackURL(), "-700.jpg") {
		t.Fatalf("urls %s %s", img.URL(), img.FallbackURL())
	}
}

func TestUploadRefusals(t *testing.T) {
	s, db, lamp, _ := setup(t)
	good := smallJPEG(t, 50, 50, 10)
	for _, c := range []struct {
		name    string
		product int64
		data    []byte
		alt     string
		code    string
	}{
		{"unknown product", 4040, good, "", ocean.ENOTFOUND},
		{"not a picture", lamp, []byte("hello, I am text"), "", ocean.EUNSUPPORTED},
		{"alt too long", lamp, good, strings.Repeat("a", media.MaxAlt+1), ocean.EINVALID},
		{"alt with a newline", lamp, good, "two\nlines", ocean.EINVALID},
	} {
		if _, err := s.Upload(ctx, c.product, c.data, c.alt); ocean.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	var n int
	if err := db.Read.QueryRow(`SELECT COUNT(*) FROM media_blobs`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused uploads stored %d blobs (%v)", n, err)
	}
}

func TestAtMostMaxImages(t *testing.T) {
	s, _, lamp, _ := setup(t)
	for i := 0; i < media.MaxImages; i++ {
		if _, err := s.Upload(ctx, lamp, smallJPEG(t, 8, 8, uint8(i)), ""); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.Upload(ctx, lamp, smallJPEG(t, 8, 8, 99), "")
	if ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("one too many: %v", err)
	}
}

func TestDeleteKeepsSharedFiles(t *testing.T) {
	s, _, lamp, torch := setup(t)
	data := smallJPEG(t, 40, 40, 50)
	a, err := s.Upload(ctx, lamp, data, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Upload(ctx, torch, data, "b") // the same file on another product
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash != b.Hash {
		t.Fatal("the same bytes got two hashes")
	}
	if err := s.Delete(ctx, lamp, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blob(ctx, b.Keys()[0]); err != nil {
		t.Fatalf("the torch's picture went with the lamp's: %v", err)
	}
	if err := s.Delete(ctx, torch, b.ID); err != nil {
		t.Fatal(err)
	}
	for _, k := range b.Keys() {
		if _, err := s.Blob(ctx, k); ocean.ErrorCode(err) != ocean.ENOTFOUND {
			t.Fatalf("%s left behind: %v", k, err)
		}
	}
	if err := s.Delete(ctx, torch, b.ID); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("deleting twice: %v", err)
	}
}

func TestSaveAndAltRule(t *testing.T) {
	s, _, lamp, torch := setup(t)
	if err := s.CheckAlt(ctx, lamp); err != nil {
		t.Fatalf("no pictures: %v", err)
	}
	a, _ := s.Upload(ctx, lamp, smallJPEG(t, 8, 8, 1), "")
	b, _ := s.Upload(ctx, lamp, smallJPEG(t, 8, 8, 2), "Side view")
	err := s.CheckAlt(ctx, lamp)
	if f := ocean.ErrorFields(err); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE || len(f) != 1 || f[0].Field != "images[0].alt" {
		t.Fatalf("CheckAlt = %v %+v", err, f)
	}
	if c, ok := s.Cover(ctx, lamp); !ok || c.ID != a.ID {
		t.Fatalf("cover = %+v %v, want %d", c, ok, a.ID)
	}
	if _, ok := s.Cover(ctx, torch); ok {
		t.Fatal("torch has no picture")
	}
	err = s.Save(ctx, lamp, []media.Edit{{ID: b.ID, Alt: "Side view"}, {ID: b.ID, Alt: "x"}})
	if ocean.ErrorCode(err) != ocean.EINVALID || ocean.ErrorFields(err)[0].Field != "images[1].id" {
		t.Fatalf("twice: %v", err)
	}
	if err := s.Save(ctx, lamp, []media.Edit{{ID: b.ID, Alt: "Side view"}, {ID: a.ID, Alt: " Front "}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckAlt(ctx, lamp); err != nil {
		t.Fatalf("all described: %v", err)
	}
	imgs, _ := s.Images(ctx, lamp)
	if imgs[0].ID != b.ID || imgs[1].Alt != "Front" {
		t.Fatalf("after save: %+v", imgs)
	}
	// This instance's own change shows on its cards at once.
	if c, _ := s.Cover(ctx, lamp); c.ID != b.ID {
		t.Fatalf("cover after reorder = %d, want %d", c.ID, b.ID)
	}
}

func TestUploadGivesUpWhenTheRequestEnds(t *testing.T) {
	s, _, lamp, _ := setup(t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Upload(cctx, lamp, smallJPEG(t, 8, 8, 1), ""); err == nil {
		t.Fatal("an upload whose request ended was stored")
	}
}
