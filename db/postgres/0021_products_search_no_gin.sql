-- 0021_products_search_no_gin: no GIN index on the products' tsvector.
--
-- Every search with q reads agora's postings (0019) once they are built,
-- newest first included: the GIN index served only a catalogue whose
-- postings agora migrate has yet to build, and cost every product write
-- its upkeep and the seed of a million products 5 to 8 s
-- (docs/benchmarks.md). The tsvector stays: the vocabulary's triggers
-- read it, and until the postings are built a search with q scans it.
DROP INDEX products_search_idx;
