-- ocean:foreign-keys-off
-- A third role, staff: the back office's catalog, orders and inventory,
-- without settings, accounts or keys. SQLite cannot change a CHECK in
-- place, so users is copied aside and created again (the runner turns
-- foreign keys off for this step, so the tables that point at users keep
-- their rows, and checks every foreign key before committing).
CREATE TABLE users_copy AS SELECT id, email, name, phone, role, password_hash, created_at, updated_at, erased_at FROM users;
DROP TABLE users;
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin', 'staff')),
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    erased_at     INTEGER
);
INSERT INTO users (id, email, name, phone, role, password_hash, created_at, updated_at, erased_at) SELECT id, email, name, phone, role, password_hash, created_at, updated_at, erased_at FROM users_copy;
DROP TABLE users_copy;
