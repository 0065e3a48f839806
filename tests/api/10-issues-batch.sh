# 10-issues-batch.sh: agora batch and agora cron on the stack's database:
# closing stale issues, warming the popular list, one runner at a time.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
a10b_agora=$AGORA_BUILDDIR/src/agora
a10b_dir=$API_STATE/a10b
mkdir -p "$a10b_dir"
a10b_redis=
case $DATABASE_URL in postgres*) a10b_redis=1 ;; esac

# a10b_sql SQL: run SQL on the stack's own database.
a10b_sql() {
	case $DATABASE_URL in
	postgres*) psql "$DATABASE_URL" -X -qAt -v ON_ERROR_STOP=1 -c "$1" ;;
	*) sqlite3 -cmd '.timeout 5000' "${DATABASE_URL#file:}" "$1" ;;
	esac
}

a10b_rcli() {
	redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" "$@"
}

# a10b_run NAME ARGS...: run agora ARGS, stderr to $a10b_dir/NAME.log;
# sets a10b_rc.
a10b_run() {
	local name=$1
	shift
	a10b_rc=0
	"$a10b_agora" "$@" >"$a10b_dir/$name.out" 2>"$a10b_dir/$name.log" ||
		a10b_rc=$?
}

# a10b_count PATTERN FILE...: lines matching PATTERN in all FILEs.
a10b_count() {
	local p=$1
	shift
	cat "$@" | grep -c -- "$p"
}

# a10b_issue TITLE: create an issue as the admin; prints its id.
a10b_issue() {
	TOKEN=$a10b_admin api POST /api/issues "{\"title\":\"$1\"}"
	json .id
}

a10b_status() {
	TOKEN='' api GET "/api/issues/$1"
	json .status
}

a10b_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || a10b_admin=
ok '[ -n "$a10b_admin" ]' "the admin logs in"

# --- usage -----------------------------------------------------------------------
a10b_run usage batch
ok '[ $a10b_rc = 2 ]' "agora batch without a job exits 2"
ok 'grep -q warm-popular "$a10b_dir/usage.log" &&
	grep -q "close-stale-issues --days N" "$a10b_dir/usage.log"' \
	"and lists the jobs"
a10b_run unknown batch no-such-job
ok '[ $a10b_rc = 2 ]' "an unknown job exits 2"
for a10b_args in '' '--days' '--days 0' '--days x' '--days 5 --extra'; do
	# shellcheck disable=SC2086
	a10b_run bad batch close-stale-issues $a10b_args
	ok '[ $a10b_rc = 2 ] && grep -q "usage: close-stale-issues" "$a10b_dir/bad.log"' \
		"close-stale-issues '$a10b_args' is a usage error (exit 2)"
done
a10b_run badcron cron --schedule '* * * * * no-such-job' --once
ok '[ $a10b_rc = 2 ] && grep -q "unknown job" "$a10b_dir/badcron.out" "$a10b_dir/badcron.log"' \
	"cron refuses a schedule naming an unknown job"
a10b_run badcron cron --schedule '61 * * * * warm-popular' --once
ok '[ $a10b_rc = 2 ]' "cron refuses minute 61"
a10b_run badcron cron --once --now 2031-13-01T00:00
ok '[ $a10b_rc = 2 ]' "cron refuses a malformed --now"

# --- close-stale-issues ----------------------------------------------------------
a10b_old=$(a10b_issue "stale open")
a10b_oldp=$(a10b_issue "stale in progress")
TOKEN=$a10b_admin api PATCH "/api/issues/$a10b_oldp" '{"status":"IN_PROGRESS"}'
a10b_oldc=$(a10b_issue "stale closed")
TOKEN=$a10b_admin api PATCH "/api/issues/$a10b_oldc" '{"status":"CLOSED"}'
a10b_new=$(a10b_issue "fresh open")
a10b_sql "UPDATE issues SET updated_at = '2020-01-01T00:00:00.000Z'
	WHERE id IN ($a10b_old, $a10b_oldp, $a10b_oldc)" >/dev/null
ok '[ "$(a10b_status "$a10b_old")" = OPEN ]' "a backdated issue is OPEN"

