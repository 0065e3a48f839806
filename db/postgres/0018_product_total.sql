-- 0018_product_total: how many products the catalogue holds, every
-- status, for the total of GET /api/products, which counted them on
-- every request (a scan of the whole table: 67 ms at a million
-- products, for a route anyone may call).
--
-- Kept in the writing transaction by one statement-level trigger per
-- event, which adds the statement's rows at once. Every insert or
-- delete of products thus updates this one row: concurrent writes of
-- products wait for each other's commit there, as they already do on
-- product_facets' row of a category and brand. agora seed sets the
-- triggers aside and adds its rows once at the end.
--
-- Writes of products wait until the migration commits: a product written
-- between the count and the triggers would be in neither.
LOCK TABLE products IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE product_total (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	n bigint NOT NULL
);
INSERT INTO product_total (n) SELECT count(*) FROM products;
CREATE FUNCTION product_total_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	d bigint;
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT count(*) INTO d FROM product_total_new;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT -count(*) INTO d FROM product_total_old;
	ELSE -- TRUNCATE
		UPDATE product_total SET n = 0;
		RETURN NULL;
	END IF;
	IF d <> 0 THEN
		UPDATE product_total SET n = n + d;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER product_total_insert AFTER INSERT ON products
	REFERENCING NEW TABLE AS product_total_new
	FOR EACH STATEMENT EXECUTE FUNCTION product_total_sync();
CREATE TRIGGER product_total_delete AFTER DELETE ON products
	REFERENCING OLD TABLE AS product_total_old
	FOR EACH STATEMENT EXECUTE FUNCTION product_total_sync();
CREATE TRIGGER product_total_truncate AFTER TRUNCATE ON products
	FOR EACH STATEMENT EXECUTE FUNCTION product_total_sync();
