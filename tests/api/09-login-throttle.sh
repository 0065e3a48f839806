# 09-login-throttle.sh: failed logins are throttled per account and per
# address as @nestjs/throttler would (429, Retry-After), counted where
# every responder process and every replica sees them: Redis when the
# stack has it, else the database. A second stack on the same database
# and Redis runs with low limits; the run's own stack (limits out of
# reach, see tests/api/run) is the other replica. Each case logs in from
# its own loopback source address (curl --interface 127.0.0.N).
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
a9_tag=a9$$$RANDOM
a9_pw=password-$a9_tag
a9_dir=$API_STATE/a9
mkdir -p "$a9_dir"
a9_main=$BASE_URL
a9_net=$((RANDOM % 200 + 20))	# 127.0.<a9_net>.N: apart from other runs

# a9_login FROM EMAIL PASSWORD: POST /api/auth/login from 127.0.$a9_net.FROM.
a9_login() {
	TOKEN='' api POST /api/auth/login "$(jq -nc --arg e "$2" --arg p "$3" \
		'{email: $e, password: $p}')" --interface "127.0.$a9_net.$1"
}

for a9_who in anna bert; do
	TOKEN='' BASE_URL=$a9_main api POST /api/auth/signup "$(jq -nc \
		--arg e "$a9_who.$a9_tag@example.com" --arg p "$a9_pw" \
		'{email: $e, password: $p, name: "throttled"}')"
done
a9_anna=anna.$a9_tag@example.com
a9_bert=bert.$a9_tag@example.com

a9_up=
a9_cleanup() {
	if [ -n "$a9_up" ]; then
		"$srcdir/lighttpd/stack" stop "$a9_dir/stack"
		a9_up=
	fi
}
trap a9_cleanup EXIT
BASE_URL=$(LOGIN_THROTTLE_ACCOUNT=3 LOGIN_THROTTLE_ADDRESS=6 \
	LOGIN_THROTTLE_WINDOW=120 AGORA_INDEXD=none AGORA_RELAYD=none \
	AGORA_NOTIFYD=none "$srcdir/lighttpd/stack" start "$a9_dir/stack" \
	2>"$a9_dir/start.log")
ok '[ -n "$BASE_URL" ]' "a second stack with 3 failures per account and \
6 per address in 120 s ($BASE_URL)" && a9_up=1
if [ -z "$a9_up" ]; then
	diag "$(cat "$a9_dir/start.log")"
	return 0
fi

# --- per account ----------------------------------------------------------
for a9_i in 1 2 3; do
	a9_login 1 "$a9_anna" wrong-password
	expect_status 401 "anna: wrong password $a9_i of 3 is 401"
done
a9_login 1 "$a9_anna" wrong-password
expect_status 429 "anna: the 4th guess is 429"
expect_ours
expect_json_raw . \
	'{"statusCode":429,"message":"ThrottlerException: Too Many Requests"}' \
	"429 is ThrottlerException's body"
a9_retry=$(header Retry-After)
ok '[ "$a9_retry" -ge 1 ] && [ "$a9_retry" -le 120 ] 2>/dev/null' \
	"Retry-After is the rest of the window in seconds ($a9_retry)"
a9_login 2 "$a9_anna" "$a9_pw"
expect_status 429 "anna: the right password from another address is 429 too"
a9_login 2 "$(tr '[:lower:]' '[:upper:]' <<<"$a9_anna")" "$a9_pw"
expect_status 429 "anna in capitals is the same account: 429"
a9_login 1 "$a9_bert" "$a9_pw"
expect_status 200 "bert, from anna's guessing address, logs in"

# --- per address ----------------------------------------------------------
for a9_i in 1 2 3 4 5 6; do
	a9_login 3 "nobody$a9_i.$a9_tag@example.com" wrong-password
	expect_status 401 "address 3: failure $a9_i of 6 (a new account each) is 401"
done
a9_login 3 "$a9_bert" "$a9_pw"
expect_status 429 "address 3: the 7th login is 429, even a right one"
ok '[ -n "$(header Retry-After)" ]' "with Retry-After"
a9_login 3 '' ''
expect_status 429 "address 3: refused before the body is read, as a guard"
a9_login 4 "$a9_bert" "$a9_pw"
expect_status 200 "bert from another address logs in"
for a9_i in 1 2 3 4 5 6 7 8; do
	a9_login 4 "$a9_bert" "$a9_pw"
done
expect_status 200 "successful logins do not count: bert's 9th from there"

# Parallel guesses cannot all slip under the limit: of 8 at once for a
# fresh account (limit 3), at most 3 are answered 401.
for a9_i in 1 2 3 4 5 6 7 8; do
	curl -sS --max-time 30 -o /dev/null -w '%{http_code}\n' \
		--interface "127.0.$a9_net.$((10 + a9_i))" \
		-H 'Content-Type: application/json' --data-binary "$(jq -nc \
		--arg e "carl.$a9_tag@example.com" '{email: $e, password: "x"}')" \
		"$BASE_URL/api/auth/login" >"$a9_dir/par.$a9_i" &
done
wait
a9_par=$(cat "$a9_dir"/par.* | sort | uniq -c | tr -s ' \n' ' ')
ok '[ "$(cat "$a9_dir"/par.* | grep -c 401)" -eq 3 ] &&
	[ "$(cat "$a9_dir"/par.* | grep -c 429)" -eq 5 ]' \
	"8 parallel guesses: 3 answered 401, 5 refused ($a9_par)"

# --- one count for every replica ------------------------------------------
for a9_i in 1 2 3 4; do
	BASE_URL=$a9_main a9_login 5 "other$a9_i.$a9_tag@example.com" wrong
done
expect_status 401 "4 failures from address 5 through the run's stack"
a9_login 5 "other5.$a9_tag@example.com" wrong
a9_login 5 "other6.$a9_tag@example.com" wrong
expect_status 401 "the 5th and 6th through the second stack"
a9_login 5 "$a9_bert" "$a9_pw"
expect_status 429 "the second stack counted the first stack's failures"

# --- where the counts live ------------------------------------------------
# Address 3: 6 failures and 2 refused attempts (refused ones count, as
# with @nestjs/throttler; the window does not move).
if [ -n "${REDIS_HOST:-}" ]; then
	a9_n=$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" \
		GET "throttle:v1:addr:127.0.$a9_net.3" 2>/dev/null)
	ok '[ "$a9_n" = 8 ]' "with Redis the count is in Redis ($a9_n)"
else
	a9_n=$(db_sql "SELECT count FROM login_failures \
WHERE key = 'addr:127.0.$a9_net.3'")
	ok '[ "$a9_n" = 8 ]' "without Redis the count is in the database ($a9_n)"
fi

a9_cleanup
a9_reports=$(grep -h -e AddressSanitizer -e LeakSanitizer -e 'runtime error:' \
	"$a9_dir/stack/error.log" "$a9_dir/start.log" 2>/dev/null)
ok '[ -z "$a9_reports" ]' "no sanitizer reports from the second stack" ||
	diag "$a9_reports"
BASE_URL=$a9_main
TOKEN=
