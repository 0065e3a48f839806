-- 0003_outbox: the transactional outbox (Debezium's layout: id,
-- aggregatetype, aggregateid, type, payload) plus what readers need.
--
-- seq orders rows for readers; on PostgreSQL a sequence value is taken at
-- insert time, not at commit, so a row with a lower seq can become visible
-- after a higher one. txid records the writing transaction: a reader only
-- goes past rows whose transaction is older than every transaction still
-- running (pg_snapshot_xmin), so a late commit is never skipped.
CREATE TABLE outbox (
	seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id text NOT NULL UNIQUE,
	aggregatetype text NOT NULL,
	aggregateid text NOT NULL,
	type text NOT NULL,
	payload text NOT NULL,
	txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
	created_at timestamptz NOT NULL DEFAULT now(),
	published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_txid ON outbox (txid, seq);

-- Where each table-reading consumer (indexd, notifyd without Kafka) is.
CREATE TABLE outbox_offsets (
	consumer text PRIMARY KEY,
	txid xid8 NOT NULL DEFAULT '0',
	seq bigint NOT NULL DEFAULT 0,
	updated_at timestamptz NOT NULL DEFAULT now()
);
