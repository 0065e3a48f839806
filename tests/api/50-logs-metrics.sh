# 50-logs-metrics.sh: GET /metrics counts every request of every
# responder process, a killed one's included; who may read it; the access
# log line; lighttpd's own lines and refusals in the same JSON stream.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
m50_dir=$API_STATE/m50
mkdir -p "$m50_dir"

# m50_sample NAME: the value of one sample of the last /metrics body (0
# when absent: a series appears with its first request).
m50_sample() {
	local v
	v=$(grep -F "$1 " "$API_BODY" | awk -v n="$1" '$1 == n { print $2 }')
	echo "${v:-0}"
}

m50_health='agora_http_requests_total{group="health",method="GET",status="200"}'
m50_hist='agora_http_request_duration_seconds_count{group="health"}'

api GET /metrics
expect_status 200 "GET /metrics from the host itself answers 200"
expect_header Content-Type 'text/plain; version=0.0.4; charset=utf-8' \
	"in the Prometheus text format 0.0.4"
expect_header X-Request-Id '[A-Za-z0-9-]{1,64}'
ok 'grep -q "^# TYPE agora_http_requests_total counter$" "$API_BODY" &&
	grep -q "^# TYPE agora_http_request_duration_seconds histogram$" "$API_BODY"' \
	"the families carry their TYPE lines"
for m50_f in agora_sql_statements_total agora_cache_hits_total \
	agora_cache_misses_total agora_outbox_backlog \
	agora_outbox_oldest_event_age_seconds agora_dead_letters \
	agora_consumer_lag_events; do
	ok 'grep -q "^# TYPE $m50_f " "$API_BODY"' "/metrics has $m50_f"
done
ok 'grep -q "^agora_consumer_lag_events{consumer=\"notifyd\"} [0-9]" "$API_BODY"' \
	"/metrics has notifyd's lag"
if [ -n "${ELASTICSEARCH_NODE:-}" ]; then
	ok 'grep -q "^agora_consumer_lag_events{consumer=\"indexd\"} [0-9]" "$API_BODY"' \
		"/metrics has indexd's lag (Elasticsearch)"
else
	ok '! grep -q "consumer=\"indexd\"" "$API_BODY"' \
		"no indexd lag without Elasticsearch (it does not run)"
fi
if [ -n "${KAFKA_BROKERS:-}" ]; then
	ok 'grep -q "^agora_kafka_up 1$" "$API_BODY" &&
		grep -q "^agora_dead_letters{store=\"kafka\"} [0-9]" "$API_BODY"' \
		"with Kafka: the group's lag and the DLQ topic, read from the broker"
else
	ok 'grep -q "^agora_consumer_lag_seconds{consumer=\"notifyd\"} [0-9]" "$API_BODY" &&
		grep -q "^agora_dead_letters{store=\"table\"} [0-9]" "$API_BODY"' \
		"without Kafka: the oldest unread event's age and the dead_letters rows"
fi
ok 'grep -q "^agora_database_up 1$" "$API_BODY"' "the database figures were read"
m50_before=$(m50_sample "$m50_health")
m50_hist_before=$(m50_sample "$m50_hist")

# m50_burst N: N requests to the health responders, 4 at a time, so both
# processes of the group serve some; appends each status to codes.
m50_burst() {
	seq "$1" | xargs -P 4 -I{} curl -s -o /dev/null --max-time 10 \
		-w '%{http_code}\n' "$BASE_URL/api/health/live" \
		>>"$m50_dir/codes"
}

