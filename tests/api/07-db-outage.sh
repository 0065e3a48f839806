# 07-db-outage.sh: PostgreSQL drops every connection (as on a server
# restart): the request that finds its connection broken answers 503 in
# our shape, the next ones reconnect and succeed, nothing is restarted.
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
TOKEN=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || TOKEN=
api GET /api/users/me
expect_status 200 "before the outage /api/users/me answers"

a7_killed=$(psql "$AGORA_TEST_PG_URL" -qAtc \
	"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	 WHERE datname = '$a7_db' AND pid <> pg_backend_pid()")
ok '[ "${a7_killed:-0}" -ge 1 ]' \
	"the responders' connections were terminated ($a7_killed)"

# lighttpd hands sequential requests to the same idle process: the first
# meets the dead connection, the later ones must find a new one.
api GET /api/users/me
expect_status 503 "the request that meets the dead connection is a 503"
expect_ours
expect_json_raw . '{"statusCode":503,"message":"Service Unavailable"}' \
	"the 503 is NestJS-shaped and names no internals"
for a7_i in 1 2 3; do
	api GET /api/users/me
	expect_status 200 "request $a7_i after the outage succeeds again"
done
api GET /api/health
expect_status 200 "health is up again"
