DROP INDEX products_price_spread;
DROP INDEX variants_stock;
DROP INDEX products_listing_created;
DROP INDEX products_listing_price;
