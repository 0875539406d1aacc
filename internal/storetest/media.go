package storetest

import (
	"bytes"
	"slices"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
)

// MediaDB is what the media contract runs on: one fresh database's
// catalog (for products to attach images to), image list and blob store.
type MediaDB struct {
	Catalog catalog.Store
	Images  media.Store
	Blobs   media.BlobStore
}

// Media runs the media.Store and media.BlobStore contract.
func Media(t *testing.T, newDB func(t *testing.T) MediaDB) {
	t.Run("blobs", func(t *testing.T) { testBlobs(t, newDB(t).Blobs) })
	t.Run("images in order", func(t *testing.T) { testImageOrder(t, newDB(t)) })
	t.Run("at most max, also at once", func(t *testing.T) { testImageMax(t, newDB(t)) })
	t.Run("delete", func(t *testing.T) { testImageDelete(t, newDB(t)) })
}

func mediaProduct(t *testing.T, s catalog.Store, slug string) int64 {
	t.Helper()
	cats, err := s.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var cid int64
	if len(cats) > 0 {
		cid = cats[0].ID
	} else {
		c := &catalog.Category{Slug: "things", Name: "Things"}
		if err := s.CreateCategory(ctx, c, catalog.System); err != nil {
			t.Fatal(err)
		}
		cid = c.ID
	}
	p := &catalog.Product{Slug: slug, Name: slug, CategoryID: cid,
		Variants: []catalog.Variant{{SKU: slug + "-1", Options: map[string]string{}, Price: zar(1000), Stock: 1}}}
	if err := s.CreateProduct(ctx, p, catalog.System); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func newImage(productID int64, hash string) *media.Image {
	return &media.Image{ProductID: productID, Hash: hash, Alt: "", Width: 1000, Height: 750, Widths: []int{320, 640, 960, 1000}, Fallback: "jpg"}
}

func testBlobs(t *testing.T, b media.BlobStore) {
	data := []byte{0, 1, 2, 0xff, 0, 'R', 'I', 'F', 'F'}
	if err := b.Put(ctx, "abc-320.webp", "image/webp", data); err != nil {
		t.Fatal(err)
	}
	// The same key again is the same content: the first bytes stay.
	if err := b.Put(ctx, "abc-320.webp", "image/webp", []byte("other")); err != nil {
		t.Fatalf("put again: %v", err)
	}
	got, err := b.Get(ctx, "abc-320.webp")
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentType != "image/webp" || !bytes.Equal(got.Data, data) {
		t.Fatalf("got %q %v, want image/webp %v (binary intact, first put kept)", got.ContentType, got.Data, data)
	}
	if _, err := b.Get(ctx, "nope-320.webp"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("missing key: %v, want not found", err)
	}
	if err := b.Put(ctx, "abc-640.webp", "image/webp", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, []string{"abc-320.webp", "never-there.jpg"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "abc-320.webp"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("deleted key: %v, want not found", err)
	}
	if _, err := b.Get(ctx, "abc-640.webp"); err != nil {
		t.Fatalf("the other key went too: %v", err)
	}
	if err := b.Delete(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func ids(imgs []media.Image) []int64 {
	out := make([]int64, len(imgs))
	for i, img := range imgs {
		out[i] = img.ID
	}
	return out
}

func testImageOrder(t *testing.T, db MediaDB) {
	s := db.Images
	p := mediaProduct(t, db.Catalog, "lamp")
	q := mediaProduct(t, db.Catalog, "rug")
	if _, err := s.Images(ctx, 99999); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("images of no product: %v", err)
	}
	if err := s.AddImage(ctx, newImage(99999, "h0"), 10); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("add to no product: %v", err)
	}
	none, err := s.Images(ctx, p)
	if err != nil || none == nil || len(none) != 0 {
		t.Fatalf("no images yet: %v %v, want an empty list", none, err)
	}
	var added []*media.Image
	for _, h := range []string{"h1", "h2", "h3"} {
		img := newImage(p, h)
		if err := s.AddImage(ctx, img, 10); err != nil {
			t.Fatal(err)
		}
		if img.ID == 0 || img.CreatedAt.IsZero() || img.Position != len(added)+1 {
			t.Fatalf("added %+v: id, time and position %d not set", img, len(added)+1)
		}
		added = append(added, img)
	}
	other := newImage(q, "h9")
	other.Fallback, other.Widths, other.Width = "png", []int{200}, 200
	if err := s.AddImage(ctx, other, 10); err != nil {
		t.Fatal(err)
	}
	got, err := s.Images(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Hash != "h1" || got[2].Hash != "h3" || !slices.Equal(got[0].Widths, []int{320, 640, 960, 1000}) ||
		got[0].Width != 1000 || got[0].Height != 750 || got[0].Fallback != "jpg" || !got[0].CreatedAt.Equal(added[0].CreatedAt) {
		t.Fatalf("images = %+v", got)
	}
	covers, err := s.Covers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(covers) != 2 || covers[p].Hash != "h1" || covers[q].Hash != "h9" || covers[q].Fallback != "png" {
		t.Fatalf("covers = %+v", covers)
	}
	if c, err := s.Covers(ctx, []int64{q, 12345}); err != nil || len(c) != 1 || c[q].Hash != "h9" {
		t.Fatalf("covers of q = %+v %v", c, err)
	}
	if c, err := s.Covers(ctx, []int64{}); err != nil || len(c) != 0 {
		t.Fatalf("covers of none = %+v %v", c, err)
	}

	// Reorder with alt text: 3, 1, 2.
	edits := []media.Edit{{ID: added[2].ID, Alt: "Lamp, lit"}, {ID: added[0].ID, Alt: "Lamp from the side"}, {ID: added[1].ID, Alt: ""}}
	if err := s.SaveImages(ctx, p, edits); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Images(ctx, p)
	if !slices.Equal(ids(got), []int64{added[2].ID, added[0].ID, added[1].ID}) || got[0].Alt != "Lamp, lit" || got[1].Alt != "Lamp from the side" || got[0].Position != 1 || got[2].Position != 3 {
		t.Fatalf("after save = %+v", got)
	}
	if c, _ := s.Covers(ctx, []int64{p}); c[p].ID != added[2].ID {
		t.Fatalf("cover after reorder = %+v, want image %d", c[p], added[2].ID)
	}
	// A list that is not the product's images is refused whole.
	for name, bad := range map[string][]media.Edit{
		"missing one":      {{ID: added[0].ID, Alt: "x"}, {ID: added[1].ID}},
		"another product":  {{ID: added[0].ID, Alt: "x"}, {ID: added[1].ID}, {ID: other.ID}},
		"an unknown image": {{ID: added[0].ID, Alt: "x"}, {ID: added[1].ID}, {ID: 424242}},
	} {
		if err := s.SaveImages(ctx, p, bad); ocean.ErrorCode(err) != ocean.ECONFLICT {
			t.Fatalf("%s: %v, want conflict", name, err)
		}
	}
	again, _ := s.Images(ctx, p)
	if !slices.EqualFunc(again, got, func(a, b media.Image) bool { return a.ID == b.ID && a.Alt == b.Alt && a.Position == b.Position }) {
		t.Fatalf("a refused save changed something: %+v", again)
	}
	if err := s.SaveImages(ctx, 99999, nil); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("save on no product: %v", err)
	}
}

func testImageMax(t *testing.T, db MediaDB) {
	s := db.Images
	p := mediaProduct(t, db.Catalog, "vase")
	for i := 0; i < 2; i++ {
		if err := s.AddImage(ctx, newImage(p, "a"), 2); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddImage(ctx, newImage(p, "b"), 2); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("third of at most 2: %v", err)
	}
	// Eight uploads at once to a product that takes four: exactly four land.
	q := mediaProduct(t, db.Catalog, "bowl")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.AddImage(ctx, newImage(q, "c"), 4)
			mu.Lock()
			defer mu.Unlock()
			switch ocean.ErrorCode(err) {
			case "":
				ok++
			case ocean.EUNPROCESSABLE:
				refused++
			default:
				t.Errorf("add: %v", err)
			}
		}()
	}
	wg.Wait()
	got, _ := s.Images(ctx, q)
	if ok != 4 || refused != 4 || len(got) != 4 {
		t.Fatalf("added %d, refused %d, stored %d; want 4, 4, 4", ok, refused, len(got))
	}
	for i, img := range got {
		if img.Position != i+1 {
			t.Fatalf("positions = %+v, want 1..4", got)
		}
	}
}

