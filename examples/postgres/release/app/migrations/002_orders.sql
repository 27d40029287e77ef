-- 1.1.0: orders, and a SKU for every item
CREATE TABLE orders (
    id serial PRIMARY KEY,
    item_id integer NOT NULL REFERENCES items (id),
    placed_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE items ADD COLUMN sku text;
UPDATE items SET sku = 'SKU-' || lpad(id::text, 6, '0');
