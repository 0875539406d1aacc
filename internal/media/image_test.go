package media

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/gen2brain/webp"
	xwebp "golang.org/x/image/webp"

	"github.com/oceanshop/ocean/internal/ocean"
)

// photo is a w×h picture with some structure (gradients and a disc), so
// encoders have something to do.
func photo(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 120, 255}
			if dx, dy := x-w/2, y-h/2; dx*dx+dy*dy < h*h/9 {
				c = color.NRGBA{200, 40, 40, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func jpegOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exifSegment is an APP1 Exif segment (big-endian TIFF) with the given
// orientation and a GPS IFD whose latitude reference and a maker string
// are easy to find in bytes.
func exifSegment(orientation uint16) []byte {
	be := binary.BigEndian
	var t bytes.Buffer
	t.WriteString("MM\x00*")
	binary.Write(&t, be, uint32(8))
	// IFD0: orientation, make (offset), GPS IFD pointer.
	binary.Write(&t, be, uint16(3))
	entry := func(tag, typ uint16, count, value uint32) {
		binary.Write(&t, be, tag)
		binary.Write(&t, be, typ)
		binary.Write(&t, be, count)
		binary.Write(&t, be, value)
	}
	maker := "OceanSecretCam\x00"
	makeOff := uint32(8 + 2 + 3*12 + 4)
	gpsOff := makeOff + uint32(len(maker))
	entry(0x0112, 3, 1, uint32(orientation)<<16)
	entry(0x010F, 2, uint32(len(maker)), makeOff)
	entry(0x8825, 4, 1, gpsOff)
	binary.Write(&t, be, uint32(0))
	t.WriteString(maker)
	// GPS IFD: GPSLatitudeRef "S", GPSLongitudeRef "E".
	binary.Write(&t, be, uint16(2))
	entry(0x0001, 2, 2, uint32('S')<<24)
	entry(0x0003, 2, 2, uint32('E')<<24)
	binary.Write(&t, be, uint32(0))
	body := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	be.PutUint16(seg[2:], uint16(len(body)+2))
	return append(seg, body...)
}

// withExif puts an Exif segment right after a JPEG's SOI marker.
func withExif(j []byte, orientation uint16) []byte {
	out := append([]byte{}, j[:2]...)
	out = append(out, exifSegment(orientation)...)
	return append(out, j[2:]...)
}

func code(err error) string { return ocean.ErrorCode(err) }

func TestCheckRefusesBeforeDecoding(t *testing.T) {
	ok := jpegOf(t, photo(40, 30))
	big := make([]byte, MaxBytes+1)
	copy(big, ok)
	gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	for _, c := range []struct {
		name string
		data []byte
		code string
		says string
	}{
		{"empty", nil, ocean.EINVALID, "empty"},
		{"over 20 MB", big, ocean.ETOOLARGE, "20 MB"},
		{"gif", gif, ocean.EUNSUPPORTED, "not a JPEG, PNG or WebP"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), ocean.EUNSUPPORTED, "not a JPEG"},
		{"truncated jpeg header", ok[:10], ocean.EUNPROCESSABLE, "damaged"},
		{"pixel bomb png", bombPNG(100_000, 100_000), ocean.EUNPROCESSABLE, "100000 × 100000 pixels"},
		{"too wide png", bombPNG(30_000, 10), ocean.EUNPROCESSABLE, "pixels a side"},
		{"zero height png", bombPNG(10, 0), ocean.EUNPROCESSABLE, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Check(c.data)
			if code(err) != c.code || !strings.Contains(ocean.ErrorMessage(err), c.says) {
				t.Fatalf("Check = %v, want %s saying %q", err, c.code, c.says)
			}
			if f := ocean.ErrorFields(err); len(f) != 1 || f[0].Field != "file" {
				t.Fatalf("fields = %+v, want one about file", f)
			}
		})
	}
	if f, cfg, err := Check(ok); err != nil || f != JPEG || cfg.Width != 40 || cfg.Height != 30 {
		t.Fatalf("good jpeg: %v %+v %v", f, cfg, err)
	}
}

