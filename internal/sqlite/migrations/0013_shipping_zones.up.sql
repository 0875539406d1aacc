-- Shipping zones (decision 0100): a zone is a named set of countries with
-- its own methods; '*' is the rest of the world, the zone of every country
-- no other zone lists. A country belongs to at most one zone (the primary
-- key of shipping_zone_countries). Each country that had methods of its own
-- becomes a zone; the '*' methods become the "Rest of the world" zone.
-- Methods gain weight brackets (JSON, '' for a flat rate) and a version;
-- settings_audit records every change to settings, zones, methods and tax
-- rates with its before and after.
CREATE TABLE shipping_zones (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL DEFAULT 0,
    version  INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE shipping_zone_countries (
    country TEXT PRIMARY KEY, -- ISO 3166-1 alpha-2, or '*' for the rest of the world
    zone_id INTEGER NOT NULL REFERENCES shipping_zones(id) ON DELETE CASCADE
);
CREATE INDEX shipping_zone_countries_zone ON shipping_zone_countries (zone_id);

INSERT INTO shipping_zones (id, name, position)
SELECT MIN(id), CASE country WHEN '*' THEN 'Rest of the world' WHEN 'ZA' THEN 'South Africa' ELSE country END,
       CASE country WHEN '*' THEN 1000 ELSE 0 END
FROM shipping_methods GROUP BY country;
INSERT INTO shipping_zone_countries (country, zone_id) SELECT country, MIN(id) FROM shipping_methods GROUP BY country;

CREATE TABLE shipping_methods_zoned (
    id           INTEGER PRIMARY KEY,
    zone_id      INTEGER NOT NULL REFERENCES shipping_zones(id) ON DELETE CASCADE,
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    price        INTEGER NOT NULL CHECK (price >= 0),
    currency     TEXT NOT NULL,
    free_above   INTEGER CHECK (free_above >= 0),
    weight_rates TEXT NOT NULL DEFAULT '', -- JSON [{"up_to_grams": 1000, "price": 6000}, …] ascending; '' is a flat rate
    position     INTEGER NOT NULL DEFAULT 0,
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (zone_id, code)
);
INSERT INTO shipping_methods_zoned (id, zone_id, code, name, price, currency, free_above, position)
SELECT m.id, (SELECT MIN(o.id) FROM shipping_methods o WHERE o.country = m.country), m.code, m.name, m.price, m.currency, m.free_above, m.position
FROM shipping_methods m;
DROP TABLE shipping_methods;
ALTER TABLE shipping_methods_zoned RENAME TO shipping_methods;
CREATE INDEX shipping_methods_zone ON shipping_methods (zone_id, position);

CREATE TABLE settings_audit (
    id         INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL, -- Unix microseconds, UTC
    actor_id   INTEGER NOT NULL DEFAULT 0,
    actor      TEXT NOT NULL DEFAULT '',
    entity     TEXT NOT NULL CHECK (entity IN ('settings', 'zone', 'method', 'tax_rate')),
    entity_id  TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 0,
    before     TEXT NOT NULL DEFAULT '',
    after      TEXT NOT NULL DEFAULT ''
);
