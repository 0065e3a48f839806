-- 0014_search_analyzer: products_fts with agora's analyzer, and the
-- vocabulary that suggestions and typo corrections read.
--
-- The tokenizer "agora" (lib/search-sqlite.c, registered on every
-- connection agora opens) gives a product's whole words and, for Hangul
-- and other CJK words, their bigrams, as the PostgreSQL tsvector and the
-- Elasticsearch mapping do. detail=column: the ranking needs to know
-- which column a word is in, never where, and the index is smaller.
-- 'rebuild' reads every product again through the new tokenizer.
DROP TRIGGER products_fts_insert;
DROP TRIGGER products_fts_delete;
DROP TRIGGER products_fts_update;
DROP TABLE products_fts;
CREATE VIRTUAL TABLE products_fts USING fts5(name, description,
	content = 'products', content_rowid = 'id', tokenize = 'agora',
	detail = 'column');
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
INSERT INTO products_fts (products_fts) VALUES ('rebuild');

-- The whole words of ACTIVE products and how many products hold each
-- (df): suggestions complete a prefix with the most frequent, a typo is
-- corrected to the closest. search_words() is the analyzer's distinct
-- words; the triggers keep the counts in the writing transaction. A
-- word whose count falls to 0 stays, unseen, until a reindex.
CREATE TABLE search_vocab (
	term text PRIMARY KEY,
	df integer NOT NULL
) WITHOUT ROWID;
-- max(df), the scale of the words' weights (search-vocab.c), at a glance
CREATE INDEX search_vocab_df ON search_vocab (df);
-- A row here, only ever inside a bulk load's own transaction, turns the
-- triggers off: the load counts its words once at the end.
CREATE TABLE search_vocab_pause (paused integer NOT NULL);
INSERT INTO search_vocab (term, df)
	SELECT w.value, count(*)
	FROM products p, json_each(search_words(p.name, p.description)) w
	WHERE p.status = 'ACTIVE' GROUP BY w.value;
CREATE TRIGGER search_vocab_insert AFTER INSERT ON products
	WHEN new.status = 'ACTIVE'
	AND NOT EXISTS (SELECT 1 FROM search_vocab_pause) BEGIN
	INSERT INTO search_vocab (term, df)
		SELECT value, 1
		FROM json_each(search_words(new.name, new.description))
		WHERE true
		ON CONFLICT (term) DO UPDATE SET df = df + 1;
END;
CREATE TRIGGER search_vocab_delete AFTER DELETE ON products
	WHEN old.status = 'ACTIVE'
	AND NOT EXISTS (SELECT 1 FROM search_vocab_pause) BEGIN
	UPDATE search_vocab SET df = df - 1 WHERE term IN (SELECT value
		FROM json_each(search_words(old.name, old.description)));
END;
CREATE TRIGGER search_vocab_update AFTER UPDATE OF name, description,
	status ON products
	WHEN NOT EXISTS (SELECT 1 FROM search_vocab_pause) BEGIN
	UPDATE search_vocab SET df = df - 1 WHERE old.status = 'ACTIVE'
		AND term IN (SELECT value FROM json_each(search_words(
			old.name, old.description)));
	INSERT INTO search_vocab (term, df)
		SELECT value, 1
		FROM json_each(search_words(new.name, new.description))
		WHERE new.status = 'ACTIVE'
		ON CONFLICT (term) DO UPDATE SET df = df + 1;
END;
