# 08-rules.sh: API rules shared by every route: lengths in UTF-16 units,
# the body and query rules of POST /api/admin/reindex/products and of
# routes without query parameters, the last ADMIN.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
a8_tag=a8$$$RANDOM
a8_pw=password-$a8_tag

# a8_signup NAME [DISPLAY]: sign up NAME.$a8_tag@example.com with the
# display name DISPLAY (default NAME).
a8_signup() {
	TOKEN='' api POST /api/auth/signup "$(jq -nc \
		--arg e "$1.$a8_tag@example.com" --arg p "$a8_pw" \
		--arg n "${2:-$1}" '{email: $e, password: $p, name: $n}')"
}

# a8_has MSG: the last response's message array contains MSG.
a8_has() {
	[ "$(jq --arg m "$1" '.message | index($m) != null' \
		<"$API_BODY" 2>/dev/null)" = true ]
}

a8_dir=$API_STATE/a8
mkdir -p "$a8_dir"
a8_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || a8_admin=
ok '[ -n "$a8_admin" ]' "the seeded admin logs in"

# --- lengths count UTF-16 units, as class-validator does ---------------------
a8_emoji=$(printf '\xf0\x9f\x98\x80')
a8_name=
for _ in $(seq 50); do a8_name=$a8_name$a8_emoji; done
a8_signup emoji50 "$a8_name"
expect_status 201 "a name of 50 emoji (100 UTF-16 units) is accepted"
a8_signup emoji51 "$a8_name$a8_emoji"
expect_status 400 "a name of 51 emoji (102 UTF-16 units) is refused"
ok 'a8_has "name must be shorter than or equal to 100 characters"' \
	"51 emoji: class-validator's message"
a8_name=
for _ in $(seq 100); do a8_name=${a8_name}한; done
a8_signup hangul100 "$a8_name"
expect_status 201 "100 Hangul syllables are 100 units: accepted"

# --- emails fold case as JavaScript's toLowerCase() ---------------------------
a8_up=$(printf '\xc3\x84') # Ä
a8_low=$(printf '\xc3\xa4') # ä
a8_signup "$a8_up"
expect_status 201 "sign-up as $a8_up.…@example.com"
expect_json .email "$a8_low.$a8_tag@example.com" "stored as $a8_low.…: folded"
a8_signup "$a8_low"
expect_status 409 "$a8_low.… is the same account as $a8_up.…"
expect_json .message "Email already exists"
ok '[ -n "$(login "$a8_up.$a8_tag@example.com" "$a8_pw")" ] &&
	[ -n "$(login "$a8_low.$a8_tag@example.com" "$a8_pw")" ]' \
	"either spelling logs in"
a8_sigma=$(printf '\xce\x9f\xce\x94\xce\x9f\xce\xa3') # ΟΔΟΣ
TOKEN='' api POST /api/auth/signup "$(jq -nc \
	--arg e "$a8_tag.$a8_sigma@example.com" --arg p "$a8_pw" \
	'{email: $e, password: $p, name: "sigma"}')"
expect_json .email \
	"$a8_tag.$(printf '\xce\xbf\xce\xb4\xce\xbf\xcf\x82')@example.com" \
	"a final capital sigma folds to ς, as in JavaScript"

# `agora migrate` folds what was stored when only ASCII was folded, and
# refuses, changing nothing, when two accounts would become one.
a8_cli=$AGORA_BUILDDIR/src/agora
a8_raw() {
	db_sql "INSERT INTO users (email, password_hash, name, created_at, \
updated_at) VALUES ('$1', 'x', 'old', '2026-01-01T00:00:00.000Z', \
'2026-01-01T00:00:00.000Z')"
}
a8_raw "$(printf '\xc3\x96').$a8_tag@example.com" # Ö
"$a8_cli" migrate >"$a8_dir/migrate.out" 2>&1
a8_rc=$?
ok '[ $a8_rc -eq 0 ] && grep -q "1 email folded" "$a8_dir/migrate.out"' \
	"agora migrate folds an email stored unfolded"
ok '[ "$(db_sql "SELECT count(*) FROM users WHERE email = \
'"'"'$(printf '"'"'\xc3\xb6'"'"').$a8_tag@example.com'"'"'")" = 1 ]' \
	"Ö.… is now ö.…"
a8_raw "$a8_up.$a8_tag@example.com"
"$a8_cli" migrate >"$a8_dir/migrate.out" 2>&1
a8_rc=$?
ok '[ $a8_rc -eq 1 ]' "agora migrate refuses accounts that would collide"
ok 'grep -q "1 accounts would collide, nothing changed" "$a8_dir/migrate.out" &&
	grep -q "folds to $a8_low.$a8_tag@example.com" "$a8_dir/migrate.out"' \
	"and names them"
db_sql "DELETE FROM users WHERE email = '$a8_up.$a8_tag@example.com'"
"$a8_cli" migrate >"$a8_dir/migrate.out" 2>&1
a8_rc=$?
ok '[ $a8_rc -eq 0 ]' "once the operator resolved it, agora migrate passes"

# --- a body of 80,000 unknown keys: a bounded answer ------------------------
jq -nc '[range(80000) | {key: "k\(.)", value: 1}] | from_entries' \
	>"$a8_dir/keys.json"
TOKEN='' api POST /api/auth/signup '' --max-time 120 \
	-H 'Content-Type: application/json' --data-binary "@$a8_dir/keys.json"
