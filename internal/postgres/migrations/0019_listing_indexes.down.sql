DROP INDEX products_price_spread;
DROP INDEX orders_numbered_status;
DROP INDEX orders_unanswered;
DROP INDEX orders_unsettled;
DROP INDEX variants_stock;
DROP INDEX products_listing_created;
DROP INDEX products_listing_price;
