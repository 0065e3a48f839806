# lib.sh: helpers for the API scenarios, sourced by tests/api/run.
# shellcheck shell=bash disable=SC2034
#
# A scenario is a bash fragment tests/api/NN-name.sh. It talks to the stack
# at $BASE_URL through `api`, and every assertion prints one TAP line,
# numbered across the whole run (the counter lives in $API_STATE).
#
#   api METHOD PATH [BODY] [curl args...]
#       Send a request; BODY, when not empty, goes as application/json.
#       $TOKEN, when set, goes as "Authorization: Bearer $TOKEN" (run
#       `TOKEN= api ...` for one anonymous request). Afterwards:
#       $STATUS (000 when curl itself failed), $BODY, $API_BODY and
#       $API_HEADERS (the files holding body and headers) and $REQUEST
#       ("METHOD PATH", used in default descriptions). A copy of every
#       answer goes to $API_STATE/responses, which tests/api/run checks
#       against docs/openapi.json at the end of the pass.
#   header NAME         value of a response header ("" when absent)
#   json JQ             jq -r on the response body (strings raw,
#                       anything else as compact JSON)
#   login EMAIL PASSWORD
#       Print the access token, or return 1 (prints no TAP line, so it
#       may run inside $(...)).
#
# Assertions (each prints "ok N - ..." or "not ok N - ..." and returns 0
# or 1; failures add "# " diagnostics):
#   ok COND DESC                   COND is a shell condition, eval'ed
#   expect_status CODE [DESC]
#   expect_json JQ VALUE [DESC]    json JQ prints exactly VALUE
#   expect_json_raw JQ JSON [DESC] same JSON value (types and all; object
#                                  key order does not matter)
#   expect_header NAME REGEX [DESC]  the whole value matches the ERE
#   expect_no_header NAME [DESC]
#   expect_ours [DESC]       an agora answer: application/json (unless
#                            the status has no body), X-Request-Id and
#                            Server-Timing
#   expect_lighttpd [DESC]   lighttpd's own answer (agora's error
#                            document): JSON and no X-Request-Id
#   skip DESC REASON         "ok N - DESC # SKIP REASON"
#   diag MESSAGE...          a "# " comment line

API_CURL_TIMEOUT=10

diag() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

# _tap RESULT DESC [DIRECTIVE]: print one numbered TAP line.
_tap() {
	local n desc=$2
	n=$(($(cat "$API_STATE/count") + 1))
	echo "$n" >"$API_STATE/count"
	[ "$1" = ok ] || echo "$n" >>"$API_STATE/failed"
	# '#' would start a TAP directive.
	desc=${desc//#/%23}
	desc=${desc//$'\n'/ }
	printf '%s %d - %s%s\n' "$1" "$n" "$desc" "${3:+ # $3}"
}

# _result STATUS DESC [DIAG]: ok when STATUS is 0, else not ok + DIAG.
_result() {
	if [ "$1" -eq 0 ]; then
		_tap ok "$2"
		return 0
	fi
	_tap "not ok" "$2"
	[ -z "${3:-}" ] || diag "$3"
	return 1
}

# _last: what the last response was, for diagnostics.
_last() {
	printf '%s -> %s\n' "${REQUEST:-no request}" "${STATUS:-}"
	[ -s "${API_BODY:-/nonexistent}" ] && head -c 600 "$API_BODY"
}

ok() {
	local st=0
	eval "$1" || st=$?
	_result "$st" "$2" "condition failed: $1"
}

skip() {
	_tap ok "$1" "SKIP ${2:-}"
}

api() {
	local method=$1 path=$2 body=${3:-} args
	shift 2
	[ $# -eq 0 ] || shift
	API_BODY=$API_STATE/body
	API_HEADERS=$API_STATE/headers
	REQUEST="$method $path"
	: >"$API_BODY"
	: >"$API_HEADERS"
	args=(-sS --max-time "$API_CURL_TIMEOUT" -o "$API_BODY"
		-D "$API_HEADERS" -w '%{http_code}')
	if [ "$method" = HEAD ]; then
		args+=(--head)
	else
		args+=(-X "$method")
	fi
	[ -z "${TOKEN:-}" ] || args+=(-H "Authorization: Bearer $TOKEN")
	[ -z "$body" ] ||
		args+=(-H 'Content-Type: application/json' --data-binary "$body")
	if ! STATUS=$(curl "${args[@]}" "$@" "$BASE_URL$path" \
		2>"$API_STATE/curl.err"); then
		STATUS=000
		diag "curl: $REQUEST: $(cat "$API_STATE/curl.err")"
	fi
	BODY=$(cat "$API_BODY")
	_log_response "$method" "$path"
	return 0
}

# _log_response METHOD TARGET: keep a copy of the answer in
# $API_STATE/responses, which tests/api/run checks against
# docs/openapi.json in one go at the end of the pass.
_log_response() {
	local dir=$API_STATE/responses n
	[ -d "$dir" ] || return 0
	n=$(($(cat "$dir/seq" 2>/dev/null || echo 0) + 1))
	echo "$n" >"$dir/seq"
	printf '%s\n%s\n%s\n' "$1" "$2" "$STATUS" >"$dir/$n.meta"
	cp "$API_HEADERS" "$dir/$n.headers"
	cp "$API_BODY" "$dir/$n.body"
}

header() {
	local name line value=
	name=$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')
	# With redirects or 100-continue there are several header blocks:
	# the last one wins, as it is read top to bottom.
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $(printf '%s' "${line%%:*}" | tr '[:upper:]' '[:lower:]') in
		"$name")
			value=${line#*:}
			value=${value# }
			;;
		esac
	done <"$API_HEADERS"
	printf '%s' "$value"
}

json() {
	jq -r "$1 | if type == \"string\" then . else tojson end" \
		<"$API_BODY" 2>/dev/null
}

expect_status() {
	local st=0
	[ "$STATUS" = "$1" ] || st=1
	_result "$st" "${2:-$REQUEST answers $1}" \
		"expected status $1, got $(_last)"
}

expect_json() {
	local got st=0
	got=$(json "$1") || got="(not JSON)"
	[ "$got" = "$2" ] || st=1
	_result "$st" "${3:-$REQUEST: $1 is $2}" \
		"expected $1 = $2, got: $got
$(_last)"
}

expect_json_raw() {
	local got want st=0
	got=$(jq -cS "$1" <"$API_BODY" 2>/dev/null) || got="(not JSON)"
	want=$(jq -cS . <<<"$2" 2>/dev/null) || want="(bad expected JSON: $2)"
	[ "$got" = "$want" ] || st=1
	_result "$st" "${3:-$REQUEST: $1 is $2}" \
		"expected $1 = $want, got: $got
$(_last)"
}

expect_header() {
	local got st=0
	got=$(header "$1")
	[[ $got =~ ^($2)$ ]] || st=1
	_result "$st" "${3:-$REQUEST: header $1 matches $2}" \
		"$1: '$got' does not match ^($2)\$
$(_last)"
}

expect_no_header() {
	local st=0
	[ -z "$(header "$1")" ] || st=1
	_result "$st" "${2:-$REQUEST: no $1 header}" \
		"unexpected $1: $(header "$1")"
}

expect_ours() {
	local why=
	case $STATUS in
	204 | 304) ;;
	*)
		case $(header Content-Type) in
		application/json*) ;;
		*) why="Content-Type '$(header Content-Type)'; " ;;
		esac
		;;
	esac
	[ -n "$(header X-Request-Id)" ] || why="${why}no X-Request-Id; "
	[ -n "$(header Server-Timing)" ] || why="${why}no Server-Timing; "
	_result "$([ -z "$why" ]; echo $?)" \
		"${1:-$REQUEST is answered by agora}" "$why$(_last)"
}

