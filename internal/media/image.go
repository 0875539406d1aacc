package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"

	"github.com/gen2brain/webp"
	xdraw "golang.org/x/image/draw"
	xwebp "golang.org/x/image/webp"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Limits of an upload.
const (
	// MaxBytes is the largest file taken (20 MB): a phone's photo is 3-8 MB.
	MaxBytes = 20 << 20
	// MaxPixels is the largest picture taken (50 megapixels, 200 MB of
	// pixels once decoded), checked from the header before decoding.
	MaxPixels = 50_000_000
	// MaxSide is the longest side taken, in pixels.
	MaxSide = 20_000
	// MaxAlt is the longest alt text, in bytes.
	MaxAlt = 500
)

// Widths are the widths the WebP renditions are made at, when the upload
// is wider; the largest rendition is the upload's own width, up to the
// last of these.
var Widths = []int{320, 640, 960, 1280, 1600}

// Quality settings: WebP (lossy) and the JPEG fallback.
const (
	webpQuality = 80
	// webpMethod trades encoding time for size (0-6): 2 gave files within
	// 5% of method 4's in well under its time.
	webpMethod  = 2
	jpegQuality = 82
)

// Format is an upload's file type, known from its first bytes.
type Format string

// The formats taken.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	WebP Format = "webp"
)

// Sniff tells the format of data from its magic bytes, "" for anything
// else (GIF, HEIC, SVG, text …).
func Sniff(data []byte) Format {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return JPEG
	case len(data) >= 8 && string(data[:8]) == "\x89PNG\r\n\x1a\n":
		return PNG
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return WebP
	}
	return ""
}

func fileError(code, msg string) error {
	return &ocean.Error{Code: code, Message: msg, Fields: []ocean.FieldError{{Field: "file", Message: msg}}}
}

// Check refuses data that is too big, of another type, or whose header
// claims more pixels than MaxPixels, without decoding the pixels; it
// returns the format and the size the header states.
func Check(data []byte) (Format, image.Config, error) {
	if len(data) == 0 {
		return "", image.Config{}, fileError(ocean.EINVALID, "The file is empty.")
	}
	if len(data) > MaxBytes {
		return "", image.Config{}, fileError(ocean.ETOOLARGE, fmt.Sprintf("The file is %.1f MB; the most a picture may be is %d MB.", float64(len(data))/(1<<20), MaxBytes>>20))
	}
	f := Sniff(data)
	if f == "" {
		return "", image.Config{}, fileError(ocean.EUNSUPPORTED, "The file is not a JPEG, PNG or WebP picture.")
	}
	cfg, err := decodeConfig(f, data)
	if err != nil {
		return f, cfg, fileError(ocean.EUNPROCESSABLE, fmt.Sprintf("The file looks like %s but cannot be read: it may be damaged.", name(f)))
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return f, cfg, fileError(ocean.EUNPROCESSABLE, "The picture has no pixels.")
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return f, cfg, fileError(ocean.EUNPROCESSABLE, fmt.Sprintf("The picture is %d × %d pixels; the most a picture may have is %d megapixels (and %d pixels a side).",
			cfg.Width, cfg.Height, MaxPixels/1_000_000, MaxSide))
	}
	return f, cfg, nil
}

func name(f Format) string {
	switch f {
	case JPEG:
		return "a JPEG"
	case PNG:
		return "a PNG"
	}
	return "a WebP"
}

func decodeConfig(f Format, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch f {
	case JPEG:
		return jpeg.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	default:
		return xwebp.DecodeConfig(r)
	}
}

// Decode checks data (see Check), then decodes it and turns it upright.
// A decoder that fails part way is a 422, never a panic.
func Decode(data []byte) (image.Image, error) {
	img, o, err := decodeRaw(data)
	if err != nil {
		return nil, err
	}
	return orient(img, o), nil
}

// decodeRaw is Decode without turning the picture upright: it returns the
// EXIF orientation instead, so Process can turn the smaller, scaled
// picture.
func decodeRaw(data []byte) (img image.Image, o int, err error) {
	f, cfg, err := Check(data)
	if err != nil {
		return nil, 1, err
	}
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fileError(ocean.EUNPROCESSABLE, fmt.Sprintf("The file looks like %s but cannot be read: it may be damaged.", name(f)))
		}
	}()
	r := bytes.NewReader(data)
	switch f {
	case JPEG:
		img, err = jpeg.Decode(r)
	case PNG:
		img, err = png.Decode(r)
	default:
		img, err = xwebp.Decode(r)
	}
	if err != nil {
		return nil, 1, fileError(ocean.EUNPROCESSABLE, fmt.Sprintf("The file looks like %s but cannot be read: it may be damaged.", name(f)))
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, 1, fileError(ocean.EUNPROCESSABLE, "The picture's size does not match its header.")
	}
	o = 1
	if f == JPEG {
		o = Orientation(data)
	}
	return img, o, nil
}

