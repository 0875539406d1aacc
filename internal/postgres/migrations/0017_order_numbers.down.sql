-- Back to numbers derived from the row id: the previous release shows
-- every order as OC(100000 + id), which is what orders paid before the
-- upgrade were numbered; orders paid since get that number instead of
-- their counter's. The recorded payment attempts are dropped.
DROP TABLE payment_attempts;
DROP TABLE order_numbers;
DROP INDEX orders_number;
ALTER TABLE orders DROP COLUMN number;
