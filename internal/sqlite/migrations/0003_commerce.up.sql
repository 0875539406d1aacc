-- Cart, checkout, inventory ledger, pricing rules and orders. Times are Unix
-- microseconds (UTC). Money is integer minor units beside a currency code.

-- Every stock change is a row; variants.stock always equals the sum of its
-- variant's rows (ocean inventory verify proves it). stock is what can be
-- sold now: a checkout's reservation is a 'sale' row taken when payment
-- starts, and a 'release' row gives it back if payment fails or expires.
CREATE TABLE stock_ledger (
    id         INTEGER PRIMARY KEY,
    variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
    delta      INTEGER NOT NULL CHECK (delta <> 0),
    kind       TEXT NOT NULL CHECK (kind IN ('initial', 'sale', 'release', 'cancel', 'restock', 'adjust')),
    reason     TEXT NOT NULL DEFAULT '',
    order_id   INTEGER,
    actor      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX stock_ledger_variant ON stock_ledger (variant_id, id);
INSERT INTO stock_ledger (variant_id, delta, kind, reason, created_at)
SELECT id, stock, 'initial', 'stock before the ledger', CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
FROM variants WHERE stock <> 0;

CREATE TABLE discounts (
    id                 INTEGER PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE, -- upper case
    kind               TEXT NOT NULL CHECK (kind IN ('percent', 'fixed', 'free_shipping')),
    value              INTEGER NOT NULL DEFAULT 0 CHECK (value >= 0), -- percent: 1-100; fixed: minor units
    currency           TEXT NOT NULL DEFAULT '',
    min_subtotal       INTEGER NOT NULL DEFAULT 0 CHECK (min_subtotal >= 0),
    starts_at          INTEGER,
    ends_at            INTEGER,
    usage_limit        INTEGER CHECK (usage_limit > 0),
    per_customer_limit INTEGER CHECK (per_customer_limit > 0),
    used               INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0 AND (usage_limit IS NULL OR used <= usage_limit)),
    created_at         INTEGER NOT NULL
);

CREATE TABLE shipping_methods (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    country    TEXT NOT NULL, -- ISO 3166 alpha-2, or '*' for every other country
    price      INTEGER NOT NULL CHECK (price >= 0),
    currency   TEXT NOT NULL,
    free_above INTEGER CHECK (free_above >= 0), -- subtotal after discount from which it is free
    position   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (code, country)
);

CREATE TABLE tax_rates (
    country TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    rate_bp INTEGER NOT NULL CHECK (rate_bp >= 0 AND rate_bp <= 10000) -- basis points: 1500 = 15%
);

CREATE TABLE carts (
    id            TEXT PRIMARY KEY, -- 128-bit random, the guest's secret
    user_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    currency      TEXT NOT NULL DEFAULT '',
    discount_code TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'checkout', 'ordered')),
    order_id      INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX carts_user ON carts (user_id, status);

CREATE TABLE cart_items (
    id         INTEGER PRIMARY KEY,
    cart_id    TEXT NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
    variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    created_at INTEGER NOT NULL,
    UNIQUE (cart_id, variant_id)
);

-- An order is made when payment starts (pending_payment, stock reserved
-- until reserved_until) and carries its one payment attempt.
CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    public_id        TEXT NOT NULL UNIQUE, -- 128-bit random: the API id
    idempotency_key  TEXT NOT NULL, -- unique per cart (below)
    request_hash     TEXT NOT NULL,
    cart_id          TEXT NOT NULL,
    user_id          INTEGER REFERENCES users(id) ON DELETE SET NULL,
    email            TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'fulfilled', 'delivered', 'cancelled', 'refunded', 'partially_refunded')),
    currency         TEXT NOT NULL,
    subtotal         INTEGER NOT NULL CHECK (subtotal >= 0),
    discount         INTEGER NOT NULL CHECK (discount >= 0),
    shipping         INTEGER NOT NULL CHECK (shipping >= 0),
    tax              INTEGER NOT NULL CHECK (tax >= 0),
    total            INTEGER NOT NULL CHECK (total >= 0),
    tax_included     INTEGER NOT NULL DEFAULT 0,
    tax_name         TEXT NOT NULL DEFAULT '',
    refunded         INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= total),
    discount_id      INTEGER REFERENCES discounts(id),
    discount_code    TEXT NOT NULL DEFAULT '',
    customer_key     TEXT NOT NULL DEFAULT '', -- who a per-customer discount limit counts
    shipping_method  TEXT NOT NULL,
    shipping_name    TEXT NOT NULL,
    shipping_address TEXT NOT NULL, -- sealed JSON
    country          TEXT NOT NULL,
    tracking_number  TEXT NOT NULL DEFAULT '',
    reserved_until   INTEGER NOT NULL,
    gateway          TEXT NOT NULL,
    payment_ref      TEXT NOT NULL UNIQUE,
    payment_id       TEXT NOT NULL DEFAULT '',
    payment_status   TEXT NOT NULL DEFAULT 'pending' CHECK (payment_status IN ('pending', 'authorized', 'captured', 'voided', 'declined', 'failed')),
    card             TEXT NOT NULL DEFAULT '',
    decline_code     TEXT NOT NULL DEFAULT '',
    decline_message  TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    paid_at          INTEGER
);
CREATE UNIQUE INDEX orders_idempotency ON orders (cart_id, idempotency_key);
CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_payment_id ON orders (payment_id) WHERE payment_id <> '';
CREATE INDEX orders_pending ON orders (reserved_until) WHERE status = 'pending_payment';
CREATE INDEX orders_discount ON orders (discount_id, customer_key) WHERE discount_id IS NOT NULL;

CREATE TABLE order_items (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    variant_id   INTEGER REFERENCES variants(id) ON DELETE SET NULL,
    product_name TEXT NOT NULL,
    product_slug TEXT NOT NULL,
    sku          TEXT NOT NULL,
    options      TEXT NOT NULL DEFAULT '{}',
    unit_price   INTEGER NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    line_total   INTEGER NOT NULL
);
CREATE INDEX order_items_order ON order_items (order_id);

CREATE TABLE order_events (
    id         INTEGER PRIMARY KEY,
    order_id   INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    from_status TEXT NOT NULL,
    to_status  TEXT NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

CREATE TABLE refunds (
    id         INTEGER PRIMARY KEY,
    order_id   INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    reference  TEXT NOT NULL UNIQUE,
    actor      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE webhook_events (
    id         TEXT PRIMARY KEY, -- gateway:event id
    created_at INTEGER NOT NULL
);
