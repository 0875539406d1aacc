DROP TRIGGER variants_facets_delete ON variants;
DROP TRIGGER variant_options_facets_delete ON variant_options;
DROP TRIGGER variant_options_facets_update ON variant_options;
DROP TRIGGER variant_options_facets_insert ON variant_options;
DROP FUNCTION ocean_refresh_facet_options_gone();
DROP FUNCTION ocean_refresh_facet_options_moved();
DROP FUNCTION ocean_refresh_facet_options();
DROP FUNCTION ocean_refresh_facet_options_of(BIGINT[]);
ALTER TABLE products DROP COLUMN facet_options;
