-- 0016_product_price_facets: how many ACTIVE products each category and
-- each brand holds in each price bucket, for search without q with a
-- price range, whose total and facets are then summed from the buckets
-- inside the range and counted only in its two edges.
--
-- A bucket is a price to two significant digits (123 456 is in bucket
-- 120 000, with the prices 120 000 to 129 999): about ninety buckets a
-- decade, so a range holds few buckets and an edge few products. The
-- expression is search-fts.c's search_price_bucket() in SQL. The
-- triggers keep the counts in the writing transaction; a bucket whose
-- count falls to 0 stays, unseen (n > 0 is read). agora seed sets the
-- triggers aside and adds its rows' counts once at the end
-- (seed_price_facets()).
CREATE TABLE product_price_facets (
	bucket integer NOT NULL,
	field text NOT NULL CHECK (field IN ('category', 'brand')),
	value text NOT NULL,
	n integer NOT NULL,
	PRIMARY KEY (bucket, field, value)
) WITHOUT ROWID;
INSERT INTO product_price_facets (bucket, field, value, n)
	SELECT b, 'category', category, count(*) FROM (SELECT price - price %
		CAST(substr('10000000000000000000', 1,
			max(length(price) - 1, 1)) AS INTEGER) AS b, category
		FROM products WHERE status = 'ACTIVE') GROUP BY b, category;
INSERT INTO product_price_facets (bucket, field, value, n)
	SELECT b, 'brand', brand, count(*) FROM (SELECT price - price %
		CAST(substr('10000000000000000000', 1,
			max(length(price) - 1, 1)) AS INTEGER) AS b, brand
		FROM products WHERE status = 'ACTIVE') GROUP BY b, brand;
CREATE TRIGGER product_price_facets_insert AFTER INSERT ON products
	WHEN new.status = 'ACTIVE' BEGIN
	INSERT INTO product_price_facets (bucket, field, value, n)
		SELECT b, f, v, 1 FROM (SELECT new.price - new.price %
			CAST(substr('10000000000000000000', 1,
				max(length(new.price) - 1, 1)) AS INTEGER) AS b),
			(SELECT 'category' AS f, new.category AS v
			 UNION ALL SELECT 'brand', new.brand)
		WHERE true
		ON CONFLICT (bucket, field, value) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER product_price_facets_delete AFTER DELETE ON products
	WHEN old.status = 'ACTIVE' BEGIN
	UPDATE product_price_facets SET n = n - 1
		WHERE bucket = old.price - old.price %
			CAST(substr('10000000000000000000', 1,
				max(length(old.price) - 1, 1)) AS INTEGER)
		AND ((field = 'category' AND value = old.category)
			OR (field = 'brand' AND value = old.brand));
END;
CREATE TRIGGER product_price_facets_update AFTER UPDATE OF category, brand,
	price, status ON products BEGIN
	UPDATE product_price_facets SET n = n - 1
		WHERE old.status = 'ACTIVE'
		AND bucket = old.price - old.price %
			CAST(substr('10000000000000000000', 1,
				max(length(old.price) - 1, 1)) AS INTEGER)
		AND ((field = 'category' AND value = old.category)
			OR (field = 'brand' AND value = old.brand));
	INSERT INTO product_price_facets (bucket, field, value, n)
		SELECT b, f, v, 1 FROM (SELECT new.price - new.price %
			CAST(substr('10000000000000000000', 1,
				max(length(new.price) - 1, 1)) AS INTEGER) AS b),
			(SELECT 'category' AS f, new.category AS v
			 UNION ALL SELECT 'brand', new.brand)
		WHERE new.status = 'ACTIVE'
		ON CONFLICT (bucket, field, value) DO UPDATE SET n = n + 1;
END;
