-- Back to one row per method and country; a weight-priced method keeps its
-- base price as a flat rate.
DROP TABLE settings_audit;
-- The rows, flattened, wait in a plain table while shipping_methods is
-- recreated with 0003's exact text (a renamed copy would differ in its stored
-- SQL on SQLite and its constraint names on PostgreSQL).
CREATE TABLE shipping_methods_flat AS
SELECT m.code, m.name, c.country, m.price, m.currency, m.free_above, m.position
FROM shipping_methods m JOIN shipping_zone_countries c ON c.zone_id = m.zone_id;
DROP INDEX shipping_methods_zone;
DROP TABLE shipping_methods;
CREATE TABLE shipping_methods (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    country    TEXT NOT NULL, -- ISO 3166 alpha-2, or '*' for every other country
    price      INTEGER NOT NULL CHECK (price >= 0),
    currency   TEXT NOT NULL,
    free_above INTEGER CHECK (free_above >= 0), -- subtotal after discount from which it is free
    position   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (code, country)
);
INSERT INTO shipping_methods (code, name, country, price, currency, free_above, position)
SELECT code, name, country, price, currency, free_above, position FROM shipping_methods_flat;
DROP TABLE shipping_methods_flat;
DROP TABLE shipping_zone_countries;
DROP TABLE shipping_zones;
