CREATE TEMPORARY TABLE kpi_sales_daily_folded AS
SELECT day, currency, SUM(orders)::BIGINT AS orders, SUM(gross)::BIGINT AS gross, SUM(refunded)::BIGINT AS refunded
FROM kpi_sales_daily GROUP BY day, currency;
DELETE FROM kpi_sales_daily;
ALTER TABLE kpi_sales_daily DROP CONSTRAINT kpi_sales_daily_pkey;
ALTER TABLE kpi_sales_daily DROP COLUMN shard;
ALTER TABLE kpi_sales_daily ADD PRIMARY KEY (day, currency);
INSERT INTO kpi_sales_daily (day, currency, orders, gross, refunded)
SELECT day, currency, orders, gross, refunded FROM kpi_sales_daily_folded;
DROP TABLE kpi_sales_daily_folded;
