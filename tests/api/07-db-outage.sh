# 07-db-outage.sh: PostgreSQL drops every connection (as on a restart), then
# refuses connections for a while (an outage). Dropped idle connections are
# replaced before the next query; during the outage requests answer 503 in
# our shape and health says the database is down; once it is back the next
# request succeeds. Nothing is restarted.
# shellcheck shell=bash disable=SC2016,SC2034

case "$DATABASE_URL" in
postgres*) ;;
*)
	skip "database outage" "needs PostgreSQL"
	return 0
	;;
esac

a7_db=${DATABASE_URL##*/}
a7_db=${a7_db%%\?*}

# a7_kill: terminate every connection to the stack's database.
a7_kill() {
	psql "$AGORA_TEST_PG_URL" -qAtc \
		"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		 WHERE datname = '$a7_db'"
}

# a7_allow true|false: let clients connect to the stack's database or not.
a7_allow() {
	psql "$AGORA_TEST_PG_URL" -qc \
		"ALTER DATABASE \"$a7_db\" ALLOW_CONNECTIONS $1" >/dev/null
}

TOKEN=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || TOKEN=
api GET /api/users/me
expect_status 200 "before the outage /api/users/me answers"

a7_killed=$(a7_kill)
ok '[ "${a7_killed:-0}" -ge 1 ]' \
	"the responders' connections were terminated ($a7_killed)"
for a7_i in 1 2 3; do
	api GET /api/users/me
	expect_status 200 "request $a7_i after the restart finds a new connection"
done

a7_allow false
a7_kill >/dev/null
api GET /api/users/me
expect_status 503 "during the outage an authenticated request is a 503"
expect_ours
expect_json_raw . '{"statusCode":503,"message":"Service Unavailable"}' \
	"the 503 is NestJS-shaped and names no internals"
api GET /api/health
expect_status 503 "during the outage health is a 503"
expect_json .details.database.status down "... with the database down"
expect_json .status error "... and status error"

a7_allow true
api GET /api/users/me
expect_status 200 "the first request after the outage succeeds"
api GET /api/health
expect_status 200 "health is up again"
