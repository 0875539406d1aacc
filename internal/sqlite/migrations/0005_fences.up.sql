-- The fencing token of the last lock holder that took stock from a variant:
-- a checkout holding the variant's lock writes only if its token is newer,
-- so a holder that stalled past its lease cannot write after a newer one.
ALTER TABLE variants ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
