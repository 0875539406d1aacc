package media

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// MaxImages is how many pictures one product may have.
const MaxImages = 20

// coverTTL is how long a snapshot of the products' first images is used
// before it is read again: another instance's upload shows on this one's
// product cards within it (this instance's own at once).
const coverTTL = time.Second

// Service is the product images as the doors (web, api) see them.
type Service struct {
	store Store
	blobs BlobStore
	sem   chan struct{} // one token per upload being encoded

	mu     sync.Mutex
	covers map[int64]Image
	// loading is closed when the snapshot being read arrives (nil: none
	// is); gen counts forget calls.
	loading chan struct{}
	gen     uint64
	at      time.Time
}

// NewService returns the service over store and blobs. At most
// concurrency uploads are decoded and encoded at a time (≤ 0: half the
// CPUs, at least one); the others wait their turn.
func NewService(store Store, blobs BlobStore, concurrency int) *Service {
	if concurrency <= 0 {
		concurrency = max(1, runtime.GOMAXPROCS(0)/2)
	}
	return &Service{store: store, blobs: blobs, sem: make(chan struct{}, concurrency)}
}

// CleanAlt trims alt text and checks it: at most MaxAlt bytes of UTF-8
// without control characters.
func CleanAlt(alt string) (string, error) {
	alt = strings.TrimSpace(alt)
	bad := func(msg string) error {
		return ocean.Invalid("The alt text is not valid.", ocean.FieldError{Field: "alt", Message: msg})
	}
	if !utf8.ValidString(alt) {
		return "", bad("must be UTF-8 text")
	}
	if len(alt) > MaxAlt {
		return "", bad(fmt.Sprintf("must be at most %d characters", MaxAlt))
	}
	for _, r := range alt {
		if r < 0x20 || r == 0x7f {
			return "", bad("must be one line of text")
		}
	}
	return alt, nil
}

// Upload checks, encodes and stores a picture of a product, appended to
// its images. alt may be empty (it is needed to publish, see CheckAlt).
// Refusals, all before anything is stored: ENOTFOUND (no such product),
// EINVALID (empty file, bad alt), ETOOLARGE (over MaxBytes),
// EUNSUPPORTED (not JPEG, PNG or WebP), EUNPROCESSABLE (over MaxPixels,
// damaged, or the product has MaxImages already).
func (s *Service) Upload(ctx context.Context, productID int64, data []byte, alt string) (*Image, error) {
	alt, err := CleanAlt(alt)
	if err != nil {
		return nil, err
	}
	have, err := s.store.Images(ctx, productID)
	if err != nil {
		return nil, err
	}
	if len(have) >= MaxImages {
		return nil, tooMany()
	}
	if _, _, err := Check(data); err != nil {
		return nil, err
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The picture was not processed: the request ended first.", Err: ctx.Err()}
	}
	p, err := Process(data)
	<-s.sem
	if err != nil {
		return nil, err
	}
	// Renditions first, then the row that points at them: a failure in
	// between leaves unreferenced blobs, never an image without files.
	for _, r := range p.Renditions {
		if err := s.blobs.Put(ctx, r.Key, r.ContentType, r.Data); err != nil {
			return nil, err
		}
	}
	img := &Image{ProductID: productID, Hash: p.Hash, Alt: alt, Width: p.Width, Height: p.Height, Widths: p.Widths, Fallback: p.Fallback}
	if err := s.store.AddImage(ctx, img, MaxImages); err != nil {
		return nil, err
	}
	s.forget()
	return img, nil
}

func tooMany() error {
	return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("A product can have at most %d pictures; delete one first.", MaxImages),
		Fields: []ocean.FieldError{{Field: "file", Message: fmt.Sprintf("at most %d pictures a product", MaxImages)}}}
}

// Images returns a product's images in order; ENOTFOUND for no product.
func (s *Service) Images(ctx context.Context, productID int64) ([]Image, error) {
	return s.store.Images(ctx, productID)
}

