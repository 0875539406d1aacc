-- ocean:foreign-keys-off
-- Back to two roles: staff accounts become customers (they keep their
-- orders and sign-ins; an admin can grant the role again after upgrading).
CREATE TABLE users_copy AS SELECT id, email, name, phone, role, password_hash, created_at, updated_at, erased_at FROM users;
DROP TABLE users;
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    erased_at     INTEGER
);
INSERT INTO users (id, email, name, phone, role, password_hash, created_at, updated_at, erased_at)
    SELECT id, email, name, phone, CASE role WHEN 'staff' THEN 'customer' ELSE role END, password_hash, created_at, updated_at, erased_at FROM users_copy;
DROP TABLE users_copy;
