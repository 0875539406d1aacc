ALTER TABLE variants DROP COLUMN fence;
