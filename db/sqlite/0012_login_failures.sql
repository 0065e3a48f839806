-- 0012_login_failures: failed logins counted per key ("addr:<address>",
-- "acct:<email>") in a window that ends at expires_ms (Unix epoch
-- milliseconds), when the cache is not Redis. lib/throttle.c owns it.
CREATE TABLE login_failures (
	key text PRIMARY KEY,
	count integer NOT NULL,
	expires_ms integer NOT NULL
);
CREATE INDEX login_failures_expires ON login_failures (expires_ms);
