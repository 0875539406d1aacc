package media

import (
	"bytes"
	"mime/multipart"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
)

// FuzzReadForm: any body is a form or a 400/413, never a panic, and what
// is read stays within the limits.
func FuzzReadForm(f *testing.F) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.SetBoundary("XyZ")
	fw, _ := w.CreateFormFile("file", "a.jpg")
	fw.Write([]byte{0xFF, 0xD8, 0xFF, 0xE0})
	_ = w.WriteField("alt", "A lamp")
	_ = w.Close()
	f.Add(b.Bytes())
	f.Add([]byte("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\r\n--XyZ--"))
	f.Add([]byte("--XyZ\r\n\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := ReadForm(multipart.NewReader(bytes.NewReader(body), "XyZ"))
		if err != nil {
			if c := ocean.ErrorCode(err); c != ocean.EINVALID && c != ocean.ETOOLARGE {
				t.Fatalf("code %s: %v", c, err)
			}
			return
		}
		if len(form.Files) > MaxImages {
			t.Fatalf("%d files", len(form.Files))
		}
		for _, v := range form.Values {
			for _, s := range v {
				if len(s) > maxFieldBytes {
					t.Fatalf("field of %d bytes", len(s))
				}
			}
		}
	})
}

// FuzzUpload: any bytes are refused with a 4xx code or processed; never a
// panic, never a 500. Seeds are small real pictures and their EXIF.
func FuzzUpload(f *testing.F) {
	f.Add(jpegOf(f, photo(16, 8)))
	f.Add(withExif(jpegOf(f, photo(8, 16)), 8))
	f.Add(pngOf(f, photo(8, 8)))
	f.Add(bombPNG(1<<20, 1<<20))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := Orientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
		_, cfg, err := Check(data)
		if err == nil && cfg.Width*cfg.Height > 256*256 {
			return // a valid header of a big picture: decoding it is slow, not interesting
		}
		if _, err := Process(data); err != nil {
			switch ocean.ErrorCode(err) {
			case ocean.EINVALID, ocean.ETOOLARGE, ocean.EUNSUPPORTED, ocean.EUNPROCESSABLE:
			default:
				t.Fatalf("code %s: %v", ocean.ErrorCode(err), err)
			}
		}
	})
}
