DROP TABLE zone_tax_rates;
ALTER TABLE tax_rates DROP COLUMN version;