expect_status 400 "80,000 unknown keys ($(wc -c <"$a8_dir/keys.json") bytes) are 400"
expect_ours
expect_json '.message | length' 101 "the first 100 messages and a count"
expect_json '.message[0]' "email should not be empty" "field messages first"
expect_json '.message[3]' "property k0 should not exist" \
	"then unknown keys in body order"
expect_json '.message[100]' "and 79903 more messages" \
	"the last one counts those left out"
ok '[ "$(wc -c <"$API_BODY")" -lt 16384 ]' \
	"the answer is small ($(wc -c <"$API_BODY") bytes)"

# --- POST /api/admin/reindex/products takes no body -----------------------
TOKEN=$a8_admin api POST /api/admin/reindex/products '' \
	-H 'Content-Type: text/plain' --data-binary '{{{'
expect_status 415 "reindex: a text/plain body is 415"
expect_ours
expect_json .message "Content-Type must be application/json"
TOKEN=$a8_admin api POST /api/admin/reindex/products '{{{'
expect_status 400 "reindex: malformed JSON is 400"
TOKEN=$a8_admin api POST /api/admin/reindex/products '{"full":true}'
expect_status 400 "reindex: a property is 400"
expect_json_raw .message '["property full should not exist"]'
TOKEN=$a8_admin api POST /api/admin/reindex/products '[]'
expect_status 400 "reindex: an array body is 400"
TOKEN=$a8_admin api POST '/api/admin/reindex/products?_=1700000000' '{}'
expect_status 201 "reindex: {} is accepted, a query parameter ignored"
TOKEN=$a8_admin api POST /api/admin/reindex/products '' \
	-H 'Content-Length: 0'
expect_status 201 "reindex: an empty body is accepted"

# --- query parameters: refused where the route takes some, else ignored -----
TOKEN=$a8_admin api GET '/api/users/me?_=1700000000'
expect_status 200 "a route without query parameters ignores a cache buster"
TOKEN=$a8_admin api GET '/api/health/live?_=1'
expect_status 200 "so does /api/health/live"
TOKEN=$a8_admin api GET '/api/users?_=1700000000'
expect_status 400 "a route with query parameters refuses an unknown one"
expect_json_raw .message '["property _ should not exist"]'

# --- the last ADMIN ---------------------------------------------------------
TOKEN=$a8_admin api GET /api/users/me
a8_admin_id=$(json .id)
a8_signup second
a8_second_id=$(json .id)
a8_second=$(login "second.$a8_tag@example.com" "$a8_pw") || a8_second=
a8_admins() {
	db_sql "SELECT count(*) FROM users WHERE role = 'ADMIN'"
}
ok '[ "$(a8_admins)" = 1 ]' "the seeded admin is the only ADMIN"
TOKEN=$a8_admin api PATCH "/api/users/$a8_admin_id/role" '{"role":"USER"}'
expect_status 409 "the last ADMIN cannot demote itself"
expect_ours
expect_json_raw . '{"statusCode":409,"message":"Cannot demote the last ADMIN","error":"Conflict"}'
TOKEN=$a8_admin api GET /api/users/me
expect_json .role ADMIN "and is still an ADMIN"
TOKEN=$a8_admin api PATCH "/api/users/$a8_admin_id/role" '{"role":"ADMIN"}'
expect_status 200 "the last ADMIN may set its own role to ADMIN"

TOKEN=$a8_admin api PATCH "/api/users/$a8_second_id/role" '{"role":"ADMIN"}'
expect_status 200 "a second ADMIN"
TOKEN=$a8_second api PATCH "/api/users/$a8_second_id/role" '{"role":"USER"}'
expect_status 200 "one of two ADMINs may demote itself"
ok '[ "$(a8_admins)" = 1 ]' "one ADMIN left"

# Two ADMINs demoting each other at once: one wins, one ADMIN is left.
TOKEN=$a8_admin api PATCH "/api/users/$a8_second_id/role" '{"role":"ADMIN"}'
curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X PATCH \
	-H "Authorization: Bearer $a8_admin" -H 'Content-Type: application/json' \
	--data-binary '{"role":"USER"}' "$BASE_URL/api/users/$a8_second_id/role" \
	>"$a8_dir/a" &
a8_pid=$!
curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X PATCH \
	-H "Authorization: Bearer $a8_second" -H 'Content-Type: application/json' \
	--data-binary '{"role":"USER"}' "$BASE_URL/api/users/$a8_admin_id/role" \
	>"$a8_dir/b"
wait "$a8_pid"
a8_codes="$(cat "$a8_dir/a") $(cat "$a8_dir/b")"
ok '[ "$(a8_admins)" = 1 ]' \
	"two ADMINs demoting each other at once leave one ADMIN ($a8_codes)"
ok 'case $a8_codes in "200 409" | "200 403" | "409 200" | "403 200") ;;
	*) false ;; esac' "one demotion wins, the other is refused"
# Put things back: the seeded admin is the one ADMIN, as it was.
TOKEN=$a8_second api PATCH "/api/users/$a8_admin_id/role" '{"role":"ADMIN"}'
TOKEN=$a8_admin api PATCH "/api/users/$a8_second_id/role" '{"role":"USER"}'
TOKEN=$a8_admin api GET /api/users/me
expect_json .role ADMIN "the seeded admin is an ADMIN again"
ok '[ "$(a8_admins)" = 1 ]' "and the only one"

TOKEN=