func testImageDelete(t *testing.T, db MediaDB) {
	s := db.Images
	p := mediaProduct(t, db.Catalog, "mug")
	q := mediaProduct(t, db.Catalog, "cup")
	a, b, c := newImage(p, "ha"), newImage(p, "hb"), newImage(p, "hc")
	for _, img := range []*media.Image{a, b, c} {
		if err := s.AddImage(ctx, img, 10); err != nil {
			t.Fatal(err)
		}
	}
	// The same upload on another product shares its files.
	shared := newImage(q, "hb")
	if err := s.AddImage(ctx, shared, 10); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.DeleteImage(ctx, q, a.ID); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("delete another product's image: %v", err)
	}
	if _, _, err := s.DeleteImage(ctx, p, 987654); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("delete unknown image: %v", err)
	}
	img, isShared, err := s.DeleteImage(ctx, p, b.ID)
	if err != nil || img.Hash != "hb" || !isShared {
		t.Fatalf("delete b = %+v shared=%v %v, want hb still used by %d", img, isShared, err, q)
	}
	got, _ := s.Images(ctx, p)
	if !slices.Equal(ids(got), []int64{a.ID, c.ID}) || got[1].Position != 2 {
		t.Fatalf("after delete = %+v, want a, c at 1, 2", got)
	}
	if _, isShared, err := s.DeleteImage(ctx, q, shared.ID); err != nil || isShared {
		t.Fatalf("delete the last user of hb: shared=%v %v", isShared, err)
	}
	// A new upload after a delete goes to the end.
	d := newImage(p, "hd")
	if err := s.AddImage(ctx, d, 10); err != nil || d.Position != 3 {
		t.Fatalf("add after delete: position %d %v, want 3", d.Position, err)
	}
}
