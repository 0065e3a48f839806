# 12-cache-faults.sh: Redis stopped or paused never takes the API down:
# the popular list comes from the database without waiting on Redis
# (within 2 s: Redis's timeouts are 100 ms, a hang is 10 s), health says the
# cache is down (503), and once Redis is back the hits return without
# restarting anything. It controls a Redis of its own behind a second
# stack on the same database; the shared Redis is left alone. On the
# SQLite pass (memory cache) it checks the memory cache instead.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=

# a12_get PATH: api GET PATH, timed: sets a12_ms, the time the responder
# took by its own clock (Server-Timing total), which a busy machine
# stretches far less than curl's start and lighttpd's queue; 99999 when
# there was no answer.
a12_get() {
	TOKEN='' api GET "$1"
	a12_ms=$(header Server-Timing | sed -n 's/.*total;dur=\([0-9]*\).*/\1/p')
	a12_ms=${a12_ms:-99999}
}

# The bound that tells a request that waited out Redis's 100 ms timeout
# (or skipped Redis) from one that hung on it: seconds, not the timeout.
a12_bound=2000

# a12_until_hit: GET popular until it is a cache hit (10 s at most).
a12_until_hit() {
	local i
	for i in $(seq 50); do
		a12_get /api/issues/popular
		case $(header Server-Timing) in *cache\;desc=hit*) return 0 ;; esac
		sleep 0.2
	done
	return 1
}

# a12_burst N WHAT: N GETs of the popular list, each 200 from the database
# (a miss) within a12_bound.
a12_burst() {
	local i bad= worst=0
	for i in $(seq "$1"); do
		a12_get /api/issues/popular
		[ "$a12_ms" -le "$worst" ] || worst=$a12_ms
		[ "$STATUS" = 200 ] || bad="$bad status=$STATUS"
		case $(header Server-Timing) in
		*cache\;desc=miss*) ;;
		*) bad="$bad timing='$(header Server-Timing)'" ;;
		esac
		[ "$(json type)" = array ] || bad="$bad body=$BODY"
	done
	ok '[ -z "$bad" ]' "$2: popular answers 200 from the database" ||
		diag "$bad"
	ok '[ "$worst" -lt "$a12_bound" ]' \
		"$2: every request within $a12_bound ms, no hang (worst $worst ms)"
}

case $DATABASE_URL in
postgres*) ;;
*)
	a12_get /api/health
	expect_status 200 "health with the memory cache"
	expect_json_raw .details.cache '{"status":"up","type":"memory"}' \
		"the cache entry says memory"
	a12_get /api/issues/popular
	a12_get /api/issues/popular
	expect_header Server-Timing 'sql;desc="0".*cache;desc=hit.*' \
		"the memory cache hits without SQL"
	skip "Redis faults" "this pass uses the memory cache"
	return 0
	;;
esac

a12_dir=$API_STATE/a12
mkdir -p "$a12_dir"
a12_rdir=$a12_dir/redis
a12_pid=
a12_up=

a12_cleanup() {
	[ -z "$a12_pid" ] || kill -CONT "$a12_pid" 2>/dev/null
	if [ -n "$a12_up" ]; then
		"$srcdir/lighttpd/stack" stop "$a12_dir/stack"
		a12_up=
	fi
	bash "$srcdir/tests/helpers/redis" stop "$a12_rdir" >/dev/null 2>&1
}
trap a12_cleanup EXIT

a12_hp=$(bash "$srcdir/tests/helpers/redis" start "$a12_rdir") || a12_hp=
a12_port=${a12_hp#* }
ok '[ -n "$a12_hp" ]' "a Redis of our own ($a12_hp)"
a12_pid=$(cat "$a12_rdir/redis.pid" 2>/dev/null)
BASE_URL=$(REDIS_HOST=127.0.0.1 REDIS_PORT=$a12_port \
	"$srcdir/lighttpd/stack" start "$a12_dir/stack" 2>"$a12_dir/start.log")
ok '[ -n "$BASE_URL" ]' "a second stack on it ($BASE_URL)" &&
	a12_up=1
if [ -z "$a12_up" ] || [ -z "$a12_pid" ]; then
	diag "$(cat "$a12_dir/start.log")"
	return 0
fi

a12_get /api/health
expect_status 200 "health with our Redis up"
expect_json_raw .details.cache '{"status":"up","type":"redis"}'
TOKEN=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || TOKEN=
api POST /api/issues '{"title":"faults"}'
TOKEN=
ok 'a12_until_hit' "the popular list is cached in our Redis"

# --- Redis stopped --------------------------------------------------------------
bash "$srcdir/tests/helpers/redis" stop "$a12_rdir" >/dev/null 2>&1
ok '! kill -0 "$a12_pid" 2>/dev/null' "Redis is stopped"
# Past the near tier's second (docs/operations.md): what follows asks Redis.
sleep 1.2
a12_burst 8 "Redis stopped"
a12_get /api/health
expect_status 503 "Redis stopped: health is 503"
expect_json .error.cache.status down "the cache entry is down"
expect_json .info.database.status up "the database is still up"
ok '[ "$a12_ms" -lt "$a12_bound" ]' \
	"health answers within $a12_bound ms, no hang ($a12_ms ms)"

# Back on the same port: the responders find it by themselves.
redis-server --bind 127.0.0.1 --port "$a12_port" --save '' --appendonly no \
	--daemonize yes --dir "$a12_rdir" --pidfile "$a12_rdir/redis.pid" \
	--logfile "$a12_rdir/redis.log" >/dev/null 2>&1
for _ in $(seq 50); do
	[ "$(redis-cli -p "$a12_port" PING 2>/dev/null)" = PONG ] && break
	sleep 0.1
done
a12_pid=$(cat "$a12_rdir/redis.pid" 2>/dev/null)
ok '[ -n "$a12_pid" ] && kill -0 "$a12_pid"' "Redis started again"
ok 'a12_until_hit' "Redis back: hits again, nothing restarted"
ok '[ "$(redis-cli -p "$a12_port" EXISTS popular_issues:v1)" = 1 ]' \
	"the list is back in Redis"
for _ in $(seq 30); do
	a12_get /api/health
	[ "$STATUS" = 200 ] && break
	sleep 0.2
done
expect_status 200 "and health is 200 again"

# --- Redis paused: connections open, nothing answers ------------------------------
kill -STOP "$a12_pid"
sleep 1.2
a12_burst 8 "Redis paused (SIGSTOP)"
a12_get /api/health
expect_status 503 "Redis paused: health is 503"
expect_json .error.cache.status down
ok '[ "$a12_ms" -lt "$a12_bound" ]' \
	"Redis paused: health within $a12_bound ms, no hang ($a12_ms ms)"
kill -CONT "$a12_pid"
ok 'a12_until_hit' "Redis resumed (SIGCONT): hits again"

a12_cleanup
a12_reports=$(grep -h -e AddressSanitizer -e LeakSanitizer -e 'runtime error:' \
	"$a12_dir/stack/error.log" "$a12_dir/start.log" 2>/dev/null)
ok '[ -z "$a12_reports" ]' "no sanitizer reports from the second stack" ||
	diag "$a12_reports"
ok 'grep -q "Redis left alone" "$a12_dir/stack/error.log"' \
	"the responders logged the Redis failures"
TOKEN=
