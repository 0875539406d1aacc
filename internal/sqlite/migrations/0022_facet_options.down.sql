DROP TRIGGER variants_facets_delete;
DROP TRIGGER variant_options_facets_delete;
DROP TRIGGER variant_options_facets_update;
DROP TRIGGER variant_options_facets_insert;
ALTER TABLE products DROP COLUMN facet_options;
