# 06-cgi.sh: the responders run as plain CGI from the shell, without
# lighttpd: one request from the environment and stdin, the response on
# stdout. Same database and secret as the stack, so both see one another.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
a6_tag=a6$$$RANDOM
a6_dir=$API_STATE/a6
a6_bin=$AGORA_BUILDDIR/cgi-bin
mkdir -p "$a6_dir"

# a6_cgi PROG [NAME=value...]: run cgi-bin/PROG with a clean environment
# (the stack's configuration plus the given CGI variables) and stdin as
# the request body. Afterwards, like api: $STATUS (from the Status header),
# $API_HEADERS, $API_BODY, $BODY, $REQUEST; also $CGI_RC (exit status),
# $CGI_OUT (raw stdout) and $CGI_ERR (stderr).
a6_cgi() {
	local prog=$1 v env=()
	shift
	for v in PATH TMPDIR ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS \
		DATABASE_URL REDIS_HOST REDIS_PORT JWT_SECRET JWT_EXPIRES_IN \
		BODY_LIMIT BCRYPT_COST LOG_LEVEL; do
		[ -z "${!v+set}" ] || env+=("$v=${!v}")
	done
	CGI_OUT=$a6_dir/out
	CGI_ERR=$a6_dir/err
	API_HEADERS=$a6_dir/headers
	API_BODY=$a6_dir/body
	CGI_RC=0
	: >"$API_HEADERS"
	: >"$API_BODY"
	env -i "${env[@]}" GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
		"$@" "$a6_bin/$prog" >"$CGI_OUT" 2>"$CGI_ERR" || CGI_RC=$?
	# Headers end at the first empty line; CR LF line ends.
	awk -v hf="$API_HEADERS" -v bf="$API_BODY" '
		!body && /^\r?$/ { body = 1; next }
		!body { print > hf; next }
		{ printf "%s%s", sep, $0 > bf; sep = "\n" }' "$CGI_OUT"
	STATUS=$(sed -n 's/^Status: \([0-9][0-9][0-9]\).*/\1/p' \
		"$API_HEADERS" | head -n 1)
	STATUS=${STATUS:-000}
	BODY=$(cat "$API_BODY")
	REQUEST="CGI $prog $*"
}

# a6_clean DESC: the last run exited 0 and the sanitizers said nothing.
a6_clean() {
	ok '[ "$CGI_RC" -eq 0 ]' "$1: exit status 0 (got $CGI_RC)"
	ok '! grep -q -e Sanitizer -e "runtime error:" "$CGI_ERR"' \
		"$1: no sanitizer report"
}

# --- health, as the brief's example ----------------------------------------
a6_cgi health REQUEST_METHOD=GET REQUEST_URI=/api/health/live </dev/null
a6_clean "health live"
ok '[ "$(head -n 1 "$CGI_OUT")" = $'"'"'Status: 200 OK\r'"'"' ]' \
	"the first line is 'Status: 200 OK' with CR LF"
expect_header Content-Type 'application/json; charset=utf-8'
expect_header X-Request-Id '[0-9a-f]{32}' "a fresh request id is 32 hex digits"
expect_header Server-Timing '.*total;dur=[0-9.]+'
ok 'grep -q $'"'"'^\r$'"'"' "$CGI_OUT"' "an empty line ends the headers"
ok '[ "$BODY" = "{\"status\":\"ok\"}" ]' 'the body is exactly {"status":"ok"}'
expect_ours "the CGI answer has the headers of a stack answer"

a6_cgi health REQUEST_METHOD=GET REQUEST_URI=/api/health/live \
	HTTP_X_REQUEST_ID=abc-123 </dev/null
expect_header X-Request-Id abc-123 "CGI echoes a valid X-Request-Id"
a6_cgi health REQUEST_METHOD=GET PATH_INFO=/api/health/live </dev/null
expect_status 200 "without REQUEST_URI, PATH_INFO names the route"
a6_cgi health REQUEST_METHOD=GET REQUEST_URI=/api/health </dev/null
a6_clean "health"
expect_status 200 "readiness through CGI"
expect_json .details.database.status up "the CGI responder reaches the database"