expect_lighttpd() {
	local why=
	case $(header Content-Type) in
	application/json*) ;;
	*) why="Content-Type '$(header Content-Type)'; " ;;
	esac
	jq -e 'type == "object"' <"$API_BODY" >/dev/null 2>&1 ||
		why="${why}the body is not a JSON object; "
	[ -z "$(header X-Request-Id)" ] || why="${why}has X-Request-Id; "
	_result "$([ -z "$why" ]; echo $?)" \
		"${1:-$REQUEST is answered by lighttpd itself}" "$why$(_last)"
}

login() {
	local body token
	body=$(jq -nc --arg e "$1" --arg p "$2" '{email: $e, password: $p}')
	TOKEN='' api POST /api/auth/login "$body"
	token=$(json .accessToken)
	if [ "$STATUS" != 200 ] || [ -z "$token" ] || [ "$token" = null ]; then
		echo "# login $1 failed: $(_last)" >&2
		return 1
	fi
	printf '%s\n' "$token"
}

# settle: wait until search reflects the writes made so far. The database
# backends index in the writing transaction, so there is nothing to wait
# for. With Elasticsearch (the es pass) wait, 15 s at most, until
# agora-indexd's cursor has passed every product event, then refresh the
# index: ES makes writes searchable only at a refresh.
settle() {
	local left=x sql
	[ -n "${ELASTICSEARCH_NODE:-}" ] || return 0
	case $DATABASE_URL in
	postgres://* | postgresql://*)
		sql="SELECT count(*) FROM outbox o WHERE aggregatetype = 'product'
			AND (o.txid, o.seq) > coalesce((SELECT (f.txid, f.seq)
			FROM outbox_offsets f WHERE consumer = 'indexd'),
			('0'::xid8, 0::bigint))"
		;;
	*)
		sql="SELECT count(*) FROM outbox WHERE aggregatetype = 'product'
			AND seq > coalesce((SELECT seq FROM outbox_offsets
			WHERE consumer = 'indexd'), 0)"
		;;
	esac
	for _ in $(seq 150); do
		left=$(db_sql "$sql" 2>/dev/null) || left=x
		[ "$left" = 0 ] && break
		sleep 0.1
	done
	[ "$left" = 0 ] ||
		diag "settle: product events still not indexed after 15 s ($left)"
	curl -s -o /dev/null --max-time 5 -X POST \
		"$ELASTICSEARCH_NODE/products/_refresh" || true
}

