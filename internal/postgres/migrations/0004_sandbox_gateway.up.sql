-- The sandbox payment gateway's own records: what an external processor
-- would keep on its side. No card number or CVC is ever stored: a token
-- keeps only the brand and last four digits.
CREATE TABLE sandbox_tokens (
    id         TEXT PRIMARY KEY,
    brand      TEXT NOT NULL,
    last4      TEXT NOT NULL CHECK (length(last4) = 4),
    outcome    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sandbox_authorizations (
    id          TEXT PRIMARY KEY,
    reference   TEXT NOT NULL UNIQUE,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    currency    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('authorized', 'captured', 'voided')),
    refunded    BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    card        TEXT NOT NULL,
    token       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE sandbox_refunds (
    reference        TEXT PRIMARY KEY,
    authorization_id TEXT NOT NULL REFERENCES sandbox_authorizations(id),
    amount           BIGINT NOT NULL CHECK (amount > 0),
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX sandbox_refunds_authorization ON sandbox_refunds (authorization_id);
