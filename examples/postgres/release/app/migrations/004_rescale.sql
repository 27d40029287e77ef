-- 1.2.0 (broken on purpose): fails, so the app never becomes healthy
UPDATE items SET qty = qty / 0;
