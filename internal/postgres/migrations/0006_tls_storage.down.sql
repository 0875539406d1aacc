DROP TABLE tls_locks;
DROP TABLE tls_storage;
