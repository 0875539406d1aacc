DROP TABLE sandbox_refunds;
DROP TABLE sandbox_authorizations;
DROP TABLE sandbox_tokens;
