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
-- product a statement touched once, in one set-based statement: a bulk
-- insert of 30,000 option rows is one join and one update of its 10,000
-- products. (A function called per product was planned per call; on the
-- fresh, unanalyzed tables of ocean seed it scanned every variant for
-- each product, past the statement timeout.)
ALTER TABLE products ADD COLUMN facet_options TEXT NOT NULL DEFAULT '[]';

-- ocean_refresh_facet_options_of(ids) sets the column for those products
-- from their variants' option rows ('[]' when they have none).
CREATE FUNCTION ocean_refresh_facet_options_of(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$
    WITH pairs AS (
        SELECT DISTINCT v.product_id AS id, o.name, o.value
        FROM unnest(ids) AS t(id) JOIN variants v ON v.product_id = t.id JOIN variant_options o ON o.variant_id = v.id
    ), agg AS (
        SELECT id, jsonb_agg(jsonb_build_array(name, value) ORDER BY name, value)::text AS opts FROM pairs GROUP BY id
    )
    UPDATE products p SET facet_options = COALESCE(agg.opts, '[]')
    FROM unnest(ids) AS t(id) LEFT JOIN agg ON agg.id = t.id
    WHERE p.id = t.id
$$;

-- Option rows written or removed: their variants' products. A variant
-- removed with its options (ON DELETE CASCADE) is gone by the time this
-- runs; the variants trigger below refreshes its product.
CREATE FUNCTION ocean_refresh_facet_options() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ocean_refresh_facet_options_of(ARRAY(SELECT DISTINCT v.product_id FROM changed c JOIN variants v ON v.id = c.variant_id));
    RETURN NULL;
END
$$;

-- Option rows rewritten in place (migration 0016 did that to sizes): the
-- products of the variants they belonged to and belong to now.
CREATE FUNCTION ocean_refresh_facet_options_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ocean_refresh_facet_options_of(ARRAY(
        SELECT DISTINCT v.product_id FROM (SELECT variant_id FROM old_rows UNION SELECT variant_id FROM new_rows) c JOIN variants v ON v.id = c.variant_id));
    RETURN NULL;
END
$$;

-- Variants removed: their products.
CREATE FUNCTION ocean_refresh_facet_options_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ocean_refresh_facet_options_of(ARRAY(SELECT DISTINCT g.product_id FROM gone g));
    RETURN NULL;
END
$$;

CREATE TRIGGER variant_options_facets_insert AFTER INSERT ON variant_options
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ocean_refresh_facet_options();
CREATE TRIGGER variant_options_facets_update AFTER UPDATE ON variant_options
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ocean_refresh_facet_options_moved();
CREATE TRIGGER variant_options_facets_delete AFTER DELETE ON variant_options
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ocean_refresh_facet_options();
CREATE TRIGGER variants_facets_delete AFTER DELETE ON variants
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION ocean_refresh_facet_options_gone();

-- Every product that has options, in one pass.
UPDATE products p SET facet_options = agg.opts
FROM (
    SELECT id, jsonb_agg(jsonb_build_array(name, value) ORDER BY name, value)::text AS opts
    FROM (SELECT DISTINCT v.product_id AS id, o.name, o.value FROM variants v JOIN variant_options o ON o.variant_id = v.id) pairs
    GROUP BY id
) agg
WHERE p.id = agg.id;
