-- 0021_products_no_fts: no FTS5 index of the products.
--
-- Every search with q reads agora's postings (0019) once they are built,
-- newest first included, as on PostgreSQL (0021 there drops its GIN
-- index): products_fts served only a catalogue whose postings agora
-- migrate has yet to build, and cost every product write its upkeep and
-- the seed of a million products 7 s of CPU (docs/benchmarks.md). Until
-- the postings are built a search with q answers 503. The tokenizer
-- "agora" stays registered: 0014 names it, and a new database runs every
-- migration.
DROP TRIGGER products_fts_insert;
DROP TRIGGER products_fts_delete;
DROP TRIGGER products_fts_update;
DROP TABLE products_fts;
