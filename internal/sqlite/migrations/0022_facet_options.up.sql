-- Each product's option values, as its variants have them, on the product
-- row: a JSON array of [name, value] pairs, sorted, each pair once. The
-- listing's facet counts read them with the products they count instead
-- of joining each product of the sample to its variants and their option
-- rows (the PostgreSQL migration of the same number says why). Triggers
-- keep the column right whatever writes the options.
ALTER TABLE products ADD COLUMN facet_options TEXT NOT NULL DEFAULT '[]';

CREATE TRIGGER variant_options_facets_insert AFTER INSERT ON variant_options BEGIN
    UPDATE products SET facet_options = (
        SELECT COALESCE(json_group_array(json_array(x.name, x.value)), '[]')
        FROM (SELECT DISTINCT o.name, o.value FROM variants v JOIN variant_options o ON o.variant_id = v.id WHERE v.product_id = products.id ORDER BY o.name, o.value) x)
    WHERE id = (SELECT product_id FROM variants WHERE id = NEW.variant_id);
END;

CREATE TRIGGER variant_options_facets_update AFTER UPDATE ON variant_options BEGIN
    UPDATE products SET facet_options = (
        SELECT COALESCE(json_group_array(json_array(x.name, x.value)), '[]')
        FROM (SELECT DISTINCT o.name, o.value FROM variants v JOIN variant_options o ON o.variant_id = v.id WHERE v.product_id = products.id ORDER BY o.name, o.value) x)
    WHERE id IN (SELECT product_id FROM variants WHERE id IN (OLD.variant_id, NEW.variant_id));
END;

CREATE TRIGGER variant_options_facets_delete AFTER DELETE ON variant_options BEGIN
    UPDATE products SET facet_options = (
        SELECT COALESCE(json_group_array(json_array(x.name, x.value)), '[]')
        FROM (SELECT DISTINCT o.name, o.value FROM variants v JOIN variant_options o ON o.variant_id = v.id WHERE v.product_id = products.id ORDER BY o.name, o.value) x)
    WHERE id = (SELECT product_id FROM variants WHERE id = OLD.variant_id);
END;

CREATE TRIGGER variants_facets_delete AFTER DELETE ON variants BEGIN
    UPDATE products SET facet_options = (
        SELECT COALESCE(json_group_array(json_array(x.name, x.value)), '[]')
        FROM (SELECT DISTINCT o.name, o.value FROM variants v JOIN variant_options o ON o.variant_id = v.id WHERE v.product_id = products.id ORDER BY o.name, o.value) x)
    WHERE id = OLD.product_id;
END;

UPDATE products SET facet_options = (
    SELECT COALESCE(json_group_array(json_array(x.name, x.value)), '[]')
    FROM (SELECT DISTINCT o.name, o.value FROM variants v JOIN variant_options o ON o.variant_id = v.id WHERE v.product_id = products.id ORDER BY o.name, o.value) x);