# m50_pids NAME: the stack's responder processes called NAME.
m50_pids() {
	local f line ppid lpid
	read -r lpid <"$rundir/stack/lighttpd.pid" || return 0
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		case $line in *"($1)"*) ;; *) continue ;; esac
		ppid=${line##*) }
		ppid=${ppid#* }
		ppid=${ppid%% *}
		[ "$ppid" = "$lpid" ] || continue
		f=${f#/proc/}
		echo "${f%/stat}"
	done
}

: >"$m50_dir/codes"
m50_burst 60
m50_victims=$(m50_pids health)
ok '[ "$(echo "$m50_victims" | wc -w)" -ge 2 ]' \
	"the health group runs several processes ($(echo $m50_victims))"
# One of them dies without a word; what it counted must stay counted.
m50_victim=$(echo "$m50_victims" | head -n 1)
kill -KILL "$m50_victim" 2>/dev/null
for _ in $(seq 50); do
	[ -e "/proc/$m50_victim" ] || break
	sleep 0.1
done
m50_burst 60
m50_n=$(grep -c '^200$' "$m50_dir/codes")
ok '[ "$m50_n" -ge 100 ]' "most of 120 requests answered 200 ($m50_n)"

api GET /metrics
m50_after=$(m50_sample "$m50_health")
ok '[ $((m50_after - m50_before)) -eq "$m50_n" ]' \
	"the counter grew by the $m50_n requests answered 200, over every process and the killed one (before $m50_before, after $m50_after)"
ok '[ $(($(m50_sample "$m50_hist") - m50_hist_before)) -ge "$m50_n" ]' \
	"the latency histogram counted them too"
ok '[ "$(m50_sample "agora_http_request_duration_seconds_bucket{group=\"health\",le=\"+Inf\"}")" = "$(m50_sample "$m50_hist")" ]' \
	"+Inf bucket = count"

# --- who may read it: loopback, or an ADMIN token -------------------------
# The stack listens on loopback only, so a remote client is played by the
# responder run as CGI with another REMOTE_ADDR.
m50_cgi() {
	local env=() v
	for v in PATH TMPDIR ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS \
		DATABASE_URL REDIS_HOST REDIS_PORT JWT_SECRET LOG_LEVEL; do
		[ -z "${!v+set}" ] || env+=("$v=${!v}")
	done
	env -i "${env[@]}" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
		REQUEST_URI=/metrics REMOTE_ADDR=192.0.2.10 "$@" \
		"$AGORA_BUILDDIR/cgi-bin/metrics" </dev/null 2>"$m50_dir/cgi.err" |
		sed -n 's/^Status: \([0-9]*\).*/\1/p' | head -n 1
}
ok '[ "$(m50_cgi)" = 401 ]' "a remote client without a token gets 401"
m50_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD")
m50_email=m50-$$-$RANDOM@example.com
TOKEN= api POST /api/auth/signup \
	"{\"email\":\"$m50_email\",\"password\":\"password-50\",\"name\":\"M\"}"
m50_user=$(login "$m50_email" password-50)
ok '[ "$(m50_cgi HTTP_AUTHORIZATION="Bearer $m50_user")" = 403 ]' \
	"a remote USER gets 403"
ok '[ "$(m50_cgi HTTP_AUTHORIZATION="Bearer $m50_admin")" = 200 ]' \
	"a remote ADMIN gets 200"
ok '! grep -q -e Sanitizer -e "runtime error:" "$m50_dir/cgi.err"' \
	"the CGI runs left no sanitizer report"

# --- the access line ---------------------------------------------------------
m50_secret=s3cr3t-$$-$RANDOM
TOKEN=$m50_user api GET "/api/users/me?access_token=$m50_secret&page=1" '' \
	-H "X-Request-Id: m50-$$"
m50_status=$STATUS
m50_uid=$(TOKEN=$m50_user api GET /api/users/me && json .id)
# Request lines are written a second late at most (docs/operations.md).
m50_line=
for _ in $(seq 100); do
	m50_line=$(grep -F "\"reqId\":\"m50-$$\"" "$rundir/stack/error.log" |
		grep -F '"msg":"request"' | tail -n 1)
	[ -n "$m50_line" ] && break
	sleep 0.1
done
ok '[ -n "$m50_line" ] && echo "$m50_line" | jq -e . >/dev/null' \
	"one JSON access line carries the request id" || diag "$m50_line"
ok '[ "$(echo "$m50_line" | jq -r "[.client, .userId, .method, .path, .status|tostring] | join(\" \")")" = "127.0.0.1 $m50_uid GET /api/users/me $m50_status" ]' \
	"it names client, user id, method, path and status" || diag "$m50_line"
ok '[ "$(echo "$m50_line" | jq -r .query)" = "access_token=[redacted]&page=1" ] &&
	! grep -qF "$m50_secret" "$rundir/stack/error.log"' \
	"the query is logged with its token masked, and the token nowhere" ||
	diag "$m50_line"
ok 'echo "$m50_line" | jq -e "(.bytes|type) == \"number\" and (.ms|type) == \"number\"" >/dev/null' \
	"and bytes and duration"

# --- lighttpd's own lines: JSON in the same stream ---------------------------
m50_big=$(printf 'a%.0s' $(seq 70000))
m50_code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	-H "X-Big: $m50_big" "$BASE_URL/api/health/live")
ok '[ "$m50_code" = 431 ]' "lighttpd refuses an oversized header itself"
m50_line=
for _ in $(seq 30); do
	m50_line=$(grep -F '"prog":"lighttpd","msg":"answered by lighttpd"' \
		"$rundir/stack/error.log" | grep -F '"status":431' | tail -n 1)
	[ -n "$m50_line" ] && break
	sleep 0.1
done
ok '[ -n "$m50_line" ] && echo "$m50_line" | jq -e ".client == \"127.0.0.1\"" >/dev/null' \
	"the refusal reaches the error log as a JSON line with the client" ||
	diag "$(grep -F '"prog":"lighttpd"' "$rundir/stack/error.log" | tail -n 3)"
ok 'grep -qF "\"prog\":\"lighttpd\",\"msg\":\"(server.c." "$rundir/stack/error.log"' \
	"lighttpd's own messages are JSON lines too"
ok '! grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}: \(" "$rundir/stack/error.log"' \
	"no plain-text lighttpd line in the stream"
ok '! grep -F "\"msg\":\"answered by lighttpd\"" "$rundir/stack/error.log" |
	grep -qF "\"path\":\"/metrics\""' \
	"requests a responder answered are not logged twice"
