-- 0015_product_facets: how many ACTIVE products each category and brand
-- pair holds, for search without q or a price range, whose total and
-- facets are then read here instead of counted over a million rows.
--
-- The trigger keeps the counts in the writing transaction. A pair whose
-- count falls to 0 stays, unseen (n > 0 is read). agora seed sets the
-- trigger aside and adds its rows' counts once at the end.
CREATE TABLE product_facets (
	category text NOT NULL,
	brand text NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (category, brand)
);
INSERT INTO product_facets (category, brand, n)
	SELECT category, brand, count(*) FROM products
	WHERE status = 'ACTIVE' GROUP BY category, brand;
-- A move from one pair to another takes the two rows' locks in one
-- order (the smaller pair first), so that two moves in opposite
-- directions cannot deadlock.
CREATE FUNCTION product_facets_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	dec boolean := TG_OP <> 'INSERT' AND OLD.status = 'ACTIVE';
	inc boolean := TG_OP <> 'DELETE' AND NEW.status = 'ACTIVE';
	first boolean;
BEGIN
	IF dec AND inc AND OLD.category = NEW.category
	   AND OLD.brand = NEW.brand THEN
		RETURN NULL;
	END IF;
	first := dec AND (NOT inc OR (OLD.category, OLD.brand) <
			  (NEW.category, NEW.brand));
	IF first THEN
		UPDATE product_facets SET n = n - 1
		WHERE category = OLD.category AND brand = OLD.brand;
	END IF;
	IF inc THEN
		INSERT INTO product_facets (category, brand, n)
		VALUES (NEW.category, NEW.brand, 1)
		ON CONFLICT (category, brand)
		DO UPDATE SET n = product_facets.n + 1;
	END IF;
	IF dec AND NOT first THEN
		UPDATE product_facets SET n = n - 1
		WHERE category = OLD.category AND brand = OLD.brand;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER product_facets_sync
	AFTER INSERT OR DELETE OR UPDATE OF category, brand, status
	ON products FOR EACH ROW EXECUTE FUNCTION product_facets_sync();

-- Pages newest first from an index walk, ties by id: a deep page skips
-- index entries, and the sort of a million rows goes.
CREATE INDEX products_status_category_created ON products (status, category,
	created_at, id);
CREATE INDEX products_status_created_id ON products (status, created_at, id);
DROP INDEX products_status_created;

-- The matches of a price range with their category and brand, from the
-- index alone: what the facets of a search without q count.
DROP INDEX products_status_price;
CREATE INDEX products_status_price ON products (status, price, category,
	brand);
