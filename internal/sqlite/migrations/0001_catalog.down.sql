DROP TABLE products_fts;
DROP TABLE variant_options;
DROP TABLE variants;
DROP TABLE products;
DROP TABLE categories;