# The popular list is cached now; closing issues must drop it.
TOKEN='' api GET /api/issues/popular
TOKEN='' api GET /api/issues/popular
expect_header Server-Timing '.*cache;desc=hit.*' "popular is cached"

a10b_run close batch close-stale-issues --days 30
ok '[ $a10b_rc = 0 ]' "agora batch close-stale-issues --days 30 exits 0"
ok 'grep -q "close-stale-issues: closed [0-9]* issue" "$a10b_dir/close.log"' \
	"and logs what it did"
ok '[ "$(a10b_status "$a10b_old")" = CLOSED ]' "an OPEN stale issue is CLOSED"
ok '[ "$(a10b_status "$a10b_oldp")" = CLOSED ]' \
	"an IN_PROGRESS stale issue is CLOSED"
TOKEN='' api GET "/api/issues/$a10b_oldc"
expect_json .updatedAt 2020-01-01T00:00:00.000Z \
	"an issue CLOSED already is left alone"
ok '[ "$(a10b_status "$a10b_new")" = OPEN ]' "a fresh issue stays OPEN"
if [ -n "$a10b_redis" ]; then
	TOKEN='' api GET /api/issues/popular
	expect_header Server-Timing '.*cache;desc=miss.*' \
		"closing issues deleted the cached popular list in Redis"
else
	skip "closing issues deletes the popular list" \
		"the memory cache lives in each responder"
fi
a10b_run close2 batch close-stale-issues --days 30
ok '[ $a10b_rc = 0 ] && grep -q "closed 0 issues" "$a10b_dir/close2.log"' \
	"a second run has nothing left to close"

# --- warm-popular ------------------------------------------------------------------
if [ -n "$a10b_redis" ]; then
	a10b_rcli DEL popular_issues:v1 >/dev/null
	a10b_run warm batch warm-popular
	ok '[ $a10b_rc = 0 ]' "agora batch warm-popular exits 0"
	a10b_ttl=$(a10b_rcli TTL popular_issues:v1)
	ok '[ "$a10b_ttl" -gt 0 ] && [ "$a10b_ttl" -le 300 ]' \
		"it stored the list in Redis with a TTL ($a10b_ttl s)"
	TOKEN='' api GET /api/issues/popular
	expect_header Server-Timing 'sql;desc="0".*cache;desc=hit.*' \
		"the next GET is a hit without SQL"
else
	a10b_run warm batch warm-popular
	ok '[ $a10b_rc = 0 ] && grep -q "nothing to warm" "$a10b_dir/warm.log"' \
		"warm-popular with the memory cache says there is nothing to warm"
fi
a10b_run warm2 batch warm-popular extra
ok '[ $a10b_rc = 2 ]' "warm-popular takes no arguments"

# --- cron: two runners started together, one runs the job ------------------------
a10b_sched='* * * * * warm-popular'
"$a10b_agora" cron --once --now 2031-05-06T07:08 --schedule "$a10b_sched" \
	>/dev/null 2>"$a10b_dir/cron1.log" &
a10b_p1=$!
"$a10b_agora" cron --once --now 2031-05-06T07:08 --schedule "$a10b_sched" \
	>/dev/null 2>"$a10b_dir/cron2.log" &
a10b_p2=$!
a10b_rc1=0 a10b_rc2=0
wait "$a10b_p1" || a10b_rc1=$?
wait "$a10b_p2" || a10b_rc2=$?
ok '[ $a10b_rc1 = 0 ] && [ $a10b_rc2 = 0 ]' \
	"two cron runners started together both exit 0 ($a10b_rc1, $a10b_rc2)"
a10b_ran=$(a10b_count 'cron: running warm-popular for 2031-05-06T07:08' \
	"$a10b_dir/cron1.log" "$a10b_dir/cron2.log")
ok '[ "$a10b_ran" = 1 ]' "exactly one of them ran the job ($a10b_ran)"
a10b_skipped=$(a10b_count 'cron: warm-popular already ran for 2031-05-06T07:08' \
	"$a10b_dir/cron1.log" "$a10b_dir/cron2.log")
