package web

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
)

// mediaKey is the form of a rendition's file name: the upload's hash, the
// width, the type.
var mediaKey = regexp.MustCompile(`^[0-9a-f]{24}-[0-9]{1,5}\.(webp|jpg|png)$`)

// mediaFile serves an uploaded picture's rendition at /media/{file}. The
// name is the content's hash, so the answer never changes: browsers and
// CDNs keep it for a year without asking again.
func (w *Web) mediaFile(rw http.ResponseWriter, r *http.Request) {
	key := r.PathValue("file")
	if w.media == nil || !mediaKey.MatchString(key) {
		http.NotFound(rw, r)
		return
	}
	etag := `"` + key + `"`
	h := rw.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		// The key is the content: no need to read it.
		h.Set("ETag", etag)
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	b, err := w.media.Blob(r.Context(), key)
	if err != nil {
		h.Del("Cache-Control")
		if isCode(err, ocean.ENOTFOUND) {
			http.NotFound(rw, r)
			return
		}
		w.fail(rw, r, err)
		return
	}
	h.Set("ETag", etag)
	h.Set("Content-Type", b.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(b.Data)))
	rw.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		// A picture the shop encoded itself, under its own image type,
		// with nosniff from the security headers.
		_, _ = rw.Write(b.Data) //nolint:gosec // not HTML: image bytes with an image/* type
	}
}

// picture is what the "picture" partial draws: an uploaded photo with its
// renditions, or the product's drawing when it has none.
type photoView struct {
	Img      *media.Image
	Drawing  string // the SVG's URL
	Alt      string
	Sizes    string // the sizes attribute: how wide the picture is shown
	Priority bool   // the page's largest picture (LCP): fetched first, not lazily
	W, H     int    // the drawing's box
}

// pictureOf is the template helper "picture": photo is a media.Image, a
// *media.Image or nil (the drawing).
func pictureOf(photo any, drawing, alt, sizes string, priority bool) photoView {
	var img *media.Image
	switch v := photo.(type) {
	case media.Image:
		img = &v
	case *media.Image:
		img = v
	}
	p := photoView{Img: img, Drawing: drawing, Alt: alt, Sizes: sizes, Priority: priority, W: 600, H: 600}
	if img != nil && img.Alt != "" {
		p.Alt = img.Alt
	}
	return p
}

// productPictures are a product page's photos, none without a media
// service or when they cannot be read (the page shows the drawing then).
func (w *Web) productPictures(r *http.Request, productID int64) []media.Image {
	if w.media == nil {
		return nil
	}
	imgs, err := w.media.Images(r.Context(), productID)
	if err != nil {
		w.log.WarnContext(r.Context(), "product pictures", "product", productID, "err", err)
		return nil
	}
	return imgs
}

// registerMedia adds the admin's picture pages.
func (w *Web) registerMedia(mux *http.ServeMux, page func(http.HandlerFunc) http.Handler) {
	for _, rt := range []struct {
		pattern string
		h       http.HandlerFunc
	}{
		{"GET /admin/products/{id}/images", w.adminImages},
		{"POST /admin/products/{id}/images", w.adminUpload},
		{"POST /admin/products/{id}/images/save", w.adminSaveImages},
		{"POST /admin/products/{id}/images/{image}/delete", w.adminDeleteImage},
	} {
		mux.Handle(rt.pattern, w.secureOnly(page(rt.h)))
	}
}

type adminImagesData struct {
	layout
	ProductID int64
	Images    []media.Image
	Done      string
	Form      formState
	MaxMB     int
	Max       int
}

var imagesDone = map[string]string{
	"uploaded": "The pictures were added.",
	"saved":    "The order and the alt text were saved.",
	"deleted":  "The picture was deleted.",
}

func productParam(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0
	}
	return id
}

func (w *Web) adminImages(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil {
		return
	}
	w.renderImages(rw, r, http.StatusOK, newForm(), imagesDone[r.URL.Query().Get("done")])
}

