-- The owner's dashboard (/admin) reads these daily rollups, never the
-- orders: the store updates them in the same transaction as the order,
-- payment or cart change they count, and this migration fills them from
-- the orders already there. A day is a whole UTC day, numbered from
-- 1970-01-01 (Unix time / 86400). See docs/admin.md for what each means.

-- Money per day (the day the order was paid) and currency: orders paid
-- that day and not cancelled since, their totals and what was refunded.
CREATE TABLE kpi_sales_daily (
    day      INTEGER NOT NULL,
    currency TEXT NOT NULL,
    orders   INTEGER NOT NULL DEFAULT 0,
    gross    INTEGER NOT NULL DEFAULT 0,
    refunded INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency)
) WITHOUT ROWID;

-- The same orders' lines per product (by the slug the line was sold
-- under): units and line totals.
CREATE TABLE kpi_product_daily (
    day          INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    product_slug TEXT NOT NULL,
    product_name TEXT NOT NULL,
    units        INTEGER NOT NULL DEFAULT 0,
    revenue      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency, product_slug)
) WITHOUT ROWID;

-- The funnel per day: visits (new storefront sessions, counted from this
-- version on), carts that got their first item (by the cart's creation
-- day), and payment attempts (orders, by the day they were placed) with
-- how they ended so far.
CREATE TABLE kpi_daily (
    day       INTEGER PRIMARY KEY,
    sessions  INTEGER NOT NULL DEFAULT 0,
    carts     INTEGER NOT NULL DEFAULT 0,
    checkouts INTEGER NOT NULL DEFAULT 0,
    paid      INTEGER NOT NULL DEFAULT 0,
    declined  INTEGER NOT NULL DEFAULT 0,
    errored   INTEGER NOT NULL DEFAULT 0,
    abandoned INTEGER NOT NULL DEFAULT 0
);

-- filled: the cart has had an item, so it counts once in kpi_daily.carts.
ALTER TABLE carts ADD COLUMN filled INTEGER NOT NULL DEFAULT 0;
UPDATE carts SET filled = 1 WHERE status <> 'open' OR EXISTS (SELECT 1 FROM cart_items i WHERE i.cart_id = carts.id);

INSERT INTO kpi_sales_daily (day, currency, orders, gross, refunded)
SELECT paid_at / 86400000000, currency, COUNT(*), SUM(total), SUM(refunded)
FROM orders WHERE paid_at IS NOT NULL AND status <> 'cancelled'
GROUP BY paid_at / 86400000000, currency;

INSERT INTO kpi_product_daily (day, currency, product_slug, product_name, units, revenue)
SELECT o.paid_at / 86400000000, o.currency, i.product_slug, MAX(i.product_name), SUM(i.quantity), SUM(i.line_total)
FROM order_items i JOIN orders o ON o.id = i.order_id
WHERE o.paid_at IS NOT NULL AND o.status <> 'cancelled'
GROUP BY o.paid_at / 86400000000, o.currency, i.product_slug;

INSERT INTO kpi_daily (day, carts, checkouts, paid, declined, errored, abandoned)
SELECT day, SUM(carts), SUM(checkouts), SUM(paid), SUM(declined), SUM(errored), SUM(abandoned) FROM (
    SELECT created_at / 86400000000 AS day, 1 AS carts, 0 AS checkouts, 0 AS paid, 0 AS declined, 0 AS errored, 0 AS abandoned
    FROM carts WHERE filled = 1
    UNION ALL
    SELECT created_at / 86400000000, 0, 1,
        CASE WHEN paid_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN paid_at IS NULL AND status = 'cancelled' AND payment_status = 'declined' THEN 1 ELSE 0 END,
        CASE WHEN paid_at IS NULL AND status = 'cancelled' AND payment_status <> 'declined' AND decline_code = 'gateway_unavailable' THEN 1 ELSE 0 END,
        CASE WHEN paid_at IS NULL AND status = 'cancelled' AND payment_status <> 'declined' AND decline_code <> 'gateway_unavailable' THEN 1 ELSE 0 END
    FROM orders
) AS funnel GROUP BY day;
