-- 0008_dead_letters: events a table-reading consumer (agora-notifyd
-- without Kafka) can never process: not JSON, an unknown type, a missing
-- field. The consumer records them here, logs them and moves on; with
-- Kafka the same events go to the topic order-events.DLQ instead.
-- ref says where the event was (the outbox row's id); a replay of the
-- same event records nothing new.
CREATE TABLE dead_letters (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	consumer text NOT NULL,
	ref text NOT NULL,
	payload text NOT NULL,
	error text NOT NULL,
	created_at text NOT NULL
		DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	UNIQUE (consumer, ref)
);
