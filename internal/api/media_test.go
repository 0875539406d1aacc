package api_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"strings"
	"testing"
)

// testJPEG is a small w×h photo-like JPEG.
func testJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 100, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bomb is a PNG header claiming w×h pixels in a few dozen bytes.
func bomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	c := append([]byte("IHDR"), ihdr...)
	b.Write(c)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	return b.Bytes()
}

// multipartBody is a form with the given files (field "file") and fields.
func multipartBody(t *testing.T, files [][]byte, fields ...string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i, f := range files {
		fw, err := w.CreateFormFile("file", fmt.Sprintf("photo%d.jpg", i))
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(f)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		_ = w.WriteField(fields[i], fields[i+1])
	}
	_ = w.Close()
	return b.String(), w.FormDataContentType()
}

func (s *shop) upload(path, tok string, files [][]byte, fields ...string) res {
	s.t.Helper()
	body, ct := multipartBody(s.t, files, fields...)
	hdr := []string{"Content-Type", ct}
	if tok != "" {
		hdr = append(hdr, bearer(tok)...)
	}
	return s.do("POST", path, body, hdr...)
}

func testMediaRoutes(t *testing.T) {
	s := newShop(t)
	base := fmt.Sprintf("/api/v1/admin/products/%d/images", s.product)
	cust := s.customer("ann@example.com")
	photo := testJPEG(t, 800, 400)

	// Who may: no token 401, a shopper 403, on every route.
	s.want(s.upload(base, "", [][]byte{photo}), 401, "")
	s.want(s.upload(base, cust, [][]byte{photo}), 403, "admin")
	s.want(s.do("GET", base, ""), 401, "")
	s.want(s.do("GET", base, "", bearer(cust)...), 403, "admin")
	s.want(s.do("PATCH", base, `{"images":[]}`), 401, "")
	s.want(s.do("PATCH", base, `{"images":[]}`, bearer(cust)...), 403, "admin")
	s.want(s.do("DELETE", base+"/1", ""), 401, "")
	s.want(s.do("DELETE", base+"/1", "", bearer(cust)...), 403, "admin")

	// Bad uploads: each refused with its status and nothing stored.
	s.want(s.upload(base, s.admin, nil, "alt", "no file"), 400, "missing")
	s.want(s.do("POST", base, `{"file":"x"}`, bearer(s.admin)...), 400, "multipart")
	s.want(s.upload(base, s.admin, [][]byte{photo, photo}), 400, "one picture")
	s.want(s.upload("/api/v1/admin/products/99999/images", s.admin, [][]byte{photo}), 404, "no such product")
	s.want(s.upload("/api/v1/admin/products/abc/images", s.admin, [][]byte{photo}), 404, "no such product")
	s.want(s.upload(base, s.admin, [][]byte{[]byte("GIF89a not really")}), 415, "not a JPEG, PNG or WebP")
	r := s.want(s.upload(base, s.admin, [][]byte{bomb(100_000, 100_000)}), 422, "100000 × 100000 pixels")
	if !strings.Contains(r.raw, `"field":"file"`) {
		t.Fatalf("the 422 does not name the field: %s", r.raw)
	}
	s.want(s.upload(base, s.admin, [][]byte{photo[:200]}), 422, "damaged")
	big := make([]byte, 20<<20+1)
	copy(big, photo)
	s.want(s.upload(base, s.admin, [][]byte{big}), 413, "20 MB")
	s.want(s.upload(base, s.admin, [][]byte{photo}, "alt", strings.Repeat("x", 501)), 400, "alt text")
	if l := s.want(s.do("GET", base, "", bearer(s.admin)...), 200, "").items(); len(l) != 0 {
		t.Fatalf("refused uploads stored %d images", len(l))
	}
	s.want(s.do("GET", "/api/v1/admin/products/99999/images", "", bearer(s.admin)...), 404, "")

	// Two good uploads; the first without alt text.
	a := s.want(s.upload(base, s.admin, [][]byte{photo}), 201, "")
	if a.str("url") != a.header.Get("Location") || !strings.HasPrefix(a.str("url"), "/media/") || !strings.HasSuffix(a.str("url"), "-800.webp") ||
		a.body["width"] != 800.0 || a.body["height"] != 400.0 || a.str("alt") != "" || !strings.Contains(a.str("srcset"), "-320.webp 320w") {
		t.Fatalf("upload answer: %s", a.raw)
	}
	b := s.want(s.upload(base, s.admin, [][]byte{testJPEG(t, 300, 300)}, "alt", "The tee, folded"), 201, "")
	list := s.want(s.do("GET", base, "", bearer(s.admin)...), 200, "")
	if missing := list.body["missing_alt"].([]any); len(missing) != 1 || missing[0] != a.str("id") {
		t.Fatalf("missing_alt = %v, want [%s]", missing, a.str("id"))
	}

	// The storefront's product answer lists them in order.
	p := s.want(s.do("GET", "/api/v1/products/tee", ""), 200, "")
	imgs := p.body["images"].([]any)
	if len(imgs) != 2 || imgs[0].(map[string]any)["url"] != a.str("url") || imgs[1].(map[string]any)["alt"] != "The tee, folded" ||
		imgs[1].(map[string]any)["srcset"] != strings.TrimSuffix(b.str("url"), "-300.webp")+"-300.webp 300w" {
		t.Fatalf("product images = %v", imgs)
	}
	if p := s.want(s.do("GET", "/api/v1/products/cap", ""), 200, ""); len(p.body["images"].([]any)) != 0 {
		t.Fatal("the cap has no pictures")
	}

	// Out of the shop, it cannot come back while a picture lacks alt text.
	prod := fmt.Sprintf("/api/v1/admin/products/%d", s.product)
	s.want(s.do("POST", prod+"/archive", "", bearer(s.admin)...), 200, "")
	if r := s.want(s.do("PATCH", prod, `{"status":"active"}`, bearer(s.admin)...), 422, "1 still need it"); !strings.Contains(r.raw, `"field":"images"`) {
		t.Fatal(r.raw)
	}
	// Reorder with alt text; then the errors of PATCH.
	r = s.want(s.do("PATCH", base, fmt.Sprintf(`{"images":[{"id":%q,"alt":"Folded"},{"id":%q,"alt":"Worn"}]}`, b.str("id"), a.str("id")), bearer(s.admin)...), 200, "")
	if it := r.items(); it[0].(map[string]any)["id"] != b.str("id") || it[1].(map[string]any)["alt"] != "Worn" || len(r.body["missing_alt"].([]any)) != 0 {
		t.Fatalf("after reorder: %s", r.raw)
	}
	s.want(s.do("PATCH", prod, `{"status":"active"}`, bearer(s.admin)...), 204, "")
	s.want(s.do("PATCH", base, `{"images":[{"id":"x"}]}`, bearer(s.admin)...), 400, "not valid")
	s.want(s.do("PATCH", base, `{}`, bearer(s.admin)...), 400, "not valid")
	s.want(s.do("PATCH", base, fmt.Sprintf(`{"images":[{"id":%q}]}`, a.str("id")), bearer(s.admin)...), 409, "changed")
	s.want(s.do("PATCH", "/api/v1/admin/products/99999/images", `{"images":[]}`, bearer(s.admin)...), 404, "")

	// Delete; then the deleted one is a 404.
	s.want(s.do("DELETE", base+"/"+a.str("id"), "", bearer(s.admin)...), 204, "")
	s.want(s.do("DELETE", base+"/"+a.str("id"), "", bearer(s.admin)...), 404, "no such picture")
	s.want(s.do("DELETE", fmt.Sprintf("/api/v1/admin/products/%d/images/%s", s.product+1, b.str("id")), "", bearer(s.admin)...), 404, "")
	if l := s.want(s.do("GET", base, "", bearer(s.admin)...), 200, "").items(); len(l) != 1 {
		t.Fatalf("%d images after delete, want 1", len(l))
	}
}