// Rendition is one encoded file of an upload.
type Rendition struct {
	Key           string // blob key: <hash>-<width>.<ext>
	ContentType   string
	Width, Height int
	Data          []byte
}

// Processed is an upload turned into what the shop serves.
type Processed struct {
	Hash          string // the first 24 hex digits of the upload's SHA-256
	Width, Height int    // of the largest rendition
	Widths        []int  // the WebP renditions' widths, ascending
	Fallback      string // "jpg" or "png"
	Renditions    []Rendition
}

// HashOf is the content hash the keys of data's renditions start with.
func HashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:12])
}

// Process decodes data with the limits and encodes its renditions. It is
// CPU-heavy: callers go through Service.Upload, which bounds how many run
// at once.
func Process(data []byte) (*Processed, error) {
	src, o, err := decodeRaw(data)
	if err != nil {
		return nil, err
	}
	// Scale first, then turn upright: turning the largest rendition is far
	// cheaper than turning the whole upload.
	if o != 1 {
		sb := src.Bounds()
		uw, uh := sb.Dx(), sb.Dy()
		if o >= 5 {
			uw, uh = uh, uw
		}
		top := renditionWidths(uw)
		w := top[len(top)-1]
		h := max(1, (uh*w+uw/2)/uw)
		if w != uw {
			sw, sh := w, h
			if o >= 5 {
				sw, sh = h, w
			}
			dst := image.NewNRGBA(image.Rect(0, 0, sw, sh))
			xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, sb, draw.Src, nil)
			src = dst
		}
		src = orient(src, o)
	}
	b := src.Bounds()
	widths := renditionWidths(b.Dx())
	p := &Processed{Hash: HashOf(data), Widths: widths, Fallback: "jpg"}
	opaque := isOpaque(src)
	if !opaque {
		p.Fallback = "png"
	}
	// Draw the largest from the source, then each smaller one from the
	// one before it: every step shrinks by at most 2×, which keeps
	// CatmullRom sharp and cheap.
	prev := src
	scaled := make([]image.Image, len(widths))
	for i := len(widths) - 1; i >= 0; i-- {
		w := widths[i]
		pb := prev.Bounds()
		if w == pb.Dx() {
			scaled[i] = prev
			continue
		}
		h := max(1, (b.Dy()*w+b.Dx()/2)/b.Dx())
		dst := image.NewNRGBA(image.Rect(0, 0, w, h))
		xdraw.CatmullRom.Scale(dst, dst.Bounds(), prev, pb, draw.Src, nil)
		scaled[i], prev = dst, dst
	}
	for i, w := range widths {
		img := toNRGBA(scaled[i])
		var buf bytes.Buffer
		if err := webp.Encode(&buf, img, webp.Options{Quality: webpQuality, Method: webpMethod}); err != nil {
			return nil, fmt.Errorf("media: encode webp at %d: %w", w, err)
		}
		h := img.Bounds().Dy()
		p.Renditions = append(p.Renditions, Rendition{Key: Key(p.Hash, w, "webp"), ContentType: "image/webp", Width: w, Height: h, Data: buf.Bytes()})
		if i == len(widths)-1 {
			p.Width, p.Height = w, h
			var fb bytes.Buffer
			if opaque {
				err = jpeg.Encode(&fb, img, &jpeg.Options{Quality: jpegQuality})
			} else {
				err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&fb, img)
			}
			if err != nil {
				return nil, fmt.Errorf("media: encode fallback: %w", err)
			}
			p.Renditions = append(p.Renditions, Rendition{Key: Key(p.Hash, w, p.Fallback), ContentType: ContentType(p.Fallback), Width: w, Height: h, Data: fb.Bytes()})
		}
	}
	return p, nil
}

// renditionWidths are the widths made for a picture w pixels wide: each
// of Widths below w, and w itself up to the largest of Widths.
func renditionWidths(w int) []int {
	var out []int
	for _, x := range Widths {
		if x < w {
			out = append(out, x)
		}
	}
	if top := Widths[len(Widths)-1]; w <= top {
		out = append(out, w)
	}
	return out
}

// Key is the blob key of a rendition.
func Key(hash string, width int, ext string) string {
	return fmt.Sprintf("%s-%d.%s", hash, width, ext)
}

// ContentType of a rendition by its extension.
func ContentType(ext string) string {
	switch ext {
	case "webp":
		return "image/webp"
	case "png":
		return "image/png"
	}
	return "image/jpeg"
}

func isOpaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

func toNRGBA(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok {
		return n
	}
	b := img.Bounds()
	n := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(n, n.Bounds(), img, b.Min, draw.Src)
	return n
}
