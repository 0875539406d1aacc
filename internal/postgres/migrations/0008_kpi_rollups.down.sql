ALTER TABLE carts DROP COLUMN filled;
DROP TABLE kpi_daily;
DROP TABLE kpi_product_daily;
DROP TABLE kpi_sales_daily;
