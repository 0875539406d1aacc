-- A paid order takes its number when its transaction commits (decision
-- 0240). The paid transition used to take the next number itself, which
-- locked the one order_numbers row from that statement to the commit: the
-- application's round trip for the COMMIT, and on a busy instance the wait
-- for a core to send it, came between. Every payment of the shop queued
-- on that row (17-20 orders a second for a 10,000-session fleet on two
-- cores). A deferred constraint trigger runs inside COMMIT, so the row is
-- held only while PostgreSQL commits. The numbers stay without gaps: the
-- trigger is part of the transaction, and a transaction that fails to
-- commit gives its number back with everything else.
CREATE FUNCTION ocean_number_paid_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next BIGINT;
BEGIN
    -- Only an order still without a number takes one: an order numbered
    -- before this migration, or by an older instance during a rolling
    -- upgrade, keeps the number it has.
    PERFORM 1 FROM orders WHERE id = NEW.id AND number IS NULL;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    UPDATE order_numbers SET last = last + 1 WHERE id = 1 RETURNING last INTO next;
    UPDATE orders SET number = next WHERE id = NEW.id;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER orders_number_at_commit
    AFTER UPDATE OF status ON orders
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NEW.status = 'paid' AND OLD.status <> 'paid' AND NEW.number IS NULL)
    EXECUTE FUNCTION ocean_number_paid_order();
