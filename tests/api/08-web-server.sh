# 08-web-server.sh: the answers lighttpd gives by itself are agora's JSON
# (a request refused before any responder runs, a responder that died,
# none free), HEAD answers like GET without a body, a raw NUL byte in the
# target is a 400, and slow clients (slowloris) do not lock others out.
# shellcheck shell=bash disable=SC2016,SC2034

w8_dir=$API_STATE/w8
mkdir -p "$w8_dir"
w8_hostport=${BASE_URL#http://}
TOKEN=

# w8_raw FORMAT: send printf FORMAT as a raw request (NUL bytes and all)
# to the stack at $BASE_URL and read the answer until lighttpd closes the
# connection (the request should say Connection: close), 10 s at most.
# Afterwards, like api: $STATUS, $API_HEADERS, $API_BODY, $BODY, $REQUEST.
w8_raw() {
	local fd
	API_HEADERS=$w8_dir/headers
	API_BODY=$w8_dir/body
	REQUEST="raw $(printf '%q' "${1%%\\r\\n*}")"
	: >"$API_HEADERS"
	: >"$API_BODY"
	STATUS=000
	if exec {fd}<>"/dev/tcp/${w8_hostport%:*}/${w8_hostport##*:}"; then
		# shellcheck disable=SC2059
		printf "$1" >&"$fd"
		timeout 10 cat <&"$fd" >"$w8_dir/raw"
		exec {fd}>&-
		awk -v hf="$API_HEADERS" -v bf="$API_BODY" '
			!body && /^\r?$/ { body = 1; next }
			!body { print > hf; next }
			{ printf "%s%s", sep, $0 > bf; sep = "\n" }' "$w8_dir/raw"
		STATUS=$(sed -n '1s/^HTTP\/1\.[01] \([0-9][0-9][0-9]\).*/\1/p' \
			"$API_HEADERS")
		STATUS=${STATUS:-000}
	fi
	BODY=$(cat "$API_BODY")
}

# w8_shape CODE ERROR: the answer is lighttpd's own (no X-Request-Id), a
# JSON object with exactly statusCode CODE, a message and error ERROR.
w8_shape() {
	expect_status "$1"
	expect_lighttpd
	expect_json_raw '[.statusCode, .error, (.message | type), keys]' \
		"[$1, \"$2\", \"string\", [\"error\", \"message\", \"statusCode\"]]" \
		"$REQUEST: the $1 body is {statusCode, message, error: $2}"
}

# --- lighttpd's own refusals ---------------------------------------------------
# What curl sends for -X POST without data: no Content-Length, which
# lighttpd refuses in its parser (request smuggling), before any responder.
TOKEN= api POST /api/orders/1/pay
w8_shape 411 "Length Required"
ok '[[ $(json .message) == *"Content-Length: 0"* && $(json .message) == *"-d '"''"'"* ]]' \
	"the 411 tells a curl user to send Content-Length: 0 or -d ''"
TOKEN= api POST /api/orders/1/pay '' -d ''
expect_status 401 "the same POST with curl -d '' reaches agora"
expect_ours
TOKEN= api POST /api/orders/1/cancel '' -H 'Content-Length: 0'
expect_status 401 "... and with Content-Length: 0"
w8_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || w8_admin=
TOKEN=$w8_admin api POST /api/orders/999999999/pay '' -d ''
expect_status 404 "an admin's body-less pay with -d '' is routed (no such order)"
TOKEN=$w8_admin api POST /api/admin/reindex/products '' -H 'Content-Length: 0'
expect_status 201 "a body-less reindex with Content-Length: 0 runs"

# Over lighttpd's own cap (server.max-request-size, far above BODY_LIMIT):
# refused on the Content-Length alone, with agora's own 413 body.
TOKEN= api POST /api/auth/login '' -H 'Content-Type: application/json' \
	-H 'Content-Length: 999999999' --data-binary x
w8_shape 413 "Payload Too Large"
expect_json .message "request entity too large" \
	"lighttpd's 413 says what agora's own 413 says"

# lighttpd 1.4 answers an over-long URL with 431 (8 KiB of request line
# and headers), not 414.
api GET "/api/$(head -c 9000 /dev/zero | tr '\0' a)"
REQUEST="GET /api/aaa... (9,000 bytes)"
w8_shape 431 "Request Header Fields Too Large"
api GET /api/health/live '' -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' b)"
w8_shape 431 "Request Header Fields Too Large"

api FOO /api/health/live
w8_shape 501 "Not Implemented"

w8_raw 'NOT HTTP\r\n\r\n'
w8_shape 400 "Bad Request"
w8_raw 'GET /api/health/live HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n'
w8_shape 400 "Bad Request"
w8_raw 'GET /api/health/live HTTP/2.0\r\nHost: agora\r\nConnection: close\r\n\r\n'
w8_shape 505 "HTTP Version Not Supported"

# --- a raw NUL byte in the target ------------------------------------------------
# It used to end the URL there: the rest was never seen.
w8_raw 'GET /api/health/live\0abc HTTP/1.1\r\nHost: agora\r\nConnection: close\r\n\r\n'
expect_status 400 "a raw NUL in the path is a 400, not the route before it"
expect_ours
expect_json_raw . \
	'{"statusCode":400,"message":"Malformed URL path","error":"Bad Request"}'
w8_raw 'GET /api/search/products?size=1\0x&sort=bogus HTTP/1.1\r\nHost: agora\r\nConnection: close\r\n\r\n'
expect_status 400 "a raw NUL in the query is a 400"
expect_json .message "Malformed query string"
w8_raw 'GET /api/health/live HTTP/1.1\r\nHost: agora\r\nConnection: close\r\n\r\n'
expect_status 200 "the same raw request without the NUL is a 200"

# --- HEAD ------------------------------------------------------------------------
# It used to be a 404 everywhere. Raw, to see that no body follows.
w8_head() {
	w8_raw "HEAD $1 HTTP/1.1\r\nHost: agora\r\n${2:-}Connection: close\r\n\r\n"
}
w8_head /api/health/live
expect_status 200 "HEAD on a GET route answers 200"
expect_ours
expect_header Content-Length 15 "HEAD gives GET's Content-Length"
ok '[ ! -s "$API_BODY" ]' "HEAD has no body"
api GET /api/products
w8_len=$(wc -c <"$API_BODY")
w8_head /api/products
expect_status 200
expect_header Content-Length "$w8_len" \
	"HEAD /api/products gives the length of the GET body ($w8_len)"
ok '[ ! -s "$API_BODY" ]' "HEAD /api/products has no body"
w8_head /api/users/me
expect_status 401 "HEAD on a guarded GET route is guarded too"
ok '[ ! -s "$API_BODY" ]' "... with no body"
[ -z "$w8_admin" ] ||
	w8_head /api/users/me "Authorization: Bearer $w8_admin\r\n"
expect_status 200 "... and answers a signed-in user"
w8_head /api/nope
expect_status 404 "HEAD on an unknown path is 404"
expect_ours
ok '[ ! -s "$API_BODY" ]' "... with no body"
# lighttpd drops a HEAD answer's body by itself; run as plain CGI (or
# behind another server) the responder must not write one.
w8_env=()
for w8_v in PATH TMPDIR ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS \
	DATABASE_URL REDIS_HOST REDIS_PORT JWT_SECRET BCRYPT_COST LOG_LEVEL; do
	[ -z "${!w8_v+set}" ] || w8_env+=("$w8_v=${!w8_v}")
done
env -i "${w8_env[@]}" GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
	REQUEST_METHOD=HEAD REQUEST_URI=/api/health/live \
	"$AGORA_BUILDDIR/cgi-bin/health" </dev/null >"$w8_dir/cgi" 2>/dev/null
ok 'grep -q "^Content-Length: 15" "$w8_dir/cgi" &&
	[ "$(tail -c 4 "$w8_dir/cgi" | od -An -tx1 | tr -d " ")" = 0d0a0d0a ]' \
	"as CGI, HEAD gives the headers with GET's length and ends there"

# --- a second stack, for what would disturb the run's own -------------------------
# These concern lighttpd and its configuration, not the backends: once,
# in the sqlite pass.
[ "$API_BACKEND" = sqlite ] || return 0

w8_up=
w8_slow=
w8_cleanup() {
	[ -z "$w8_slow" ] || kill "$w8_slow" 2>/dev/null
	[ -z "$w8_up" ] || "$srcdir/lighttpd/stack" stop "$w8_dir/stack"
}
trap w8_cleanup EXIT
BASE_URL=$(AGORA_NOTIFYD=none \
	"$srcdir/lighttpd/stack" start "$w8_dir/stack" 2>"$w8_dir/start.log")
ok '[ -n "$BASE_URL" ]' "a second stack with the shipped configuration" &&
	w8_up=1
if [ -z "$w8_up" ]; then
	diag "$(cat "$w8_dir/start.log")"
	return 0
fi
w8_hostport=${BASE_URL#http://}
w8_lpid=$(cat "$w8_dir/stack/lighttpd.pid")

# w8_procs NAME: the pids of the stack's NAME responders.
w8_procs() {
	local f line ppid argv0
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		ppid=${line##*) }
		ppid=${ppid#* }
		ppid=${ppid%% *}
		[ "$ppid" = "$w8_lpid" ] || continue
		f=${f%/stat}
		argv0=$(tr '\0' '\n' <"$f/cmdline" 2>/dev/null | head -n 1)
		[ "${argv0##*/}" = "$1" ] && echo "${f#/proc/}"
	done
}

# w8_until_200 PATH: the stack answers PATH with 200 again, within 30 s
# (a new responder starts in well under a second on an idle machine).
w8_until_200() {
	for _ in $(seq 150); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
			"$BASE_URL$1")" = 200 ] && return 0
		sleep 0.2
	done
	return 1
}

# --- slowloris -------------------------------------------------------------------
# 2,000 connections from 127.0.0.1 that send part of a request header and
# then nothing. lighttpd's default budget (a third of 4096 descriptors)
# ran out at 1,365, after which it stopped accepting anyone; the shipped
# budget is 8,192, and the read timeout (10 s) closes them.
w8_n=2000
command -v python3 >/dev/null ||
	_tap "not ok" "python3 is installed (run script/bootstrap)"
cat >"$w8_dir/slow.py" <<'EOF'
# HOST PORT N BOUND: N connections from HOST, each sending part of a
# request header and then nothing. Prints "open K" once K of them are
# connected with their part sent (20 s at most), then "closed C S" when
# the server has closed all of them or BOUND seconds have passed: C
# closed by the server after S seconds.
import resource, selectors, socket, sys, time
host, port, n, bound = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = n + 64 if hard == resource.RLIM_INFINITY else min(n + 64, hard)
if soft != resource.RLIM_INFINITY and soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
part = b"GET /api/health/live HTTP/1.1\r\nHost: agora\r\nX-Slow: "
sel = selectors.DefaultSelector()
for _ in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.bind((host, 0))
    s.connect_ex((host, port))
    sel.register(s, selectors.EVENT_WRITE)
opened = []
end = time.monotonic() + 20
while sel.get_map() and time.monotonic() < end:
    for key, _ in sel.select(1):
        s = key.fileobj
        sel.unregister(s)
        try:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                s.send(part)
                opened.append(s)
                continue
        except OSError:
            pass
        s.close()
print("open", len(opened), flush=True)
t0 = time.monotonic()
sel = selectors.DefaultSelector()
for s in opened:
    sel.register(s, selectors.EVENT_READ)
closed = 0
while closed < len(opened) and time.monotonic() < t0 + bound:
    for key, _ in sel.select(1):
        try:
            more = key.fileobj.recv(4096)
        except OSError:
            more = b""
        if not more:
            sel.unregister(key.fileobj)
            key.fileobj.close()
            closed += 1
print("closed", closed, round(time.monotonic() - t0, 1), flush=True)
EOF
python3 "$w8_dir/slow.py" 127.0.0.1 "${w8_hostport##*:}" "$w8_n" 30 \
	>"$w8_dir/slow.out" 2>&1 &
w8_slow=$!
for _ in $(seq 250); do
	grep -q '^open' "$w8_dir/slow.out" && break
	kill -0 "$w8_slow" 2>/dev/null || break
	sleep 0.1
done
read -r _ w8_open <"$w8_dir/slow.out"
ok '[ "${w8_open:-0}" = "$w8_n" ]' \
	"$w8_n slow connections from 127.0.0.1 are open (${w8_open:-none})" ||
	diag "$(cat "$w8_dir/slow.out")"
# The other client: a second address; the bound tells a lockout (it
# waited for the slow connections to end) from a busy machine.
w8_code=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' \
	--max-time 5 --interface 127.0.0.2 "$BASE_URL/api/health/live")
ok '[ "${w8_code%% *}" = 200 ]' \
	"meanwhile a client on 127.0.0.2 is answered (${w8_code:-000})"
w8_code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	"$BASE_URL/api/health/live")
ok '[ "$w8_code" = 200 ]' "... and a new one on 127.0.0.1 too ($w8_code)"
# They sent nothing more: the read timeout closes them (10 s; the bound
# tells it from lighttpd's default, 60 s).
wait "$w8_slow"
w8_slow=
read -r _ w8_closed w8_s < <(grep '^closed' "$w8_dir/slow.out")
ok '[ "${w8_closed:-0}" = "${w8_open:-x}" ]' \
	"lighttpd closed every idle slow connection within 30 s (${w8_closed:-0} after ${w8_s:-?} s)"

# --- a responder that dies mid-request: 500 -----------------------------------------
w8_pids=$(w8_procs health)
ok '[ "$(echo $w8_pids | wc -w)" = 2 ]' "the health responders: $w8_pids"
# Stopped, they cannot take the request, which waits in their sockets'
# queues; killed then, they never answer it.
# shellcheck disable=SC2086
kill -STOP $w8_pids
curl -s -o "$w8_dir/b500" -D "$w8_dir/h500" -w '%{http_code}' \
	--max-time 10 "$BASE_URL/api/health/live" >"$w8_dir/s500" &
w8_bg=$!
# A queued connection shows in /proc/net/unix as a socket on the
# responder's path that is not the listening one.
for _ in $(seq 100); do
	awk -v p="$w8_dir/stack/health.sock-" \
		'index($NF, p) == 1 && $4 != "00010000" { f = 1 } END { exit !f }' \
		/proc/net/unix && break
	sleep 0.1
done
# shellcheck disable=SC2086
kill -KILL $w8_pids
wait "$w8_bg"
REQUEST="GET /api/health/live (its responders killed)"
STATUS=$(cat "$w8_dir/s500")
API_HEADERS=$w8_dir/h500
API_BODY=$w8_dir/b500
expect_status 500
expect_lighttpd
expect_json_raw . '{"statusCode":500,"message":"Internal server error"}' \
	"a responder that died mid-request: agora's own 500, nothing more"
ok 'w8_until_200 /api/health/live' "lighttpd restarts the dead responders"

# --- no responder reachable: 503 ---------------------------------------------------
# Their sockets gone, lighttpd finds no responder to take the request.
w8_pids=$(w8_procs health)
rm -f "$w8_dir/stack/health.sock-"*
api GET /api/health/live
w8_shape 503 "Service Unavailable"
# shellcheck disable=SC2086
kill -TERM $w8_pids
ok 'w8_until_200 /api/health/live' \
	"once they exit, lighttpd starts new ones on new sockets"

w8_cleanup
w8_up=
ok '! grep -q -e AddressSanitizer -e LeakSanitizer -e "runtime error:" \
	"$w8_dir/stack/error.log"' "no sanitizer reports from the second stack"
