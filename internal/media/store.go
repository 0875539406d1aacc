package media

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Image is one picture of a product.
type Image struct {
	ID        int64
	ProductID int64
	Position  int    // 1 is the product's main picture
	Hash      string // the renditions' key prefix (see Key)
	Alt       string // what the picture shows, for people who cannot see it
	Width     int    // of the largest rendition
	Height    int
	Widths    []int  // the WebP renditions, ascending
	Fallback  string // "jpg" or "png": the one rendition for browsers without WebP
	CreatedAt time.Time
}

// Prefix is the path the renditions are served under.
const Prefix = "/media/"

// URL is the address of the largest WebP rendition.
func (i Image) URL() string { return Prefix + Key(i.Hash, i.Width, "webp") }

// FallbackURL is the address of the JPEG or PNG rendition.
func (i Image) FallbackURL() string { return Prefix + Key(i.Hash, i.Width, i.Fallback) }

// SrcSet lists every WebP rendition with its width, for srcset.
func (i Image) SrcSet() string {
	parts := make([]string, len(i.Widths))
	for k, w := range i.Widths {
		parts[k] = Prefix + Key(i.Hash, w, "webp") + " " + strconv.Itoa(w) + "w"
	}
	return strings.Join(parts, ", ")
}

// Keys are the blob keys of every rendition.
func (i Image) Keys() []string {
	keys := make([]string, 0, len(i.Widths)+1)
	for _, w := range i.Widths {
		keys = append(keys, Key(i.Hash, w, "webp"))
	}
	return append(keys, Key(i.Hash, i.Width, i.Fallback))
}

// Edit is the alt text of one image in a new order (see Store.SaveImages).
type Edit struct {
	ID  int64
	Alt string
}

// Store keeps the list of each product's images.
type Store interface {
	// Images returns the product's images in order (none: an empty
	// list). ENOTFOUND when there is no such product.
	Images(ctx context.Context, productID int64) ([]Image, error)
	// Covers returns the first image of each of the products that has
	// one, by product id.
	Covers(ctx context.Context, productIDs []int64) (map[int64]Image, error)
	// AddImage appends img to its product's images and sets its ID,
	// Position and CreatedAt. ENOTFOUND when the product does not exist;
	// EUNPROCESSABLE when the product already has max images. The count
	// and the insert are one transaction, so two uploads at once cannot
	// pass max together.
	AddImage(ctx context.Context, img *Image, max int) error
	// SaveImages sets the order (edits' order) and the alt text of a
	// product's images in one transaction. edits must name each of the
	// product's images once: otherwise ECONFLICT (an image was added or
	// deleted meanwhile) and nothing changes. ENOTFOUND for no product.
	SaveImages(ctx context.Context, productID int64, edits []Edit) error
	// DeleteImage removes one image of a product and closes the gap in
	// the order. ENOTFOUND when the product has no such image. It returns
	// the deleted image and whether another image (of any product) still
	// uses the same renditions.
	DeleteImage(ctx context.Context, productID, imageID int64) (img Image, shared bool, err error)
}

// Blob is a stored rendition.
type Blob struct {
	ContentType string
	Data        []byte
}

// BlobStore keeps renditions by key (content hash, width and type). A
// key's bytes never change, so readers may cache them forever.
type BlobStore interface {
	// Put stores data under key; putting a key that exists keeps the
	// stored bytes (they are the same content) and is not an error.
	Put(ctx context.Context, key, contentType string, data []byte) error
	// Get returns the blob under key; ENOTFOUND when there is none.
	Get(ctx context.Context, key string) (*Blob, error)
	// Delete removes the blobs under keys; missing keys are skipped.
	Delete(ctx context.Context, keys []string) error
}
