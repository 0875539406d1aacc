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
-- The widest spread between a product's cheapest and dearest variant, read
-- from the top of this index, bounds where a price range can start in
-- price order (sqldb's productConds).
CREATE INDEX products_price_spread ON products ((price_max - price_min));
