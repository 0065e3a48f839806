-- 0003_outbox: the transactional outbox (Debezium's layout: id,
-- aggregatetype, aggregateid, type, payload) plus what readers need.
--
-- SQLite has one writer at a time (BEGIN IMMEDIATE), so seq order is
-- commit order and a reader's cursor is seq alone; txid stays 0.
CREATE TABLE outbox (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	id text NOT NULL UNIQUE,
	aggregatetype text NOT NULL,
	aggregateid text NOT NULL,
	type text NOT NULL,
	payload text NOT NULL,
	txid integer NOT NULL DEFAULT 0,
	created_at text NOT NULL
		DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	published_at text
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

CREATE TABLE outbox_offsets (
	consumer text PRIMARY KEY,
	txid integer NOT NULL DEFAULT 0,
	seq integer NOT NULL DEFAULT 0,
	updated_at text NOT NULL
		DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
