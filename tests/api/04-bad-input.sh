# 04-bad-input.sh: hostile and sloppy requests each get a 4xx JSON answer of
# ours, never a 500 and never lighttpd's HTML page.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
a4_tag=a4$$$RANDOM
a4_tmp=$API_STATE/a4
mkdir -p "$a4_tmp"

# a4_has MSG: the last response's message array contains MSG.
a4_has() {
	[ "$(jq --arg m "$1" '.message | index($m) != null' \
		<"$API_BODY" 2>/dev/null)" = true ]
}

# a4_bad CODE DESC: the last answer is ours, with status CODE and the error
# shape {statusCode: CODE, message: string or array, error: string}.
a4_bad() {
	expect_status "$1" "$2: $1"
	expect_ours "$2: answered by agora"
	expect_json '[.statusCode, (.message | type), (.error | type)]
		| .[1] |= IN("string", "array")' "[$1,true,\"string\"]" \
		"$2: error body shape"
}

# a4_post_raw FILE [CONTENT-TYPE]: POST the bytes of FILE to signup.
a4_post_raw() {
	api POST /api/auth/signup "" \
		-H "Content-Type: ${2:-application/json}" --data-binary "@$1"
}

# a4_body WHO: a valid sign-up body for WHO.$a4_tag@example.com.
a4_body() {
	jq -nc --arg e "$1.$a4_tag@example.com" \
		'{email: $e, password: "password123", name: "Ok"}'
}

a4_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || a4_admin=
ok '[ -n "$a4_admin" ]' "the seeded admin logs in"

# --- malformed JSON ----------------------------------------------------------
api POST /api/auth/signup '{"email": "x@example.com", "password":'
a4_bad 400 "truncated JSON"
expect_json .error "Bad Request"

api POST /api/auth/signup '{"a":1}x'
a4_bad 400 "trailing garbage after the object"

api POST /api/auth/signup "$(a4_body two)"'{}'
a4_bad 400 "two concatenated objects"

api POST /api/auth/signup "$(a4_body ws)"$' \n\t'
expect_status 201 "trailing whitespace after the object is fine"

# a4_raw_name WHO BYTES: POST a sign-up whose name is BYTES (printf %b
# escapes, so raw bytes reach the server unchanged) from a file.
a4_raw_name() {
	printf '{"email":"%s.%s@example.com","password":"password123",' \
		"$1" "$a4_tag" >"$a4_tmp/$1.json"
	printf '"name":"%b"}' "$2" >>"$a4_tmp/$1.json"
	a4_post_raw "$a4_tmp/$1.json"
}
a4_raw_name u8a 'A\xffB'
a4_bad 400 "a raw 0xff byte inside a string"
a4_raw_name u8b '\xc3\x28'
a4_bad 400 "a truncated two-byte UTF-8 sequence"
a4_raw_name u8c '\xc0\xaf'
a4_bad 400 "an overlong UTF-8 encoding"
a4_raw_name u8d '\xed\xa0\x80'
a4_bad 400 "a UTF-8 encoded surrogate"
a4_raw_name u8e 'J\xc3\xbcrgen \xe2\x82\xac'
expect_status 201 "valid multi-byte UTF-8 is accepted"
expect_json .name "Jürgen €" "and stored unchanged"

api POST /api/auth/signup "$(jq -nc --arg e "nul.$a4_tag@example.com" \
	'{email: $e, password: "password123"}' | sed 's/}$/,"name":"a\\u0000b"}/')"
a4_bad 400 "a \\u0000 escape in a string"
api POST /api/auth/signup "$(jq -nc --arg e "sur.$a4_tag@example.com" \
	'{email: $e, password: "password123"}' | sed 's/}$/,"name":"\\ud800"}/')"
a4_bad 400 "a lone surrogate escape"

for a4_num in NaN -Infinity Infinity 1e309 -1e309 99999999999999999999 \
	-99999999999999999999 0x10 01 '+1' '.5'; do
	api POST /api/auth/signup "$(jq -nc --arg e "num.$a4_tag@example.com" \
		'{email: $e, password: "password123"}' |
		sed "s/}\$/,\"name\":$a4_num}/")"
	a4_bad 400 "name: $a4_num"
done
api POST /api/auth/signup "$(jq -nc --arg e "num.$a4_tag@example.com" \
	'{email: $e, password: "password123", name: 12}')"
a4_bad 400 "a number where a string is expected"
ok 'a4_has "name must be a string"' "message says name must be a string"

api POST /api/auth/signup "$(a4_body dup | sed 's/}$/,"name":"b"}/')"
a4_bad 400 "a duplicate key"
api POST /api/auth/signup "$(a4_body dup2 | sed 's/}$/,"x":{"k":1,"k":2}}/')"
a4_bad 400 "a duplicate key in a nested object"

printf '%.0s[' $(seq 100) >"$a4_tmp/deep.json"
printf '%.0s]' $(seq 100) >>"$a4_tmp/deep.json"
a4_post_raw "$a4_tmp/deep.json"
a4_bad 400 "arrays nested 100 deep"

for a4_doc in '[]' '"str"' 1 true null '[{"email":"a@b.cd"}]'; do
	api POST /api/auth/signup "$a4_doc"
	a4_bad 400 "a body that is $a4_doc"
	ok 'a4_has "body must be an object"' \
		"$a4_doc: message says body must be an object"
done

