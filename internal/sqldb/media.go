package sqldb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
)

// MediaStore implements media.Store and media.BlobStore: product images
// and their encoded files, in the shop's database.
type MediaStore struct{ db *DB }

// Media returns the product image store.
func (db *DB) Media() *MediaStore { return &MediaStore{db: db} }

var (
	_ media.Store     = (*MediaStore)(nil)
	_ media.BlobStore = (*MediaStore)(nil)
)

const imageColumns = `id, product_id, position, hash, alt, width, height, widths, fallback, created_at`

func scanImage(sc interface{ Scan(...any) error }) (media.Image, error) {
	var img media.Image
	var widths string
	var created int64
	if err := sc.Scan(&img.ID, &img.ProductID, &img.Position, &img.Hash, &img.Alt, &img.Width, &img.Height, &widths, &img.Fallback, &created); err != nil {
		return img, err
	}
	for _, w := range strings.Split(widths, ",") {
		n, err := strconv.Atoi(w)
		if err != nil {
			return img, fmt.Errorf("product image %d: widths %q: %w", img.ID, widths, err)
		}
		img.Widths = append(img.Widths, n)
	}
	img.CreatedAt = time.UnixMilli(created).UTC()
	return img, nil
}

func joinWidths(ws []int) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = strconv.Itoa(w)
	}
	return strings.Join(parts, ",")
}

func noProduct() error { return ocean.Errorf(ocean.ENOTFOUND, "There is no such product.") }

func (s *MediaStore) Images(ctx context.Context, productID int64) ([]media.Image, error) {
	var one int
	if err := s.db.queryRow(ctx, `SELECT 1 FROM products WHERE id = ?`, productID).Scan(&one); err != nil {
		if isNoRows(err) {
			return nil, noProduct()
		}
		return nil, err
	}
	rows, err := s.db.query(ctx, `SELECT `+imageColumns+` FROM product_images WHERE product_id = ? ORDER BY position, id`, productID)
	if err != nil {
		return nil, err
	}
	out := []media.Image{}
	err = EachRow(rows, func() error {
		img, err := scanImage(rows)
		out = append(out, img)
		return err
	})
	return out, err
}

func (s *MediaStore) Covers(ctx context.Context, productIDs []int64) (map[int64]media.Image, error) {
	q := `SELECT ` + imageColumns + ` FROM product_images i WHERE position = (SELECT MIN(position) FROM product_images j WHERE j.product_id = i.product_id)`
	args := make([]any, len(productIDs))
	for i, id := range productIDs {
		args[i] = id
	}
	if productIDs != nil {
		if len(productIDs) == 0 {
			return map[int64]media.Image{}, nil
		}
		q += ` AND product_id IN (` + placeholders(len(productIDs)) + `)`
	}
	rows, err := s.db.query(ctx, q+` ORDER BY product_id, id`, args...)
	if err != nil {
		return nil, err
	}
	out := map[int64]media.Image{}
	err = EachRow(rows, func() error {
		img, err := scanImage(rows)
		if _, dup := out[img.ProductID]; !dup {
			out[img.ProductID] = img
		}
		return err
	})
	return out, err
}

func (s *MediaStore) AddImage(ctx context.Context, img *media.Image, max int) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		// Lock the product row (PostgreSQL; SQLite has one writer), so
		// two uploads to one product count one after the other.
		var one int
		lock := ``
		if s.db.Dialect == Postgres {
			lock = ` FOR UPDATE`
		}
		if err := tx.queryRow(ctx, `SELECT 1 FROM products WHERE id = ?`+lock, img.ProductID).Scan(&one); err != nil {
			if isNoRows(err) {
				return noProduct()
			}
			return err
		}
		var n, last int
		if err := tx.queryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(position), 0) FROM product_images WHERE product_id = ?`, img.ProductID).Scan(&n, &last); err != nil {
			return err
		}
		if n >= max {
			return &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("A product can have at most %d pictures; delete one first.", max),
				Fields: []ocean.FieldError{{Field: "file", Message: fmt.Sprintf("at most %d pictures a product", max)}}}
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		id, err := tx.insertID(ctx, `INSERT INTO product_images (product_id, position, hash, alt, width, height, widths, fallback, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			img.ProductID, last+1, img.Hash, img.Alt, img.Width, img.Height, joinWidths(img.Widths), img.Fallback, now.UnixMilli())
		if err != nil {
			return err
		}
		img.ID, img.Position, img.CreatedAt = id, last+1, now
		return nil
	})
}

func (s *MediaStore) SaveImages(ctx context.Context, productID int64, edits []media.Edit) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		var one int
		lock := ``
		if s.db.Dialect == Postgres {
			lock = ` FOR UPDATE`
		}
		if err := tx.queryRow(ctx, `SELECT 1 FROM products WHERE id = ?`+lock, productID).Scan(&one); err != nil {
			if isNoRows(err) {
				return noProduct()
			}
			return err
		}
		have, err := imageIDs(ctx, tx, productID)
		if err != nil {
			return err
		}
		stale := len(have) != len(edits)
		for _, e := range edits {
			stale = stale || !have[e.ID]
		}
		if stale {
			return ocean.Errorf(ocean.ECONFLICT, "The product's pictures changed since the page was loaded; nothing was saved. Load it again.")
		}
		for i, e := range edits {
			if _, err := tx.exec(ctx, `UPDATE product_images SET position = ?, alt = ? WHERE id = ? AND product_id = ?`, i+1, e.Alt, e.ID, productID); err != nil {
				return err
			}
		}
		return nil
	})
}

// imageIDs are the ids of a product's images.
func imageIDs(ctx context.Context, tx *Tx, productID int64) (map[int64]bool, error) {
	rows, err := tx.query(ctx, `SELECT id FROM product_images WHERE product_id = ?`, productID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		have[id] = true
	}
	return have, rows.Err()
}

func (s *MediaStore) DeleteImage(ctx context.Context, productID, imageID int64) (media.Image, bool, error) {
	var img media.Image
	var shared bool
	err := s.db.InTx(ctx, func(tx *Tx) error {
		var err error
		img, err = scanImage(tx.queryRow(ctx, `SELECT `+imageColumns+` FROM product_images WHERE id = ? AND product_id = ?`, imageID, productID))
		if isNoRows(err) {
			return ocean.Errorf(ocean.ENOTFOUND, "The product has no such picture.")
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM product_images WHERE id = ?`, imageID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE product_images SET position = position - 1 WHERE product_id = ? AND position > ?`, productID, img.Position); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM product_images WHERE hash = ?`, img.Hash).Scan(&n); err != nil {
			return err
		}
		shared = n > 0
		return nil
	})
	return img, shared, err
}

func (s *MediaStore) Put(ctx context.Context, key, contentType string, data []byte) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO media_blobs (key, content_type, data, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
			key, contentType, data, time.Now().UnixMilli())
		return err
	})
}

func (s *MediaStore) Get(ctx context.Context, key string) (*media.Blob, error) {
	var b media.Blob
	err := s.db.queryRow(ctx, `SELECT content_type, data FROM media_blobs WHERE key = ?`, key).Scan(&b.ContentType, &b.Data)
	if isNoRows(err) {
		return nil, ocean.Errorf(ocean.ENOTFOUND, "There is no such picture.")
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}

func (s *MediaStore) Delete(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	return s.db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM media_blobs WHERE key IN (`+placeholders(len(keys))+`)`, args...)
		return err
	})
}
