-- certmagic's storage for OCEAN_TLS=acme: certificates, their keys, the
-- ACME account and challenge tokens, shared by every instance of a fleet.
-- Names are slash-separated paths compared byte by byte (BINARY), so
-- a range scan finds everything under a directory.
CREATE TABLE tls_storage (
    name     TEXT PRIMARY KEY,
    value    BLOB NOT NULL,
    modified INTEGER NOT NULL -- Unix milliseconds
);
-- One row per held lock (obtaining or renewing a name): its holder's random
-- token and when it goes stale unless the holder extends it.
CREATE TABLE tls_locks (
    name    TEXT PRIMARY KEY,
    token   TEXT NOT NULL,
    expires INTEGER NOT NULL -- Unix milliseconds
);
