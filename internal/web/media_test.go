package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
)

func photoJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(w), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload sends the admin's picture form as the browser does: multipart,
// from our origin, with the page's token (csrf "" for none).
func (b *browser) upload(path, csrf string, files ...[]byte) visit {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if csrf != "" {
		_ = w.WriteField("csrf", csrf)
	}
	for i, f := range files {
		fw, err := w.CreateFormFile("file", fmt.Sprintf("IMG_%04d.jpg", i))
		if err != nil {
			b.t.Fatal(err)
		}
		fw.Write(f)
	}
	_ = w.Close()
	req, err := http.NewRequest("POST", b.s.srv.URL+path, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", b.s.srv.URL)
	return b.do(req)
}

var (
	reImageID = regexp.MustCompile(`name="image" value="(\d+)"`)
	reMedia   = regexp.MustCompile(`/media/[0-9a-f]{24}-\d+\.webp`)
)

func TestProductPictures(t *testing.T) {
	s := newOffice(t)
	ctx := context.Background()
	slug, _ := s.product(t, 5, 1000)
	p, err := s.app.Catalog.Product(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/admin/products/%d/images", p.ID)

	// Before any upload: the drawing, first in line.
	guest := s.browser(t)
	v := guest.get("/p/" + slug)
	if !strings.Contains(v.body, `src="/images/products/`+slug+`.svg"`) || strings.Contains(v.body, "<picture>") {
		t.Fatalf("product page without photos:\n%s", v.body)
	}
	// The picture pages are the admin's: a guest is asked to sign in.
	wantSignIn(t, guest.get(page), page)

	owner := s.owner(t)
	v = owner.get(page)
	if v.status != 200 || !strings.Contains(v.body, "No pictures yet") || !strings.Contains(v.body, `multiple`) || !strings.Contains(v.body, `enctype="multipart/form-data"`) {
		t.Fatalf("empty pictures page %d:\n%s", v.status, v.body)
	}
	csrf := owner.csrf(page)

	// Without the token nothing is taken.
	if v := owner.upload(page, "", photoJPEG(t, 800, 600)); v.status != 403 {
		t.Fatalf("upload without csrf: %d", v.status)
	}
	// A file that is not a picture: the page says why, with 415.
	v = owner.upload(page, csrf, []byte("GIF89a, not taken"))
	if !v.refused() || !strings.Contains(v.body, "not a JPEG, PNG or WebP") || !strings.Contains(v.body, "IMG_0000.jpg") {
		t.Fatalf("gif upload %d:\n%s", v.status, v.body)
	}
	// Two at once.
	v = owner.upload(page, csrf, photoJPEG(t, 800, 600), photoJPEG(t, 400, 300))
	if v.status != 200 || !strings.Contains(v.body, "The pictures were added.") || !strings.Contains(v.body, "2 still need it") {
		t.Fatalf("upload %d at %s:\n%s", v.status, v.url, v.body)
	}
	ids := reImageID.FindAllStringSubmatch(v.body, -1)
	if len(ids) != 2 {
		t.Fatalf("%d pictures listed, want 2", len(ids))
	}
	first, second := ids[0][1], ids[1][1]

	// Alt text for both, the second first.
	v = owner.submit(page, page+"/save", url.Values{"image": {first, second},
		"alt-" + first: {"Office thing, front"}, "position-" + first: {"2"},
		"alt-" + second: {"Office thing, close up"}, "position-" + second: {"1"}})
	if v.status != 200 || !strings.Contains(v.body, "saved") || strings.Contains(v.body, "still need it") {
		t.Fatalf("save %d:\n%s", v.status, v.body)
	}
	if got := reImageID.FindAllStringSubmatch(v.body, -1); got[0][1] != second {
		t.Fatalf("order after save: %v, want %s first", got, second)
	}

	// The storefront: the close-up leads, as the LCP picture; the other is lazy.
	v = guest.get("/p/" + slug)
	pics := regexp.MustCompile(`(?s)<picture>.*?</picture>`).FindAllString(v.body, -1)
	if len(pics) != 2 {
		t.Fatalf("%d <picture>s on the product page, want 2:\n%s", len(pics), v.body)
	}
	lead := pics[0]
	for _, want := range []string{`<source type="image/webp" srcset="/media/`, `-320.webp 320w, /media/`, `-400.webp 400w"`,
		`sizes="(min-width: 52rem) 52vw, 100vw"`, `width="400" height="300"`, `fetchpriority="high"`, `alt="Office thing, close up"`, `-400.jpg"`} {
		if !strings.Contains(lead, want) {
			t.Errorf("main picture lacks %s:\n%s", want, lead)
		}
	}
	if strings.Contains(lead, `loading="lazy"`) {
		t.Error("the main picture is lazy")
	}
	if !strings.Contains(pics[1], `loading="lazy"`) || !strings.Contains(pics[1], `width="800" height="600"`) || !strings.Contains(pics[1], `-800.webp 800w`) || strings.Contains(pics[1], "fetchpriority") {
		t.Errorf("second picture:\n%s", pics[1])
	}

	// The product card in its category shows the lead photo, lazily.
	v = guest.get("/c/test-goods")
	card := regexp.MustCompile(`(?s)<li class="card">.*?</li>`).FindString(v.body)
	if !strings.Contains(card, "<picture>") || !strings.Contains(card, `loading="lazy"`) || !strings.Contains(card, `sizes="(min-width: 64rem) 25vw`) || !strings.Contains(card, `alt="Office thing, close up"`) {
		t.Fatalf("card:\n%s", card)
	}

	// The files: immutable, with an ETag; a repeat is a 304 without a body.
	file := reMedia.FindString(lead)
	v = guest.get(file)
	if v.status != 200 || v.header.Get("Content-Type") != "image/webp" || v.header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		!strings.HasPrefix(v.body, "RIFF") || v.header.Get("ETag") == "" {
		t.Fatalf("GET %s: %d %v", file, v.status, v.header)
	}
	req, _ := http.NewRequest("GET", s.srv.URL+file, nil)
	req.Header.Set("If-None-Match", v.header.Get("ETag"))
	if v := guest.do(req); v.status != 304 || v.body != "" {
		t.Fatalf("conditional GET: %d %q", v.status, v.body)
	}
	for _, bad := range []string{"/media/nothing.webp", "/media/" + strings.Repeat("a", 24) + "-320.webp", "/media/../etc/passwd"} {
		if v := guest.get(bad); v.status != 404 {
			t.Errorf("GET %s: %d, want 404", bad, v.status)
		}
	}

	// Delete the lead: the other leads now.
	v = owner.submit(page, page+"/"+second+"/delete", url.Values{})
	if v.status != 200 || !strings.Contains(v.body, "The picture was deleted.") || len(reImageID.FindAllString(v.body, -1)) != 1 {
		t.Fatalf("delete %d:\n%s", v.status, v.body)
	}
	if v := guest.get("/p/" + slug); !strings.Contains(v.body, `width="800" height="600" fetchpriority="high"`) {
		t.Fatalf("after delete the product page leads with:\n%s", regexp.MustCompile(`(?s)<picture>.*?</picture>`).FindString(v.body))
	}
}

// A product is not published while one of its pictures has no alt text:
// the owner is told how many still need it, and publishing works once
// they are described.
func TestPublishNeedsAltText(t *testing.T) {
	s := newOffice(t)
	ctx := context.Background()
	p := &catalog.Product{Name: "Quiet lamp", CategoryID: s.cat, Status: catalog.StatusDraft,
		Variants: []catalog.Variant{{SKU: "QL-1", Price: ocean.Money{Amount: 50000, Currency: "ZAR"}, Stock: 2}}}
	if err := s.app.Catalog.Create(ctx, catalog.System, p); err != nil {
		t.Fatal(err)
	}
	owner := s.owner(t)
	pics := fmt.Sprintf("/admin/products/%d/images", p.ID)
	v := owner.upload(pics, owner.csrf(pics), photoJPEG(t, 400, 300))
	id := reImageID.FindStringSubmatch(v.body)
	if id == nil {
		t.Fatalf("upload %d:\n%s", v.status, v.body)
	}
	page := fmt.Sprintf("/admin/products/%d", p.ID)
	v = owner.submit(page, page+"/publish", url.Values{"version": {strconv.FormatInt(p.Version, 10)}})
	wantPage(t, v, v.status, "Describe every picture (alt text) before the product is published: 1 still need it.")
	if got, _ := s.app.Catalog.ProductByID(ctx, p.ID); got.Status != catalog.StatusDraft {
		t.Fatalf("published without alt text: %s", got.Status)
	}
	owner.submit(pics, pics+"/save", url.Values{"image": {id[1]}, "alt-" + id[1]: {"A lamp with a linen shade"}, "position-" + id[1]: {"1"}})
	v = owner.submit(page, page+"/publish", url.Values{"version": {strconv.FormatInt(p.Version, 10)}})
	wantPage(t, v, 200, "Status: active")
	wantPage(t, s.browser(t).get("/p/quiet-lamp"), 200, "Quiet lamp")
}
