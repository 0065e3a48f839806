-- 0010_daemon_heartbeats: each running agora daemon (notifyd, relayd,
-- indexd) writes its row every few seconds, idle or busy, with where it
-- is in its stream; /api/health reports a daemon the configuration needs
-- as down when no instance of it has written for a while. instance is
-- "host:pid", so several instances (and restarts) have rows of their own;
-- a row not written for a day is deleted by the next instance to start.
CREATE TABLE daemon_heartbeats (
	daemon text NOT NULL,
	instance text NOT NULL,
	position text NOT NULL DEFAULT '',
	started_at timestamptz NOT NULL,
	seen_at timestamptz NOT NULL,
	PRIMARY KEY (daemon, instance)
);
