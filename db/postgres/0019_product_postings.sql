-- 0019_product_postings: agora's own inverted index of the products
-- (lib/postings.h): for each term and each run of 16,384 ids, the packed
-- postings of the ACTIVE products that hold it, each with what a search
-- needs of its product, so that a search with q reads nothing else
-- before its page.
--
-- product.c keeps them in each product write's transaction. A
-- catalogue that already holds products when this migration runs has
-- none yet: agora migrate builds them right after the migrations
-- (postings_build()), and until then (ready) searches read the full-text
-- index as before and writes leave them alone.
CREATE TABLE product_postings (
	term text COLLATE "C" NOT NULL,
	bucket bigint NOT NULL,
	postings bytea NOT NULL,
	PRIMARY KEY (term, bucket)
);

-- A category's or brand's number in the postings: given once, kept.
CREATE TABLE product_values (
	field text NOT NULL CHECK (field IN ('category', 'brand')),
	value text NOT NULL,
	ord integer NOT NULL,
	PRIMARY KEY (field, value),
	UNIQUE (field, ord)
);

CREATE TABLE product_postings_state (
	one integer PRIMARY KEY CHECK (one = 1),
	ready boolean NOT NULL
);
INSERT INTO product_postings_state (one, ready)
	SELECT 1, NOT EXISTS (SELECT 1 FROM products);