// bombPNG is a valid PNG header (signature and IHDR with a correct CRC)
// claiming w×h pixels, followed by one tiny IDAT: a few dozen bytes that
// would need w*h*4 bytes decoded.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := append([]byte(typ), data...)
		b.Write(c)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestBombIsRefusedFast(t *testing.T) {
	bomb := bombPNG(60_000, 60_000) // 14 GB of pixels if decoded
	before := totalAlloc()
	_, err := Process(bomb)
	used := totalAlloc() - before
	if code(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("bomb: %v", err)
	}
	if used > 1<<20 {
		t.Fatalf("refusing the bomb allocated %d bytes; it must not decode", used)
	}
}

func TestDamagedFileIs422(t *testing.T) {
	j := jpegOf(t, photo(64, 48))
	// Header intact, image data cut short.
	_, err := Process(j[:len(j)/2])
	if code(err) != ocean.EUNPROCESSABLE || !strings.Contains(ocean.ErrorMessage(err), "damaged") {
		t.Fatalf("half a jpeg: %v", err)
	}
}

func TestRenditionWidthsNeverUpscale(t *testing.T) {
	for _, c := range []struct {
		w    int
		want []int
	}{
		{200, []int{200}},
		{320, []int{320}},
		{1000, []int{320, 640, 960, 1000}},
		{1600, []int{320, 640, 960, 1280, 1600}},
		{3000, []int{320, 640, 960, 1280, 1600}},
	} {
		if got := renditionWidths(c.w); !slices.Equal(got, c.want) {
			t.Errorf("renditionWidths(%d) = %v, want %v", c.w, got, c.want)
		}
	}
}

