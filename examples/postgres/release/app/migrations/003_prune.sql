-- 1.2.0 (broken on purpose): destructive, and committed before 004 fails
DELETE FROM orders WHERE item_id % 2 = 0;
DELETE FROM items WHERE id % 2 = 0;
ALTER TABLE items DROP COLUMN note;
