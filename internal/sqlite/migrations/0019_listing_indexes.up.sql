-- Indexes for a catalog of a million products (docs/query-budget.md).
-- A category page in price or newest order walks one short range of the
-- first two, in order, instead of sorting every product of the category;
-- the same ranges give each category's count (capped) without touching
-- the table. Partial: only active products are ever listed.
CREATE INDEX products_listing_price ON products (category_id, price_min, id) WHERE status = 'active';
CREATE INDEX products_listing_created ON products (category_id, created_at, id) WHERE status = 'active';
-- The dashboard's low-stock list (ORDER BY stock, id) and the operator's
-- (stock <= threshold, id order) read the lowest entries of this instead
-- of scanning and sorting every variant.
CREATE INDEX variants_stock ON variants (stock, id);
-- Orders the payment sweeps look for (authorized and not yet captured or
-- released, refunds owed, gateway timeouts to ask about again) are a few
-- among a million: each sweep read every order in id order to find none.
-- The predicates are the sweeps' own, so the planner can prove them.
CREATE INDEX orders_unsettled ON orders (id) WHERE (status IN ('paid', 'fulfilled', 'delivered') AND payment_status = 'authorized')
 OR (status = 'cancelled' AND (payment_status = 'authorized' OR (payment_status = 'captured' AND refunded < total)));
CREATE INDEX orders_unanswered ON orders (id) WHERE status = 'cancelled' AND payment_status = 'failed' AND decline_code = 'gateway_unavailable';
-- The admin's order counts by status read this index alone instead of
-- every order row.
CREATE INDEX orders_numbered_status ON orders (status) WHERE number IS NOT NULL;
-- The widest spread between a product's cheapest and dearest variant, read
-- from the top of this index, bounds where a price range can start in
-- price order (sqldb's productConds).
CREATE INDEX products_price_spread ON products ((price_max - price_min));
