DROP TRIGGER orders_number_at_commit ON orders;
DROP FUNCTION ocean_number_paid_order();
