DROP TABLE catalog_audit;
DROP TABLE product_slugs;
ALTER TABLE variants DROP COLUMN barcode;
ALTER TABLE variants DROP COLUMN weight;
ALTER TABLE variants DROP COLUMN compare_at_price;
ALTER TABLE categories DROP COLUMN version;
DROP INDEX products_status;
ALTER TABLE products DROP COLUMN version;
ALTER TABLE products DROP COLUMN status;
