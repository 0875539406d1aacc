CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    parent_id   INTEGER REFERENCES categories(id),
    position    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    category_id  INTEGER NOT NULL REFERENCES categories(id),
    options      TEXT NOT NULL DEFAULT '[]',
    price_min    INTEGER NOT NULL DEFAULT 0,
    price_max    INTEGER NOT NULL DEFAULT 0,
    currency     TEXT NOT NULL,
    search_extra TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL, -- Unix microseconds, UTC
    updated_at   INTEGER NOT NULL
);
CREATE INDEX products_category ON products (category_id);
CREATE INDEX products_price ON products (price_min, id);
CREATE INDEX products_created ON products (created_at, id);

CREATE TABLE variants (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    sku         TEXT NOT NULL UNIQUE,
    options     TEXT NOT NULL DEFAULT '{}',
    price       INTEGER NOT NULL CHECK (price >= 0),
    currency    TEXT NOT NULL,
    stock       INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    position    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX variants_product ON variants (product_id);

CREATE TABLE variant_options (
    variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (variant_id, name)
);
CREATE INDEX variant_options_name_value ON variant_options (name, value);

-- Full-text index over products; rowid is the product id. Kept in step by
-- the store on every product write.
CREATE VIRTUAL TABLE products_fts USING fts5(
    name, description, extra,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
