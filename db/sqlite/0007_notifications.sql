-- 0007_notifications: what agora-notifyd makes of order events.
--
-- event_id is the outbox event's id: a redelivered event finds its row
-- already there and makes no second notification.
CREATE TABLE notifications (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id integer NOT NULL REFERENCES users (id),
	type text NOT NULL,
	message text NOT NULL,
	event_id text NOT NULL UNIQUE,
	created_at text NOT NULL
		DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	read_at text
);
-- GET /api/notifications: a user's newest first.
CREATE INDEX notifications_user_created ON notifications (user_id,
	created_at DESC, id DESC);
