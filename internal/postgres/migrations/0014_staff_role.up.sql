-- A third role, staff: the back office's catalog, orders and inventory,
-- without settings, accounts or keys.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('customer', 'admin', 'staff'));
