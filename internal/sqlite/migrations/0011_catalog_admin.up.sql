-- The merchant's catalog write model: product status and versions for
-- optimistic concurrency, more variant fields, slugs a product used to
-- have (301 to the new one), and the catalog's audit log.
ALTER TABLE products ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'archived'));
ALTER TABLE products ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX products_status ON products (status, id);
ALTER TABLE categories ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE variants ADD COLUMN compare_at_price INTEGER NOT NULL DEFAULT 0 CHECK (compare_at_price >= 0);
ALTER TABLE variants ADD COLUMN weight INTEGER NOT NULL DEFAULT 0 CHECK (weight >= 0); -- grams
ALTER TABLE variants ADD COLUMN barcode TEXT NOT NULL DEFAULT '';

CREATE TABLE product_slugs (
    slug       TEXT PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE
);
CREATE INDEX product_slugs_product ON product_slugs (product_id);

CREATE TABLE catalog_audit (
    id         INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL, -- Unix microseconds, UTC
    actor_id   INTEGER NOT NULL DEFAULT 0,
    actor      TEXT NOT NULL DEFAULT '',
    entity     TEXT NOT NULL CHECK (entity IN ('product', 'variant', 'category')),
    entity_id  INTEGER NOT NULL,
    action     TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 0,
    before     TEXT NOT NULL DEFAULT '',
    after      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX catalog_audit_entity ON catalog_audit (entity, entity_id, id);
