-- 0009_outbox_notify: wake agora-relayd (LISTEN outbox) when outbox rows
-- are written. A notification is delivered at commit, and several in one
-- transaction arrive as one; relayd also polls, so a lost one only delays.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('outbox', '');
	RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
	FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
