-- 0004_products: the catalogue, and its full-text index (FTS5).
--
-- products_fts is an external-content FTS5 table: it stores only the
-- index, reads the text back from products by rowid = id, and can be
-- rebuilt from it ('rebuild', what the reindex runs). The triggers keep it
-- in step inside the writing transaction. The unicode61 tokenizer splits
-- on anything that is not a letter or digit, so Hangul words are words
-- like English ones, as in PostgreSQL's `simple` parser and Elasticsearch's
-- standard analyzer: every backend finds the same products for the same q.
-- (trigram would find substrings but nothing for two-syllable Korean words
-- like 가방, and would disagree with the other backends.)
CREATE TABLE products (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name text NOT NULL,
	description text,
	category text NOT NULL,
	brand text NOT NULL,
	price integer NOT NULL CHECK (price >= 0),
	status text NOT NULL DEFAULT 'ACTIVE'
		CHECK (status IN ('ACTIVE', 'INACTIVE')),
	version integer NOT NULL DEFAULT 1,
	created_at text NOT NULL
		DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated_at text NOT NULL
		DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- Search without q filters and sorts on these; the facets group by the
-- first three.
CREATE INDEX products_status_category ON products (status, category, brand,
	price);
CREATE INDEX products_status_price ON products (status, price);
CREATE INDEX products_status_created ON products (status, created_at);

CREATE VIRTUAL TABLE products_fts USING fts5(name, description,
	content = 'products', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
	INSERT INTO products_fts (rowid, name, description)
		VALUES (new.id, new.name, new.description);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
	INSERT INTO products_fts (products_fts, rowid, name, description)
		VALUES ('delete', old.id, old.name, old.description);
END;
CREATE TRIGGER products_fts_update AFTER UPDATE OF name, description
	ON products BEGIN
	INSERT INTO products_fts (products_fts, rowid, name, description)
		VALUES ('delete', old.id, old.name, old.description);
	INSERT INTO products_fts (rowid, name, description)
		VALUES (new.id, new.name, new.description);
END;
