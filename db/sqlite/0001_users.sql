-- 0001_users: accounts. The application stores email lowercase.
CREATE TABLE users (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	email text NOT NULL UNIQUE,
	password_hash text NOT NULL,
	name text NOT NULL,
	role text NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'ADMIN')),
	created_at text NOT NULL
		DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated_at text NOT NULL
		DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
