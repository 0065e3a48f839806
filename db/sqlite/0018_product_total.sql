-- 0018_product_total: how many products the catalogue holds, every
-- status, for the total of GET /api/products, read here instead of
-- counted on every request.
--
-- The triggers keep it in the writing transaction. agora seed sets them
-- aside and adds its rows once at the end.
CREATE TABLE product_total (
	one integer PRIMARY KEY CHECK (one = 1),
	n integer NOT NULL
);
INSERT INTO product_total (one, n) SELECT 1, count(*) FROM products;
CREATE TRIGGER product_total_insert AFTER INSERT ON products BEGIN
	UPDATE product_total SET n = n + 1;
END;
CREATE TRIGGER product_total_delete AFTER DELETE ON products BEGIN
	UPDATE product_total SET n = n - 1;
END;