// Save sets the order and alt text of a product's images (see
// Store.SaveImages).
func (s *Service) Save(ctx context.Context, productID int64, edits []Edit) error {
	var fe []ocean.FieldError
	seen := map[int64]bool{}
	for i := range edits {
		alt, err := CleanAlt(edits[i].Alt)
		if err != nil {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("images[%d].alt", i), Message: ocean.ErrorFields(err)[0].Message})
		}
		edits[i].Alt = alt
		if seen[edits[i].ID] {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("images[%d].id", i), Message: "names an image twice"})
		}
		seen[edits[i].ID] = true
	}
	if fe != nil {
		return ocean.Invalid("The images are not valid.", fe...)
	}
	if err := s.store.SaveImages(ctx, productID, edits); err != nil {
		return err
	}
	s.forget()
	return nil
}

// Delete removes one image of a product, and its files when no other
// image uses them.
func (s *Service) Delete(ctx context.Context, productID, imageID int64) error {
	img, shared, err := s.store.DeleteImage(ctx, productID, imageID)
	if err != nil {
		return err
	}
	s.forget()
	if shared {
		return nil
	}
	// The row is gone, so nothing links to these any more; a failure
	// here leaves unreferenced files, which cost space but no harm.
	return s.blobs.Delete(ctx, img.Keys())
}

// Blob returns a stored rendition by key; ENOTFOUND when there is none.
func (s *Service) Blob(ctx context.Context, key string) (*Blob, error) {
	return s.blobs.Get(ctx, key)
}

// MissingAlt lists, as field errors ("images[2].alt"), the images that have
// no alt text; empty when every image has one.
func MissingAlt(imgs []Image) []ocean.FieldError {
	var fe []ocean.FieldError
	for i, img := range imgs {
		if img.Alt == "" {
			fe = append(fe, ocean.FieldError{Field: fmt.Sprintf("images[%d].alt", i), Message: "describe the picture for people who cannot see it"})
		}
	}
	return fe
}

// CheckAlt is the publishing rule for pictures: every image of the product
// has alt text. It returns EUNPROCESSABLE naming each image without one.
func (s *Service) CheckAlt(ctx context.Context, productID int64) error {
	imgs, err := s.store.Images(ctx, productID)
	if err != nil {
		return err
	}
	if fe := MissingAlt(imgs); fe != nil {
		return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "Every picture needs alt text before the product is published.", Fields: fe}
	}
	return nil
}

// Cover returns the first image of a product, if it has one, from a
// snapshot of every product's first image that is at most coverTTL old.
// Product cards use it: one query a second at most, however many cards
// are shown. The query runs outside the lock, in the background while a
// stale snapshot keeps answering: under load, holding the lock across it
// queued every card of every page behind one database round trip (the
// fleet load test's block profile: 98% of the time requests waited).
// Only without any snapshot (at start, after a change) do callers wait
// for the load, all for the same one.
func (s *Service) Cover(ctx context.Context, productID int64) (Image, bool) {
	s.mu.Lock()
	covers, loading := s.covers, s.loading
	if covers != nil && time.Since(s.at) <= coverTTL {
		s.mu.Unlock()
		img, ok := covers[productID]
		return img, ok
	}
	if loading == nil {
		loading = make(chan struct{})
		s.loading = loading
		go s.loadCovers(context.WithoutCancel(ctx), loading, s.gen)
	}
	s.mu.Unlock()
	if covers == nil {
		select {
		case <-loading:
		case <-ctx.Done():
			return Image{}, false
		}
		s.mu.Lock()
		covers = s.covers
		s.mu.Unlock()
	}
	img, ok := covers[productID]
	return img, ok
}

// loadCovers reads the snapshot and keeps it unless forget ran meanwhile
// (gen moved on: the snapshot may predate the change). On an error, cards
// fall back to the stale snapshot or the drawn picture; the product page
// (which reads directly) still shows the photos.
func (s *Service) loadCovers(ctx context.Context, done chan struct{}, gen uint64) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	m, err := s.store.Covers(ctx, nil)
	s.mu.Lock()
	if err == nil && gen == s.gen {
		s.covers, s.at = m, time.Now()
	}
	s.loading = nil
	s.mu.Unlock()
	close(done)
}

// forget drops the cover snapshot after a change on this instance.
func (s *Service) forget() {
	s.mu.Lock()
	s.covers = nil
	s.gen++
	s.mu.Unlock()
}

// Generation counts the changes to pictures made on this instance: a
// reader that keeps something drawn from them (the product page cache)
// reads them again when it moves.
func (s *Service) Generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}
