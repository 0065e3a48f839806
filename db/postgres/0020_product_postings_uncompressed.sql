-- 0020_product_postings_uncompressed: the postings stored as they are,
-- out of line when long, not compressed.
--
-- PostgreSQL compressed every row of product_postings over 2 kB (pglz)
-- on each write and decompressed it on each read: at a million products
-- a build took 20 s instead of 8, for 270 MB of postings stored in 162
-- (docs/benchmarks.md). The rows are built again by agora migrate right
-- after this step, uncompressed; until then searches read the
-- full-text index.
ALTER TABLE product_postings ALTER COLUMN postings SET STORAGE EXTERNAL;
UPDATE product_postings_state SET ready = false
	WHERE EXISTS (SELECT 1 FROM product_postings);
