-- Order numbers are given when an order is paid, not derived from the row
-- id, and every payment attempt is recorded (decision 0125). A checkout
-- whose payment never went through keeps its row (the reservation, the
-- idempotency key and the stock ledger point at it) but has no number and
-- is no order to the admin.
--
-- orders.number: the number's digits (OC100042 is 100042), NULL until
-- paid. order_numbers.last: the last number given; the paid transition
-- takes the next one in its own transaction, so paid orders are numbered
-- without gaps and a decline consumes none.
--
-- Orders already paid keep the number they were shown and mailed with
-- (100000 + id), assigned in id order; the counter goes on from the
-- highest, so the numbers quoted before the upgrade still find their
-- order.
ALTER TABLE orders ADD COLUMN number INTEGER;
UPDATE orders SET number = 100000 + id WHERE paid_at IS NOT NULL;
CREATE UNIQUE INDEX orders_number ON orders (number);

CREATE TABLE order_numbers (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);
INSERT INTO order_numbers (id, last) SELECT 1, COALESCE(MAX(number), 100000) FROM orders;

-- One row per authorization asked of a gateway, whatever its outcome. The
-- attempts of one checkout share its cart: an order paid after two
-- declines shows three.
CREATE TABLE payment_attempts (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    cart_id      TEXT NOT NULL,
    gateway      TEXT NOT NULL,
    reference    TEXT NOT NULL,
    amount       INTEGER NOT NULL CHECK (amount >= 0),
    currency     TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('succeeded', 'declined', 'failed', 'timed_out')),
    decline_code TEXT NOT NULL DEFAULT '',
    message      TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX payment_attempts_cart ON payment_attempts (cart_id, id);
CREATE INDEX payment_attempts_order ON payment_attempts (order_id);
-- One authorization succeeds at most once per payment reference: the
-- checkout and the reconciler (or a webhook) may both report it.
CREATE UNIQUE INDEX payment_attempts_success ON payment_attempts (reference) WHERE outcome = 'succeeded';

-- The attempts the orders table already tells of: one per checkout whose
-- payment was answered.
INSERT INTO payment_attempts (order_id, cart_id, gateway, reference, amount, currency, outcome, decline_code, message, created_at)
SELECT id, cart_id, gateway, payment_ref, total, currency,
       CASE WHEN paid_at IS NOT NULL THEN 'succeeded' WHEN payment_status = 'declined' THEN 'declined' ELSE 'failed' END,
       CASE WHEN paid_at IS NOT NULL THEN '' ELSE decline_code END,
       CASE WHEN paid_at IS NOT NULL THEN '' ELSE decline_message END,
       COALESCE(paid_at, updated_at)
FROM orders
WHERE paid_at IS NOT NULL OR payment_status IN ('declined', 'failed')
ORDER BY id;
