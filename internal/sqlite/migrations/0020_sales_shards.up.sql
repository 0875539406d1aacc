-- The day's takings (kpi_sales_daily) in several rows a day and currency,
-- summed on read: on PostgreSQL every payment updated the one row of the
-- day and held it to its commit, and under the 10,000-session fleet run the
-- queue on it held every pooled connection (decision 0220). A payment adds
-- to one shard; SQLite, with its one writer, writes shard 0 only.
CREATE TEMPORARY TABLE kpi_sales_daily_keep AS SELECT day, currency, orders, gross, refunded FROM kpi_sales_daily;
DROP TABLE kpi_sales_daily;
CREATE TABLE kpi_sales_daily (
    day      INTEGER NOT NULL,
    currency TEXT NOT NULL,
    orders   INTEGER NOT NULL DEFAULT 0,
    gross    INTEGER NOT NULL DEFAULT 0,
    refunded INTEGER NOT NULL DEFAULT 0,
    shard    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency, shard)
) WITHOUT ROWID;
INSERT INTO kpi_sales_daily (day, currency, orders, gross, refunded, shard)
SELECT day, currency, orders, gross, refunded, 0 FROM kpi_sales_daily_keep;
DROP TABLE kpi_sales_daily_keep;
