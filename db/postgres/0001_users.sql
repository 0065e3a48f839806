-- 0001_users: accounts. The application stores email lowercase.
CREATE TABLE users (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email text NOT NULL UNIQUE,
	password_hash text NOT NULL,
	name text NOT NULL,
	role text NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'ADMIN')),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
