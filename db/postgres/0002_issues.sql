-- 0002_issues: the issue tracker, and when each scheduled job last ran.
CREATE TABLE issues (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
	description text
		CHECK (description IS NULL OR char_length(description) <= 10000),
	status text NOT NULL DEFAULT 'OPEN'
		CHECK (status IN ('OPEN', 'IN_PROGRESS', 'CLOSED')),
	priority text NOT NULL DEFAULT 'MEDIUM'
		CHECK (priority IN ('LOW', 'MEDIUM', 'HIGH')),
	view_count bigint NOT NULL DEFAULT 0,
	author_id bigint NOT NULL REFERENCES users (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
-- The list (newest first), the popular list and the stale-issue job.
CREATE INDEX issues_created ON issues (created_at DESC, id DESC);
CREATE INDEX issues_author ON issues (author_id, created_at DESC);
CREATE INDEX issues_popular ON issues (view_count DESC, id)
	WHERE status <> 'CLOSED';
CREATE INDEX issues_stale ON issues (updated_at) WHERE status <> 'CLOSED';

-- agora cron: the minute each schedule entry last ran, so that of several
-- runners only the first to take the jobs lock runs an entry.
CREATE TABLE cron_runs (
	name text PRIMARY KEY,
	slot text NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);