# --- validation --------------------------------------------------------------
api POST /api/auth/signup '{}'
a4_bad 400 "an empty sign-up"
expect_json .error "Bad Request"
ok 'a4_has "email should not be empty"' "a missing email is reported"
ok 'a4_has "password should not be empty"' "with a missing password"
ok 'a4_has "name should not be empty"' "and a missing name, at once"
api POST /api/auth/signup '{"email":null,"password":null,"name":null}'
a4_bad 400 "null fields"
ok 'a4_has "email should not be empty"' "null counts as missing"

api POST /api/auth/signup \
	'{"email":"x","password":1,"name":[],"admin":true,"id":5}'
a4_bad 400 "every field wrong"
ok 'a4_has "email must be an email"' "wrong email reported"
ok 'a4_has "password must be a string"' "wrong password type reported"
ok 'a4_has "name must be a string"' "wrong name type reported"
ok 'a4_has "property admin should not exist"' "unknown admin reported"
ok 'a4_has "property id should not exist"' "unknown id reported"
expect_json '.message | length' 5 "and nothing else"

api POST /api/auth/signup "$(jq -nc --arg e "ex.$a4_tag@example.com" \
	'{email: $e, password: "password123", name: "x", extra: {"deep": [1]}}')"
a4_bad 400 "an unknown property"
expect_json_raw .message '["property extra should not exist"]'

# An integer-typed field: the role enum refuses a number, and the strict
# query integers refuse anything but digits.
TOKEN=$a4_admin api PATCH /api/users/999999/role '{"role":12}'
a4_bad 400 "role given as a number"
ok 'a4_has "role must be one of the following values: USER, ADMIN"' \
	"role 12: message lists the roles"
for a4_q in 'size=12abc' 'size=%2012' 'size=+12' 'size=0x10' 'size=1e1' \
	'size=%EF%BC%91'; do
	TOKEN=$a4_admin api GET "/api/users?$a4_q"
	a4_bad 400 "query $a4_q"
	ok 'a4_has "size must be an integer number"' "$a4_q is not an integer"
done
TOKEN=$a4_admin api GET '/api/users?size=012'
expect_status 200 "leading zeros are still an integer"

# --- media type and size ---------------------------------------------------
a4_body ct >"$a4_tmp/ok.json"
a4_post_raw "$a4_tmp/ok.json" text/plain
a4_bad 415 "a JSON body sent as text/plain"
expect_json .error "Unsupported Media Type"
a4_post_raw "$a4_tmp/ok.json" application/x-www-form-urlencoded
a4_bad 415 "a form-encoded content type"
a4_post_raw "$a4_tmp/ok.json" 'application/json; charset=latin1'
a4_bad 415 "JSON in a charset other than UTF-8"
api POST /api/auth/signup "" --data-binary "@$a4_tmp/ok.json" \
	-H 'Content-Type:'
a4_bad 415 "a body without a Content-Type"
a4_post_raw "$a4_tmp/ok.json" 'Application/JSON; charset=UTF-8'
expect_status 201 "media type and charset are case-insensitive"

# 1.5 MiB of valid JSON: over BODY_LIMIT (1 MiB by default), under
# lighttpd's own limit, so the answer must be our 413.
{
	printf '{"email":"big.%s@example.com",' "$a4_tag"
	printf '"password":"password123","name":"'
	head -c $((1536 * 1024)) /dev/zero | tr '\0' a
	printf '"}'
} >"$a4_tmp/big.json"
a4_post_raw "$a4_tmp/big.json"
a4_bad 413 "a 1.5 MiB body"
expect_json .error "Payload Too Large"
TOKEN='' api POST /api/auth/login "$(jq -nc --arg e "big.$a4_tag@example.com" \
	'{email: $e, password: "password123"}')"
expect_status 401 "the oversized sign-up created nothing"

# --- URLs ------------------------------------------------------------------
api GET /api/nope
a4_bad 404 "an unknown route"
expect_json_raw . \
	'{"statusCode":404,"message":"Cannot GET /api/nope","error":"Not Found"}'
api DELETE /api/auth/signup
a4_bad 404 "a known path with the wrong method"
expect_json .message "Cannot DELETE /api/auth/signup"
api POST /api/auth/nope '{}'
a4_bad 404 "an unknown route inside a known group"
expect_json .message "Cannot POST /api/auth/nope"
api GET '/api/nope?x=1'
expect_json .message "Cannot GET /api/nope?x=1" "the 404 names the URL as sent"

TOKEN=$a4_admin api GET '/api/users?page=%zz'
a4_bad 400 "a malformed percent-escape in the query"
expect_json .message "Malformed query string"
TOKEN=$a4_admin api GET '/api/users?page=1%'
a4_bad 400 "a truncated percent-escape in the query"
# lighttpd is configured (server.http-parseopts) to pass these on, so
# that the answer is ours.
TOKEN=$a4_admin api GET '/api/users?page=%00'
a4_bad 400 "a NUL byte in the query"
expect_json .message "Malformed query string"
TOKEN=$a4_admin api GET '/api/users?page=%ff'
a4_bad 400 "invalid UTF-8 in the query"
expect_json .message "Malformed query string"
TOKEN=$a4_admin api GET '/api/users?page=%01'
a4_bad 400 "an escaped control byte in the query"
TOKEN=$a4_admin api GET '/api/users?%70age=1'
expect_status 200 "an escaped parameter name is decoded"
TOKEN=$a4_admin api GET '/api/users/%zz/role'
a4_bad 400 "a malformed percent-escape in the path"
TOKEN=$a4_admin api PATCH /api/users/1%2F2/role '{"role":"USER"}'
ok '[ "$STATUS" = 400 ] || [ "$STATUS" = 404 ]' \
	"an encoded slash in an id is 400 or 404, got $STATUS"
expect_ours

TOKEN=
