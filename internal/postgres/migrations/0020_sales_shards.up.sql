-- The day's takings (kpi_sales_daily) in several rows a day and currency,
-- summed on read: every payment updated the one row of the day and held
-- it to its commit, and under the 10,000-session fleet run the queue on it
-- held every pooled connection (decision 0220). A payment adds to one of
-- 16 shards, chosen at random.
ALTER TABLE kpi_sales_daily ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kpi_sales_daily DROP CONSTRAINT kpi_sales_daily_pkey;
ALTER TABLE kpi_sales_daily ADD PRIMARY KEY (day, currency, shard);
