-- 0016_product_price_facets: how many ACTIVE products each category and
-- each brand holds in each price bucket, for search without q with a
-- price range, whose total and facets are then summed from the buckets
-- inside the range and counted only in its two edges.
--
-- A bucket is a price to two significant digits (123 456 is in bucket
-- 120 000, with the prices 120 000 to 129 999): about ninety buckets a
-- decade, so a range holds few buckets and an edge few products.
-- product_price_bucket() is search-fts.c's search_price_bucket() in
-- SQL. The trigger keeps the counts in the writing transaction; a bucket
-- whose count falls to 0 stays, unseen (n > 0 is read). agora seed sets
-- the trigger aside and adds its rows' counts once at the end
-- (seed_price_facets()).
-- Not STRICT: a SQL function the planner can inline must not be (called
-- as a function, it took 2.3 s at a million rows instead of 0.3).
CREATE FUNCTION product_price_bucket(p bigint) RETURNS bigint
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN p - p % substr('10000000000000000000', 1,
		greatest(length(p::text) - 1, 1))::bigint;
CREATE TABLE product_price_facets (
	bucket bigint NOT NULL,
	field text NOT NULL CHECK (field IN ('category', 'brand')),
	value text NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (bucket, field, value)
);
WITH p AS MATERIALIZED (
	SELECT product_price_bucket(price) AS b, category, brand,
		count(*) AS n
	FROM products WHERE status = 'ACTIVE' GROUP BY 1, 2, 3)
INSERT INTO product_price_facets (bucket, field, value, n)
	SELECT b, 'category', category, sum(n) FROM p GROUP BY b, category
	UNION ALL
	SELECT b, 'brand', brand, sum(n) FROM p GROUP BY b, brand;
-- One statement for what a write takes away and adds, its rows in key
-- order: two writes that move products in opposite directions lock the
-- rows in the same order and cannot deadlock. A change that keeps the
-- buckets (a new name, or a price within its bucket) writes nothing.
CREATE FUNCTION product_price_facets_sync() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO product_price_facets AS f (bucket, field, value, n)
	SELECT b, fld, v, sum(d) FROM (
		SELECT product_price_bucket(OLD.price) AS b,
			'category' AS fld, OLD.category AS v, -1 AS d
		WHERE TG_OP <> 'INSERT' AND OLD.status = 'ACTIVE'
		UNION ALL
		SELECT product_price_bucket(OLD.price), 'brand', OLD.brand, -1
		WHERE TG_OP <> 'INSERT' AND OLD.status = 'ACTIVE'
		UNION ALL
		SELECT product_price_bucket(NEW.price), 'category',
			NEW.category, 1
		WHERE TG_OP <> 'DELETE' AND NEW.status = 'ACTIVE'
		UNION ALL
		SELECT product_price_bucket(NEW.price), 'brand', NEW.brand, 1
		WHERE TG_OP <> 'DELETE' AND NEW.status = 'ACTIVE') AS c
	GROUP BY b, fld, v HAVING sum(d) <> 0
	ORDER BY b, fld, v
	ON CONFLICT (bucket, field, value) DO UPDATE SET n = f.n + excluded.n;
	RETURN NULL;
END
$$;
CREATE TRIGGER product_price_facets_sync
	AFTER INSERT OR DELETE OR UPDATE OF category, brand, price, status
	ON products FOR EACH ROW EXECUTE FUNCTION product_price_facets_sync();
