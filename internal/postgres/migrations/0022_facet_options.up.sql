-- Each product's option values, as its variants have them, on the product
-- row: a JSON array of [name, value] pairs, sorted, each pair once. The
-- listing's facet counts read them with the products they count instead
-- of joining every product of the sample (a thousand) to its variants and
-- their option rows: at a million products that join was two thirds of
-- the facet statement, 20-50 ms (docs/query-budget.md).
--
-- Triggers keep the column right whatever writes the options: this
-- release, the previous one during a rolling upgrade, ocean seed's bulk
-- SQL, a restore. Statement triggers with transition tables refresh each
-- product a statement touched once, so a bulk insert of 30,000 option rows
-- costs one pass over its 10,000 products, not 30,000 updates.
ALTER TABLE products ADD COLUMN facet_options TEXT NOT NULL DEFAULT '[]';

CREATE FUNCTION ocean_facet_options(product BIGINT) RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT COALESCE(jsonb_agg(jsonb_build_array(x.name, x.value) ORDER BY x.name, x.value), '[]'::jsonb)::text
    FROM (SELECT DISTINCT o.name, o.value FROM variants v JOIN variant_options o ON o.variant_id = v.id WHERE v.product_id = product) x
$$;

-- Option rows written or removed: their variants' products. A variant
-- removed with its options (ON DELETE CASCADE) is gone by the time this
-- runs; the variants trigger below refreshes its product.
CREATE FUNCTION ocean_refresh_facet_options() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products p SET facet_options = ocean_facet_options(p.id)
    WHERE p.id IN (SELECT v.product_id FROM changed c JOIN variants v ON v.id = c.variant_id);
    RETURN NULL;
END
$$;

-- Variants removed: their products.
CREATE FUNCTION ocean_refresh_facet_options_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products p SET facet_options = ocean_facet_options(p.id)
    WHERE p.id IN (SELECT g.product_id FROM gone g);
    RETURN NULL;
END
$$;

CREATE TRIGGER variant_options_facets_insert AFTER INSERT ON variant_options
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ocean_refresh_facet_options();
CREATE TRIGGER variant_options_facets_update AFTER UPDATE ON variant_options
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ocean_refresh_facet_options();
CREATE TRIGGER variant_options_facets_delete AFTER DELETE ON variant_options
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ocean_refresh_facet_options();
CREATE TRIGGER variants_facets_delete AFTER DELETE ON variants
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION ocean_refresh_facet_options_gone();

UPDATE products p SET facet_options = ocean_facet_options(p.id);
