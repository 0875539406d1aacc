DROP TABLE mailbox;
DROP TABLE audit_events;
DROP TABLE password_resets;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE addresses;
DROP TABLE users;