ok '[ "$a10b_skipped" = 1 ]' "the other found it done ($a10b_skipped)"
a10b_warmed=$(a10b_count '"msg":"warm-popular: ' \
	"$a10b_dir/cron1.log" "$a10b_dir/cron2.log")
ok '[ "$a10b_warmed" = 1 ]' "the job itself logged once"

a10b_run cron3 cron --once --now 2031-05-06T07:08 --schedule "$a10b_sched"
ok '[ $a10b_rc = 0 ] && ! grep -q "cron: running" "$a10b_dir/cron3.log"' \
	"a later runner for the same minute does not run it again"
a10b_run cron4 cron --once --now 2031-05-06T07:09 --schedule "$a10b_sched"
ok 'grep -q "cron: running warm-popular for 2031-05-06T07:09" "$a10b_dir/cron4.log"' \
	"the next minute runs it again"
a10b_run cron5 cron --once --now 2031-05-06T07:09 --schedule '30 2 * * * warm-popular'
ok '[ $a10b_rc = 0 ] && ! grep -q "cron: running" "$a10b_dir/cron5.log"' \
	"an entry that is not due does not run"

# The lock: while one runner holds it, `agora batch` waits for it. The
# holder writes the time it lets go just before it does, and the batch
# must end after that time: no clock bound, so a slow machine cannot
# fail it. The batch starts only once the lock is seen held.
a10b_released=$a10b_dir/released
rm -f "$a10b_released"
case $DATABASE_URL in
postgres*)
	psql "$DATABASE_URL" -X -qAt -c 'SELECT pg_advisory_lock(418430399073)' \
		-c 'SELECT pg_sleep(1.5)' -c "\\! date +%s%N >$a10b_released" \
		>/dev/null 2>&1 &
	a10b_held() {
		[ "$(a10b_sql "SELECT count(*) FROM pg_locks WHERE
			locktype = 'advisory' AND granted AND
			(classid::bigint << 32 | objid::bigint) = 418430399073
			AND database = (SELECT oid FROM pg_database
			WHERE datname = current_database())")" = 1 ]
	}
	;;
*)
	flock "${DATABASE_URL#file:}.jobs.lock" \
		sh -c "sleep 1.5; date +%s%N >$a10b_released" &
	a10b_held() {
		! flock -n "${DATABASE_URL#file:}.jobs.lock" true
	}
	;;
esac
a10b_holder=$!
for _ in $(seq 200); do
	a10b_held && break
	sleep 0.05
done
a10b_run waited batch close-stale-issues --days 30
a10b_end=$(date +%s%N)
wait "$a10b_holder" 2>/dev/null
ok '[ $a10b_rc = 0 ] && [ -s "$a10b_released" ] &&
	[ "$a10b_end" -ge "$(cat "$a10b_released")" ]' \
	"a batch job waits while another runner holds the lock"

# --- cron in the foreground: runs a due job, stops on SIGTERM ---------------------
"$a10b_agora" cron --schedule '* * * * * close-stale-issues --days 30' \
	>/dev/null 2>"$a10b_dir/loop.log" &
a10b_loop=$!
for _ in $(seq 100); do
	grep -q 'close-stale-issues: closed' "$a10b_dir/loop.log" && break
	sleep 0.1
done
ok 'grep -q "cron: running close-stale-issues --days 30" "$a10b_dir/loop.log"' \
	"agora cron runs a due job"
kill -TERM "$a10b_loop"
a10b_t0=$(date +%s%N)
a10b_rc=0
wait "$a10b_loop" || a10b_rc=$?
a10b_ms=$((($(date +%s%N) - a10b_t0) / 1000000))
# At once: the loop sleeps until the next minute, and a stop that waited
# for it would take up to 60 s; 5 s tells the two apart on a busy machine.
ok '[ $a10b_rc = 0 ] && [ $a10b_ms -lt 5000 ]' \
	"and exits 0 on SIGTERM at once ($a10b_rc, $a10b_ms ms)"
ok 'grep -q "cron: stopping" "$a10b_dir/loop.log"' "saying it stops"

TOKEN=
