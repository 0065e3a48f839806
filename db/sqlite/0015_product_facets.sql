-- 0015_product_facets: how many ACTIVE products each category and brand
-- pair holds, for search without q or a price range, whose total and
-- facets are then read here instead of counted over a million rows.
--
-- The triggers keep the counts in the writing transaction. A pair whose
-- count falls to 0 stays, unseen (n > 0 is read). agora seed sets the
-- triggers aside and adds its rows' counts once at the end.
CREATE TABLE product_facets (
	category text NOT NULL,
	brand text NOT NULL,
	n integer NOT NULL,
	PRIMARY KEY (category, brand)
) WITHOUT ROWID;
INSERT INTO product_facets (category, brand, n)
	SELECT category, brand, count(*) FROM products
	WHERE status = 'ACTIVE' GROUP BY category, brand;
CREATE TRIGGER product_facets_insert AFTER INSERT ON products
	WHEN new.status = 'ACTIVE' BEGIN
	INSERT INTO product_facets (category, brand, n)
		VALUES (new.category, new.brand, 1)
		ON CONFLICT (category, brand) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER product_facets_delete AFTER DELETE ON products
	WHEN old.status = 'ACTIVE' BEGIN
	UPDATE product_facets SET n = n - 1
		WHERE category = old.category AND brand = old.brand;
END;
CREATE TRIGGER product_facets_update AFTER UPDATE OF category, brand,
	status ON products BEGIN
	UPDATE product_facets SET n = n - 1 WHERE old.status = 'ACTIVE'
		AND category = old.category AND brand = old.brand;
	INSERT INTO product_facets (category, brand, n)
		SELECT new.category, new.brand, 1 WHERE new.status = 'ACTIVE'
		ON CONFLICT (category, brand) DO UPDATE SET n = n + 1;
END;

-- A category's page, newest first, from an index walk (the rowid, last
-- in every index, orders equal times by id): a deep page skips index
-- entries, not rows.
CREATE INDEX products_status_category_created ON products (status, category,
	created_at);

-- The matches of a price range with their category and brand, from the
-- index alone: what the facets of a search without q count.
DROP INDEX products_status_price;
CREATE INDEX products_status_price ON products (status, price, category,
	brand);
