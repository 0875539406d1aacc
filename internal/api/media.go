package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
)

// mediaRoutes are the product image routes (package media); none without
// a media service.
func (a *API) mediaRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/admin/products/{id}/images", a.admin(a.listImages), ""},
		{"POST", "/api/v1/admin/products/{id}/images", a.admin(a.uploadImage), ""},
		{"PATCH", "/api/v1/admin/products/{id}/images", a.admin(a.saveImages), ""},
		{"DELETE", "/api/v1/admin/products/{id}/images/{image_id}", a.admin(a.deleteImage), ""},
	}
}

// imageJSON is a product image as the storefront needs it.
type imageJSON struct {
	URL    string `json:"url"`
	Alt    string `json:"alt"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	SrcSet string `json:"srcset"`
}

// adminImageJSON is a product image as the admin edits it.
type adminImageJSON struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Alt         string `json:"alt"`
	Position    int    `json:"position"`
	SrcSet      string `json:"srcset"`
	FallbackURL string `json:"fallback_url"`
}

func toImageJSON(img media.Image) imageJSON {
	return imageJSON{URL: img.URL(), Alt: img.Alt, Width: img.Width, Height: img.Height, SrcSet: img.SrcSet()}
}

func toAdminImageJSON(img media.Image) adminImageJSON {
	return adminImageJSON{ID: strconv.FormatInt(img.ID, 10), URL: img.URL(), Width: img.Width, Height: img.Height, Alt: img.Alt,
		Position: img.Position, SrcSet: img.SrcSet(), FallbackURL: img.FallbackURL()}
}

// productImages are the storefront's images of a product: an empty list
// without a media service.
func (a *API) productImages(r *http.Request, productID int64) ([]imageJSON, error) {
	out := []imageJSON{}
	if a.Media == nil {
		return out, nil
	}
	imgs, err := a.Media.Images(r.Context(), productID)
	if err != nil {
		return nil, err
	}
	for _, img := range imgs {
		out = append(out, toImageJSON(img))
	}
	return out, nil
}

func noSuchProduct() error { return ocean.Errorf(ocean.ENOTFOUND, "There is no such product.") }

func (a *API) listImages(w http.ResponseWriter, r *http.Request, _ *account.User) {
	id, ok := pathID(r)
	if !ok {
		fail(w, r, noSuchProduct())
		return
	}
	imgs, err := a.Media.Images(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeAdminImages(w, imgs)
}

func writeAdminImages(w http.ResponseWriter, imgs []media.Image) {
	out := struct {
		Items      []adminImageJSON `json:"items"`
		MissingAlt []string         `json:"missing_alt"`
	}{Items: []adminImageJSON{}, MissingAlt: []string{}}
	for _, img := range imgs {
		out.Items = append(out.Items, toAdminImageJSON(img))
		if img.Alt == "" {
			out.MissingAlt = append(out.MissingAlt, strconv.FormatInt(img.ID, 10))
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// uploadImage takes one picture (multipart field "file") with its alt
// text (field "alt").
func (a *API) uploadImage(w http.ResponseWriter, r *http.Request, _ *account.User) {
	id, ok := pathID(r)
	if !ok {
		fail(w, r, noSuchProduct())
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		fail(w, r, ocean.Invalid("Send the picture as multipart/form-data with a file field.", ocean.FieldError{Field: "file", Message: "is required"}))
		return
	}
	form, err := media.ReadForm(mr)
	if err != nil {
		fail(w, r, uploadError(err))
		return
	}
	switch {
	case len(form.Files) == 0:
		fail(w, r, ocean.Invalid("The picture is missing.", ocean.FieldError{Field: "file", Message: "is required"}))
		return
	case len(form.Files) > 1:
		fail(w, r, ocean.Invalid("Send one picture a request.", ocean.FieldError{Field: "file", Message: "must be one file"}))
		return
	}
	img, err := a.Media.Upload(r.Context(), id, form.Files[0].Data, form.Get("alt"))
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", img.URL())
	httpx.WriteJSON(w, http.StatusCreated, toAdminImageJSON(*img))
}

// uploadError turns a body over the server's cap, cut off while the form
// was read, into a 413.
func uploadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &ocean.Error{Code: ocean.ETOOLARGE, Message: "The upload is larger than " + strconv.FormatInt(mbe.Limit>>20, 10) + " MB.", Err: err}
	}
	return err
}

// saveImages sets the order and alt text of a product's images:
// {"images": [{"id": "7", "alt": "…"}, …]} naming each image once, in the
// new order.
func (a *API) saveImages(w http.ResponseWriter, r *http.Request, _ *account.User) {
	id, ok := pathID(r)
	if !ok {
		fail(w, r, noSuchProduct())
		return
	}
	var body struct {
		Images []struct {
			ID  string `json:"id"`
			Alt string `json:"alt"`
		} `json:"images"`
	}
	if err := decode(w, r, &body); err != nil {
		fail(w, r, err)
		return
	}
	var fe []ocean.FieldError
	if body.Images == nil {
		fe = append(fe, ocean.FieldError{Field: "images", Message: "is required: every image of the product, in the new order"})
	}
	edits := make([]media.Edit, len(body.Images))
	for i, e := range body.Images {
		n, err := strconv.ParseInt(strings.TrimSpace(e.ID), 10, 64)
		if err != nil || n <= 0 {
			fe = append(fe, ocean.FieldError{Field: "images[" + strconv.Itoa(i) + "].id", Message: "must be an image id"})
		}
		edits[i] = media.Edit{ID: n, Alt: e.Alt}
	}
	if fe != nil {
		fail(w, r, ocean.Invalid("The images are not valid.", fe...))
		return
	}
	if err := a.Media.Save(r.Context(), id, edits); err != nil {
		fail(w, r, err)
		return
	}
	imgs, err := a.Media.Images(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeAdminImages(w, imgs)
}

func (a *API) deleteImage(w http.ResponseWriter, r *http.Request, _ *account.User) {
	id, ok := pathID(r)
	imageID, err := strconv.ParseInt(r.PathValue("image_id"), 10, 64)
	if !ok || err != nil || imageID <= 0 {
		fail(w, r, ocean.Errorf(ocean.ENOTFOUND, "The product has no such picture."))
		return
	}
	if err := a.Media.Delete(r.Context(), id, imageID); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
