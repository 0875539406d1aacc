-- Back to two roles: staff accounts become customers (they keep their
-- orders and sign-ins; an admin can grant the role again after upgrading).
UPDATE users SET role = 'customer' WHERE role = 'staff';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('customer', 'admin'));