# db_sql SQL: run SQL on the run's database (sqlite3 or psql), print the
# rows as "a|b" lines.
db_sql() {
	case $DATABASE_URL in
	postgres://* | postgresql://*)
		psql "$DATABASE_URL" -AtqX -v ON_ERROR_STOP=1 -c "$1"
		;;
	*)
		# a writer (a daemon's heartbeat) may hold the lock a moment
		sqlite3 -cmd ".timeout 5000" "${DATABASE_URL#file:}" "$1"
		;;
	esac
}

# --- a catalogue of a scenario's own -----------------------------------------
# A scenario that seeds a catalogue (23-relevance, 24-search-counts) keeps
# it from what the others see: a database of its own, of the pass's
# dialect; agora's programs and the search responder (as plain CGI) run
# on it, and on an Elasticsearch stub of its own. Scenarios run in a
# subshell: the EXIT trap catalogue_open sets stops the stub and drops
# the database whatever happened.

# catalogue_open NAME DIR: the PostgreSQL database NAME, or DIR/catalogue.db
# on SQLite. Sets CAT_DIR, CAT_URL, CAT_PG (NAME, or empty on SQLite),
# CAT_DIALECT (postgres or sqlite) and CAT_ENV, the environment of agora's
# programs on it: env -i "${CAT_ENV[@]}" "$AGORA_BUILDDIR/src/agora" seed …
catalogue_open() {
	local base v
	CAT_DIR=$2 CAT_PG='' CAT_NODE='' CAT_STUB_PID=''
	mkdir -p "$CAT_DIR"
	case $DATABASE_URL in
	postgres://* | postgresql://*)
		CAT_PG=$1
		psql "$AGORA_TEST_PG_URL" -qc "CREATE DATABASE $CAT_PG" \
			>"$CAT_DIR/psql.log" 2>&1
		base=${AGORA_TEST_PG_URL%%\?*}
		CAT_URL=${base%/*}/$CAT_PG
		CAT_DIALECT=postgres
		;;
	*)
		CAT_URL=file:$CAT_DIR/catalogue.db
		CAT_DIALECT=sqlite
		;;
	esac
	trap catalogue_close EXIT
	CAT_ENV=(PATH="$PATH" DATABASE_URL="$CAT_URL" JWT_SECRET="$JWT_SECRET"
		LOG_LEVEL=warn ES_TIMEOUT_MS=30000)
	for v in TMPDIR ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -z "${!v+set}" ] || CAT_ENV+=("$v=${!v}")
	done
}

catalogue_close() {
	catalogue_stub_stop
	[ -z "$CAT_PG" ] || psql "$AGORA_TEST_PG_URL" -qc \
		"DROP DATABASE IF EXISTS $CAT_PG WITH (FORCE)" >/dev/null 2>&1
}

# catalogue_sql SQL: one query on the catalogue's database.
catalogue_sql() {
	if [ -n "$CAT_PG" ]; then
		psql "$CAT_URL" -AtqX -c "$1"
	else
		sqlite3 "${CAT_URL#file:}" "$1"
	fi
}

# es_stub_start URLFILE: start the Elasticsearch stub (its stderr is the
# caller's), wait for it to write its node to URLFILE; sets ES_STUB_PID
# and ES_STUB_NODE.
es_stub_start() {
	"$AGORA_BUILDDIR/tests/helpers/es-stub" >"$1" &
	ES_STUB_PID=$!
	for _ in $(seq 50); do
		[ -s "$1" ] && break
		sleep 0.1
	done
	read -r ES_STUB_NODE _ <"$1"
}

# catalogue_stub: start the Elasticsearch stub; its node in CAT_NODE, its
# log in $CAT_DIR/stub.log.
catalogue_stub() {
	es_stub_start "$CAT_DIR/stub.url" 2>"$CAT_DIR/stub.log"
	CAT_STUB_PID=$ES_STUB_PID
	CAT_NODE=$ES_STUB_NODE
}

# catalogue_stub_stop: stop it, so that its log is whole.
catalogue_stub_stop() {
	[ -n "$CAT_STUB_PID" ] || return 0
	kill -TERM "$CAT_STUB_PID" 2>/dev/null
	wait "$CAT_STUB_PID" 2>/dev/null
	CAT_STUB_PID=
}

# catalogue_search QUERY [NAME=value…]: the body of the search
# responder's answer to /api/search/products?QUERY, run as CGI on the
# catalogue (on the stub with ELASTICSEARCH_NODE="$CAT_NODE"); its
# stderr goes to $CAT_DIR/cgi.err.
catalogue_search() {
	local uri="/api/search/products?$1"
	shift
	env -i "${CAT_ENV[@]}" "$@" GATEWAY_INTERFACE=CGI/1.1 \
		SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET REQUEST_URI="$uri" \
		"$AGORA_BUILDDIR/cgi-bin/search" </dev/null 2>>"$CAT_DIR/cgi.err" |
		awk 'body { print } /^\r?$/ { body = 1 }'
}