a6_cgi fallback REQUEST_METHOD=GET REQUEST_URI=/api/nope </dev/null
a6_clean "fallback"
ok '[ "$(head -n 1 "$CGI_OUT")" = $'"'"'Status: 404 Not Found\r'"'"' ]' \
	"fallback: Status: 404 Not Found"
expect_json_raw . \
	'{"statusCode":404,"message":"Cannot GET /api/nope","error":"Not Found"}'

# --- a sign-up through cgi-bin/auth, body on stdin -------------------------
a6_body=$(jq -nc --arg e "Cgi.$a6_tag@example.com" \
	'{email: $e, password: "password123", name: "Cgi"}')
printf '%s' "$a6_body" >"$a6_dir/signup.json"
a6_cgi auth REQUEST_METHOD=POST REQUEST_URI=/api/auth/signup \
	CONTENT_TYPE=application/json CONTENT_LENGTH=${#a6_body} \
	<"$a6_dir/signup.json"
a6_clean "auth signup"
ok '[ "$(head -n 1 "$CGI_OUT")" = $'"'"'Status: 201 Created\r'"'"' ]' \
	"signup through CGI: Status: 201 Created"
expect_json .email "cgi.$a6_tag@example.com" "the CGI sign-up folds the email"
expect_json .role USER
a6_id=$(json .id)

a6_cgi auth REQUEST_METHOD=POST REQUEST_URI=/api/auth/signup \
	CONTENT_TYPE=application/json CONTENT_LENGTH=${#a6_body} \
	<"$a6_dir/signup.json"
expect_status 409 "the same sign-up again through CGI is 409"

# The account made through CGI is the stack's account too.
a6_tok=$(login "cgi.$a6_tag@example.com" password123) || a6_tok=
ok '[ -n "$a6_tok" ]' "the CGI-created account logs in through lighttpd"
a6_cgi users REQUEST_METHOD=GET REQUEST_URI=/api/users/me \
	"HTTP_AUTHORIZATION=Bearer $a6_tok" </dev/null
a6_clean "users me"
expect_status 200 "/api/users/me through CGI with a bearer token"
expect_json .id "$a6_id" "and it is the same account"
a6_cgi users REQUEST_METHOD=GET REQUEST_URI=/api/users/me </dev/null
expect_status 401 "/api/users/me through CGI without a token"
expect_json_raw . '{"statusCode":401,"message":"Unauthorized"}'

# An Idempotency-Key header that arrives empty or blank is a 400, not a
# request without a key. (lighttpd drops such header lines before they
# reach a responder; Apache and nginx pass them on, as CGI does here.)
for a6_key in '' ' ' $'\t'; do
	printf '%s' '{"items":[{"productId":1,"quantity":1}]}' >"$a6_dir/in"
	a6_cgi orders REQUEST_METHOD=POST REQUEST_URI=/api/orders \
		"HTTP_AUTHORIZATION=Bearer $a6_tok" \
		"HTTP_IDEMPOTENCY_KEY=$a6_key" CONTENT_TYPE=application/json \
		CONTENT_LENGTH=40 <"$a6_dir/in"
	expect_status 400 "an Idempotency-Key of '$a6_key' is 400"
	expect_json_raw .message \
		'["Idempotency-Key must be 1 to 255 visible ASCII characters"]'
done

# --- bodies that do not match their CGI variables ---------------------------
a6_cgi auth REQUEST_METHOD=POST REQUEST_URI=/api/auth/signup \
	CONTENT_TYPE=application/json CONTENT_LENGTH=$((${#a6_body} + 10)) \
	<"$a6_dir/signup.json"
a6_clean "short body"
expect_status 400 "a body shorter than CONTENT_LENGTH is 400"
expect_json .message "Request body ended early"
a6_cgi auth REQUEST_METHOD=POST REQUEST_URI=/api/auth/signup \
	CONTENT_TYPE=application/json CONTENT_LENGTH=12abc <"$a6_dir/signup.json"
expect_status 400 "a malformed CONTENT_LENGTH is 400"
expect_json .message "Invalid Content-Length"
a6_cgi auth REQUEST_METHOD=POST REQUEST_URI=/api/auth/signup \
	CONTENT_TYPE=application/json CONTENT_LENGTH=-1 <"$a6_dir/signup.json"
expect_status 400 "a negative CONTENT_LENGTH is 400"
a6_cgi auth REQUEST_METHOD=POST REQUEST_URI=/api/auth/signup \
	CONTENT_TYPE=application/json CONTENT_LENGTH=99999999999 </dev/null
a6_clean "huge CONTENT_LENGTH"
expect_status 413 "a CONTENT_LENGTH over the limit is 413 before any read"
a6_cgi auth REQUEST_METHOD=POST REQUEST_URI=/api/auth/signup \
	CONTENT_TYPE=text/plain CONTENT_LENGTH=${#a6_body} <"$a6_dir/signup.json"
expect_status 415 "text/plain through CGI is 415"

# --- URLs lighttpd would refuse before us -----------------------------------
a6_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || a6_admin=
for a6_q in 'page=%00' 'page=%ff' 'page=%C0%AF' 'page=%zz' 'page=1%'; do
	a6_cgi users REQUEST_METHOD=GET "REQUEST_URI=/api/users?$a6_q" \
		"HTTP_AUTHORIZATION=Bearer $a6_admin" </dev/null
	a6_clean "query $a6_q"
	expect_status 400 "?$a6_q through CGI is 400"
	expect_json .message "Malformed query string" \
		"?$a6_q through CGI: Malformed query string"
	expect_json .error "Bad Request" "?$a6_q through CGI: Bad Request"
done
a6_cgi users REQUEST_METHOD=GET 'REQUEST_URI=/api/users/%ff' </dev/null
a6_clean "path %ff"
expect_status 400 "invalid UTF-8 in the path through CGI is 400"
expect_json .message "Malformed URL path"
a6_cgi fallback REQUEST_METHOD=GET 'REQUEST_URI=/api/x%00y' </dev/null
expect_status 400 "a NUL byte in the path through CGI is 400"
a6_cgi fallback REQUEST_METHOD=GET $'REQUEST_URI=/api/\x01' </dev/null
a6_clean "control byte"
expect_status 404 "a raw control byte in the path is just an unknown route"
expect_json .message $'Cannot GET /api/\x01' "the 404 names the path as sent"
ok 'grep -qF "/api/\\u0001" "$API_BODY"' "escaped as \\u0001 in the JSON"

# --- configuration errors stop the program before any request --------------
a6_cgi auth REQUEST_METHOD=GET REQUEST_URI=/api/auth/login JWT_SECRET= \
	</dev/null
ok '[ "$CGI_RC" -ne 0 ]' "auth refuses to start with an empty JWT_SECRET"
ok 'grep -q JWT_SECRET "$CGI_ERR"' "and says JWT_SECRET on stderr"
ok '[ ! -s "$CGI_OUT" ]' "and writes no response"
a6_cgi auth REQUEST_METHOD=GET REQUEST_URI=/api/auth/login \
	JWT_SECRET=too-short </dev/null
ok '[ "$CGI_RC" -ne 0 ] && grep -q JWT_SECRET "$CGI_ERR"' \
	"a JWT_SECRET under 32 bytes is refused"
a6_cgi health REQUEST_METHOD=GET REQUEST_URI=/api/health/live \
	CACHE_TTL=soon </dev/null
ok '[ "$CGI_RC" -ne 0 ] && grep -q CACHE_TTL "$CGI_ERR"' \
	"a malformed CACHE_TTL is refused, naming the variable"
ok '[ "$(grep -c . "$CGI_ERR")" -eq 1 ]' "in one line"
