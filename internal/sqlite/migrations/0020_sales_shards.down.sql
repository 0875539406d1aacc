CREATE TEMPORARY TABLE kpi_sales_daily_keep AS
SELECT day, currency, SUM(orders) AS orders, SUM(gross) AS gross, SUM(refunded) AS refunded FROM kpi_sales_daily GROUP BY day, currency;
DROP TABLE kpi_sales_daily;
CREATE TABLE kpi_sales_daily (
    day      INTEGER NOT NULL,
    currency TEXT NOT NULL,
    orders   INTEGER NOT NULL DEFAULT 0,
    gross    INTEGER NOT NULL DEFAULT 0,
    refunded INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency)
) WITHOUT ROWID;
INSERT INTO kpi_sales_daily (day, currency, orders, gross, refunded)
SELECT day, currency, orders, gross, refunded FROM kpi_sales_daily_keep;
DROP TABLE kpi_sales_daily_keep;
