-- On PostgreSQL a paid order now takes its number when its transaction
-- commits (decision 0240). SQLite has one writer, so nobody waits on the
-- counter's row for another writer's round trips: the paid transition
-- keeps numbering the order itself. This step keeps the two schemas'
-- versions in step (a backup records its schema version).
SELECT 1;