func (w *Web) renderImages(rw http.ResponseWriter, r *http.Request, status int, form formState, done string) {
	id := productParam(r)
	if id == 0 {
		w.notFound(rw, r)
		return
	}
	imgs, err := w.media.Images(r.Context(), id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if form.Message == "" {
		if fe := media.MissingAlt(imgs); fe != nil {
			form.Message = "Describe every picture (alt text) before the product is published: " + strconv.Itoa(len(fe)) + " still need it."
		}
	}
	d := adminImagesData{ProductID: id, Images: imgs, Done: done, Form: form, MaxMB: media.MaxBytes >> 20, Max: media.MaxImages}
	if w.prg(rw, r, status, "admin_images", "/admin/products/"+strconv.FormatInt(id, 10)+"/images", d) {
		return
	}
	if w.restore(rw, r, "admin_images", &d) {
		d.Done = ""
	}
	d.layout = w.pageLayout(rw, r, "Pictures of product "+strconv.FormatInt(id, 10))
	w.renderPrivate(rw, r, status, "admin_images", d)
}

// adminUpload takes the files of the upload form (several at once; the
// drop zone's script sends the same form). The form is multipart, so it
// is read part by part here and its CSRF token checked before any picture
// is processed.
func (w *Web) adminUpload(rw http.ResponseWriter, r *http.Request) {
	s := w.requireAdmin(rw, r)
	if s == nil {
		return
	}
	if !sameOrigin(r) {
		w.formExpired(rw, r)
		return
	}
	id := productParam(r)
	if id == 0 {
		w.notFound(rw, r)
		return
	}
	st := newForm()
	mr, err := r.MultipartReader()
	if err != nil {
		w.formExpired(rw, r)
		return
	}
	form, err := media.ReadForm(mr)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = &ocean.Error{Code: ocean.ETOOLARGE, Message: "The pictures together are over " + strconv.FormatInt(mbe.Limit>>20, 10) + " MB: send fewer at a time."}
		}
		st.Message = ocean.ErrorMessage(err)
		w.renderImages(rw, r, statusOf(err), st, "")
		return
	}
	if !checkCSRF(r, form.Get("csrf")) {
		w.formExpired(rw, r)
		return
	}
	if len(form.Files) == 0 {
		st.Errors["file"] = "Choose one or more pictures (JPEG, PNG or WebP)."
		st.Message = "No picture was chosen."
		w.renderImages(rw, r, http.StatusBadRequest, st, "")
		return
	}
	var refused []string
	status := http.StatusOK
	for _, f := range form.Files {
		if _, err := w.media.Upload(r.Context(), id, f.Data, ""); err != nil {
			if isCode(err, ocean.ENOTFOUND) {
				w.fail(rw, r, err)
				return
			}
			if statusOf(err) >= 500 {
				w.fail(rw, r, err)
				return
			}
			refused = append(refused, fileLabel(f.Name)+": "+ocean.ErrorMessage(err))
			status = statusOf(err)
		}
	}
	if refused != nil {
		st.Message = strings.Join(refused, " ")
		if n := len(form.Files) - len(refused); n > 0 {
			st.Message = strconv.Itoa(n) + " added; not added: " + st.Message
		}
		st.Errors["file"] = "Pictures must be JPEG, PNG or WebP, at most " + strconv.Itoa(media.MaxBytes>>20) + " MB and 50 megapixels."
		w.renderImages(rw, r, status, st, "")
		return
	}
	http.Redirect(rw, r, "/admin/products/"+strconv.FormatInt(id, 10)+"/images?done=uploaded", http.StatusSeeOther)
}

func statusOf(err error) int {
	switch ocean.ErrorCode(err) {
	case ocean.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case ocean.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case ocean.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case ocean.EINVALID:
		return http.StatusBadRequest
	case ocean.ENOTFOUND:
		return http.StatusNotFound
	case ocean.ECONFLICT:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// fileLabel is an uploaded file's name as the page may show it.
func fileLabel(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || len(name) > 80 {
		return "A file"
	}
	return "“" + name + "”"
}

// adminSaveImages saves the order (each picture's position field) and the
// alt text of every picture.
func (w *Web) adminSaveImages(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil || !w.checkForm(rw, r) {
		return
	}
	id := productParam(r)
	if id == 0 {
		w.notFound(rw, r)
		return
	}
	type row struct {
		edit media.Edit
		pos  int
		i    int
	}
	var rows []row
	st := newForm()
	for i, s := range r.PostForm["image"] {
		imgID, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			st.Message = "The form was not the page's: load it again."
			w.renderImages(rw, r, http.StatusBadRequest, st, "")
			return
		}
		key := strconv.FormatInt(imgID, 10)
		pos, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("position-" + key)))
		if err != nil {
			pos = i + 1
		}
		rows = append(rows, row{edit: media.Edit{ID: imgID, Alt: r.PostForm.Get("alt-" + key)}, pos: pos, i: i})
	}
	slices.SortStableFunc(rows, func(a, b row) int { return a.pos - b.pos })
	edits := make([]media.Edit, len(rows))
	for i, rw := range rows {
		edits[i] = rw.edit
	}
	if err := w.media.Save(r.Context(), id, edits); err != nil {
		if statusOf(err) >= 500 || isCode(err, ocean.ENOTFOUND) {
			w.fail(rw, r, err)
			return
		}
		st.Message = "Nothing was saved. " + ocean.ErrorMessage(err)
		for _, f := range ocean.ErrorFields(err) {
			st.Message += " " + f.Message + "."
		}
		w.renderImages(rw, r, statusOf(err), st, "")
		return
	}
	http.Redirect(rw, r, "/admin/products/"+strconv.FormatInt(id, 10)+"/images?done=saved", http.StatusSeeOther)
}

func (w *Web) adminDeleteImage(rw http.ResponseWriter, r *http.Request) {
	if w.requireAdmin(rw, r) == nil || !w.checkForm(rw, r) {
		return
	}
	id := productParam(r)
	imgID, err := strconv.ParseInt(r.PathValue("image"), 10, 64)
	if id == 0 || err != nil {
		w.notFound(rw, r)
		return
	}
	if err := w.media.Delete(r.Context(), id, imgID); err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/admin/products/"+strconv.FormatInt(id, 10)+"/images?done=deleted", http.StatusSeeOther)
}
