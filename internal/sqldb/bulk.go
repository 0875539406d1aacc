package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/ocean"
)

// The catalog's CSV import and export (decision 0090): pages of whole
// products for the export and the import's plan, and the import's one
// transaction (its statements prepared once, by the store's statement cache).

func (s *CatalogStore) BulkProducts(ctx context.Context, after int64, limit int) ([]catalog.BulkProduct, error) {
	rows, err := s.db.query(ctx, `SELECT id, slug, name, description, brand, category_id, options, status, version, created_at, updated_at
FROM products WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	var out []catalog.BulkProduct
	index := map[int64]int{}
	err = EachRow(rows, func() error {
		var p catalog.BulkProduct
		var opts string
		var created, updated timeValue
		if err := rows.Scan(&p.ID, &p.Slug, &p.Name, &p.Description, &p.Brand, &p.CategoryID, &opts, &p.Status, &p.Version, &created, &updated); err != nil {
			return err
		}
		p.CreatedAt, p.UpdatedAt = created.t, updated.t
		if err := json.Unmarshal([]byte(opts), &p.Options); err != nil {
			return fmt.Errorf("product %d options: %w", p.ID, err)
		}
		index[p.ID] = len(out)
		out = append(out, p)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	last := out[len(out)-1].ID
	rows, err = s.db.query(ctx, `SELECT product_id, id, sku, options, price, currency, compare_at_price, weight, barcode, stock, position
FROM variants WHERE product_id > ? AND product_id <= ? ORDER BY product_id, position, id`, after, last)
	if err != nil {
		return nil, err
	}
	err = EachRow(rows, func() error {
		var v catalog.Variant
		var vo string
		if err := rows.Scan(&v.ProductID, &v.ID, &v.SKU, &vo, &v.Price.Amount, &v.Price.Currency, &v.CompareAt.Amount, &v.Weight, &v.Barcode, &v.Stock, &v.Position); err != nil {
			return err
		}
		if v.CompareAt.Amount != 0 {
			v.CompareAt.Currency = v.Price.Currency
		}
		if err := json.Unmarshal([]byte(vo), &v.Options); err != nil {
			return fmt.Errorf("variant %d options: %w", v.ID, err)
		}
		if i, ok := index[v.ProductID]; ok {
			out[i].Variants = append(out[i].Variants, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, err = s.db.query(ctx, `SELECT `+imageColumns+` FROM product_images WHERE product_id > ? AND product_id <= ? ORDER BY product_id, position, id`, after, last)
	if err != nil {
		return nil, err
	}
	err = EachRow(rows, func() error {
		img, err := scanImage(rows)
		if err != nil {
			return err
		}
		if i, ok := index[img.ProductID]; ok {
			out[i].Images = append(out[i].Images, catalog.BulkImage{Hash: img.Hash, URL: img.URL(), Alt: img.Alt})
		}
		return nil
	})
	return out, err
}

// hashOfKey is the content hash in a rendition's path ("/media/<hash>-<width>.<ext>").
func hashOfKey(path string) string {
	key := strings.TrimPrefix(path, media.Prefix)
	i := strings.LastIndexByte(key, '-')
	if i <= 0 {
		return ""
	}
	return key[:i]
}

func (s *CatalogStore) PicturesWithoutAlt(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.db.queryRow(ctx, `SELECT COUNT(*) FROM product_images WHERE product_id = ? AND TRIM(alt) = ''`, id).Scan(&n)
	return n, err
}

func (s *CatalogStore) ImagesByURL(ctx context.Context, urls []string) (map[string]catalog.BulkImage, error) {
	byHash := map[string][]string{}
	for _, u := range urls {
		if h := hashOfKey(u); h != "" {
			byHash[h] = append(byHash[h], u)
		}
	}
	hashes := make([]string, 0, len(byHash))
	for h := range byHash {
		hashes = append(hashes, h)
	}
	out := map[string]catalog.BulkImage{}
	for len(hashes) > 0 {
		chunk := hashes[:min(len(hashes), 500)]
		hashes = hashes[len(chunk):]
		args := make([]any, len(chunk))
		for i, h := range chunk {
			args[i] = h
		}
		rows, err := s.db.query(ctx, `SELECT `+imageColumns+` FROM product_images WHERE hash IN (?`+strings.Repeat(", ?", len(chunk)-1)+`) ORDER BY id`, args...)
		if err != nil {
			return nil, err
		}
		err = EachRow(rows, func() error {
			img, err := scanImage(rows)
			if err != nil {
				return err
			}
			// The path must be one of the picture's renditions.
			for _, u := range byHash[img.Hash] {
				for _, k := range img.Keys() {
					if media.Prefix+k == u {
						out[u] = catalog.BulkImage{Hash: img.Hash, URL: img.URL()}
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *CatalogStore) ImportProducts(ctx context.Context, b *catalog.ImportBatch, a catalog.Actor) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		for _, c := range b.Categories {
			id, err := tx.insertID(ctx, `INSERT INTO categories (slug, name, description, parent_id, position, version) VALUES (?, ?, ?, NULL, ?, 1)`,
				c.Slug, c.Name, c.Description, c.Position)
			if s.db.IsUnique(err) {
				return slugTaken("category", c.Slug)
			}
			if err != nil {
				return err
			}
			c.ID, c.Version = id, 1
			if err := s.audit(ctx, tx, a, catalog.EntityCategory, id, catalog.ActionCreate, 1, "", catalog.Snapshot(categorySnapshot(c))); err != nil {
				return err
			}
		}
		for n, it := range b.Items {
			id := it.ProductID
			if p := it.Product; p != nil {
				if it.NewCategory > 0 {
					p.CategoryID = b.Categories[it.NewCategory-1].ID
				}
				var err error
				if p.ID == 0 {
					err = s.createProduct(ctx, tx, p, a, b.Reason)
				} else {
					err = s.saveProduct(ctx, tx, p, it.Version, a, b.Reason, false)
				}
				if err != nil {
					return fmt.Errorf("product %q: %w", p.Slug, err)
				}
				id = p.ID
			}
			if err := s.importPictures(ctx, tx, id, it); err != nil {
				return err
			}
			if b.Progress != nil {
				b.Progress(n + 1)
			}
		}
		return nil
	})
}

// importPictures links it.Link to product id (copies of another picture's
// row: the renditions are shared) and sets the alt text of it.Alt.
func (s *CatalogStore) importPictures(ctx context.Context, tx *Tx, id int64, it catalog.ImportItem) error {
	for hash, alt := range it.Alt {
		if _, err := tx.exec(ctx, `UPDATE product_images SET alt = ? WHERE product_id = ? AND hash = ?`, alt, id, hash); err != nil {
			return err
		}
	}
	if len(it.Link) == 0 {
		return nil
	}
	var n, last int
	if err := tx.queryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(position), 0) FROM product_images WHERE product_id = ?`, id).Scan(&n, &last); err != nil {
		return err
	}
	if n+len(it.Link) > media.MaxImages {
		return ocean.Errorf(ocean.EUNPROCESSABLE, "A product can have at most %d pictures.", media.MaxImages)
	}
	now := time.Now().UTC().UnixMilli()
	for _, im := range it.Link {
		last++
		ok, err := changed(tx.exec(ctx, `INSERT INTO product_images (product_id, position, hash, alt, width, height, widths, fallback, created_at)
SELECT ?, ?, hash, ?, width, height, widths, fallback, ? FROM product_images WHERE id = (SELECT MIN(id) FROM product_images WHERE hash = ?)`, id, last, im.Alt, now, im.Hash))
		if err != nil {
			return fmt.Errorf("link picture: %w", err)
		}
		if !ok {
			return ocean.Errorf(ocean.ECONFLICT, "A picture the file names was deleted meanwhile; import the file again.")
		}
	}
	return nil
}