func TestProcessMakesWebPAtEachWidthAndAFallback(t *testing.T) {
	src := jpegOf(t, photo(1000, 500))
	p, err := Process(src)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Widths, []int{320, 640, 960, 1000}) || p.Width != 1000 || p.Height != 500 || p.Fallback != "jpg" || p.Hash != HashOf(src) || len(p.Hash) != 24 {
		t.Fatalf("processed = %+v", p)
	}
	if len(p.Renditions) != 5 {
		t.Fatalf("%d renditions, want 4 WebP and 1 JPEG", len(p.Renditions))
	}
	for _, r := range p.Renditions {
		var cfg image.Config
		var err error
		switch r.ContentType {
		case "image/webp":
			cfg, err = xwebp.DecodeConfig(bytes.NewReader(r.Data))
			if !strings.HasSuffix(r.Key, ".webp") {
				t.Errorf("key %s", r.Key)
			}
		case "image/jpeg":
			cfg, err = jpeg.DecodeConfig(bytes.NewReader(r.Data))
			if r.Key != p.Hash+"-1000.jpg" {
				t.Errorf("fallback key %s", r.Key)
			}
		default:
			t.Fatalf("content type %s", r.ContentType)
		}
		if err != nil || cfg.Width != r.Width || cfg.Height != r.Height || r.Height != r.Width/2 {
			t.Errorf("%s: decodes as %dx%d (%v), says %dx%d", r.Key, cfg.Width, cfg.Height, err, r.Width, r.Height)
		}
	}
	// A WebP rendition is a real, lossy picture of the same thing: the
	// disc in the middle is still red.
	img, err := xwebp.Decode(bytes.NewReader(p.Renditions[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	r, g, _, _ := img.At(160, 80).RGBA()
	if r>>8 < 150 || g>>8 > 90 {
		t.Fatalf("centre of the 320 rendition is %d,%d: the picture was not kept", r>>8, g>>8)
	}
}

func TestProcessSmallPictureIsNotUpscaled(t *testing.T) {
	p, err := Process(pngOf(t, photo(120, 90)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Widths, []int{120}) || p.Width != 120 || p.Height != 90 {
		t.Fatalf("processed = %+v, want one 120×90 rendition", p)
	}
}

func TestTransparentPNGFallsBackToPNG(t *testing.T) {
	img := photo(100, 100)
	img.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 0})
	p, err := Process(pngOf(t, img))
	if err != nil {
		t.Fatal(err)
	}
	last := p.Renditions[len(p.Renditions)-1]
	if p.Fallback != "png" || last.ContentType != "image/png" {
		t.Fatalf("fallback %s %s, want png", p.Fallback, last.ContentType)
	}
	back, err := png.Decode(bytes.NewReader(last.Data))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := back.At(0, 0).RGBA(); a != 0 {
		t.Fatalf("transparency lost: alpha %d", a)
	}
}

func TestWebPUploadIsTaken(t *testing.T) {
	var b bytes.Buffer
	if err := webp.Encode(&b, photo(200, 100), webp.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	p, err := Process(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 200 || p.Height != 100 {
		t.Fatalf("webp upload = %+v", p)
	}
}

func TestExifIsStrippedAndOrientationApplied(t *testing.T) {
	src := withExif(jpegOf(t, photo(400, 200)), 6)
	if !bytes.Contains(src, []byte("OceanSecretCam")) || Orientation(src) != 6 {
		t.Fatal("the test upload does not carry its EXIF")
	}
	p, err := Process(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Renditions {
		for _, leak := range []string{"Exif", "OceanSecretCam", "MM\x00*"} {
			if bytes.Contains(r.Data, []byte(leak)) {
				t.Errorf("%s contains %q from the upload's metadata", r.Key, leak)
			}
		}
	}
	// Orientation 6: the camera was turned; the stored picture is upright.
	if p.Width != 200 || p.Height != 400 {
		t.Fatalf("size %dx%d, want 200x400 (turned upright)", p.Width, p.Height)
	}
	// A turned photo wider than the largest rendition: scaled, then turned.
	p, err = Process(withExif(jpegOf(t, photo(900, 1800)), 6))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Widths, []int{320, 640, 960, 1280, 1600}) || p.Width != 1600 || p.Height != 800 {
		t.Fatalf("turned 900x1800: widths %v, %dx%d; want up to 1600x800", p.Widths, p.Width, p.Height)
	}
	up, err := xwebp.Decode(bytes.NewReader(p.Renditions[4].Data))
	if err != nil {
		t.Fatal(err)
	}
	// The gradient runs the other way: the upload's red (growing with x)
	// now grows downwards.
	if r, _, _, _ := up.At(100, 780).RGBA(); r>>8 < 180 {
		t.Fatalf("bottom of the upright picture has red %d, want the upload's right edge", r>>8)
	}
}

func TestOrientations(t *testing.T) {
	// A 3×2 picture with one red pixel at the top left; each orientation
	// puts it where the viewer expects it.
	src := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	src.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	want := map[int]image.Point{1: {0, 0}, 2: {2, 0}, 3: {2, 1}, 4: {0, 1}, 5: {0, 0}, 6: {1, 0}, 7: {1, 2}, 8: {0, 2}}
	for o, at := range want {
		got := orient(src, o)
		if r, _, _, _ := got.At(at.X, at.Y).RGBA(); r>>8 != 255 {
			t.Errorf("orientation %d: red pixel not at %v (bounds %v)", o, at, got.Bounds())
		}
	}
	for _, bad := range [][]byte{nil, {0xFF, 0xD8}, {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01}, append([]byte{0xFF, 0xD8}, exifSegment(9)...)} {
		if o := Orientation(bad); o != 1 {
			t.Errorf("Orientation(%x) = %d, want 1", bad, o)
		}
	}
}

func BenchmarkProcess3000x2000(b *testing.B) {
	src := jpegOf(b, photo(3000, 2000))
	b.ResetTimer()
	for b.Loop() {
		p, err := Process(src)
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for _, r := range p.Renditions {
			total += len(r.Data)
		}
		b.ReportMetric(float64(total)/1024, "KB-stored")
	}
}
