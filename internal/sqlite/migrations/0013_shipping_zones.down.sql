-- Back to one row per method and country; a weight-priced method keeps its
-- base price as a flat rate.
DROP TABLE settings_audit;
CREATE TABLE shipping_methods_flat (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    country    TEXT NOT NULL,
    price      INTEGER NOT NULL CHECK (price >= 0),
    currency   TEXT NOT NULL,
    free_above INTEGER CHECK (free_above >= 0),
    position   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (code, country)
);
INSERT INTO shipping_methods_flat (code, name, country, price, currency, free_above, position)
SELECT m.code, m.name, c.country, m.price, m.currency, m.free_above, m.position
FROM shipping_methods m JOIN shipping_zone_countries c ON c.zone_id = m.zone_id;
DROP INDEX shipping_methods_zone;
DROP TABLE shipping_methods;
ALTER TABLE shipping_methods_flat RENAME TO shipping_methods;
DROP TABLE shipping_zone_countries;
DROP TABLE shipping_zones;
