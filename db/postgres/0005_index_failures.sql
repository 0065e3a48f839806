-- 0005_index_failures: product events agora-indexd could not apply to
-- Elasticsearch for a reason retrying cannot fix (a 4xx other than 409 on
-- a write, or 404 on a delete; a malformed event). The cursor moves past
-- them, so they are kept here instead of being dropped: `agora reindex`
-- rebuilds the index from the database once the cause is fixed.
CREATE TABLE index_failures (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_id text NOT NULL,
	aggregateid text NOT NULL,
	type text NOT NULL,
	status integer NOT NULL,
	error text NOT NULL,
	payload text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX index_failures_aggregateid ON index_failures (aggregateid);
