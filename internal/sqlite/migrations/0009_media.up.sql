-- Product pictures (package media). media_blobs holds the encoded files
-- (WebP renditions and a JPEG or PNG fallback) under immutable keys made
-- from the upload's SHA-256, so every instance serves them; product_images
-- is each product's ordered list of pictures with their alt text.
CREATE TABLE media_blobs (
    key          TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    created_at   INTEGER NOT NULL -- Unix milliseconds
);
CREATE TABLE product_images (
    id         INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL CHECK (position >= 1),
    hash       TEXT NOT NULL,
    alt        TEXT NOT NULL DEFAULT '',
    width      INTEGER NOT NULL CHECK (width > 0),
    height     INTEGER NOT NULL CHECK (height > 0),
    widths     TEXT NOT NULL, -- the WebP renditions' widths: "320,640,1000"
    fallback   TEXT NOT NULL CHECK (fallback IN ('jpg', 'png')),
    created_at INTEGER NOT NULL  -- Unix milliseconds
);
CREATE INDEX product_images_product ON product_images (product_id, position);
CREATE INDEX product_images_hash ON product_images (hash);
