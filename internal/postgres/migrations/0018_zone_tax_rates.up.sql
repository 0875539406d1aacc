-- Tax rates per shipping zone (decision 0135): a zone's rate applies to
-- every country of the zone (the '*' zone's to every country no zone
-- lists) unless the country has a rate of its own in tax_rates. Both kinds
-- carry a version, so a stale write is refused (412) like the other
-- settings. Expand-only: the previous release ignores both.
ALTER TABLE tax_rates ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
CREATE TABLE zone_tax_rates (
    zone_id BIGINT PRIMARY KEY REFERENCES shipping_zones(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    rate_bp INTEGER NOT NULL CHECK (rate_bp >= 0 AND rate_bp <= 10000), -- basis points: 1500 = 15%
    version BIGINT NOT NULL DEFAULT 1
);
