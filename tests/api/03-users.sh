# 03-users.sh: /api/users/me, the ADMIN list and role changes, and the
# role being read from the database on every request.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
a3_tag=a3$$$RANDOM
a3_pw=password-$a3_tag

# a3_new NAME: sign up NAME.$a3_tag@example.com; prints the new id.
a3_new() {
	TOKEN='' api POST /api/auth/signup "$(jq -nc \
		--arg e "$1.$a3_tag@example.com" --arg p "$a3_pw" --arg n "$1" \
		'{email: $e, password: $p, name: $n}')"
	[ "$STATUS" = 201 ] || echo "# signup $1 failed: $(_last)" >&2
	json .id
}

# a3_has MSG: the last response's message array contains MSG.
a3_has() {
	[ "$(jq --arg m "$1" '.message | index($m) != null' \
		<"$API_BODY" 2>/dev/null)" = true ]
}

a3_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || a3_admin=
ok '[ -n "$a3_admin" ]' "the seeded admin logs in"
a3_uid=$(a3_new user)
a3_user=$(login "user.$a3_tag@example.com" "$a3_pw") || a3_user=
ok '[ -n "$a3_user" ] && [ -n "$a3_uid" ]' "a fresh user signs up and logs in"

# --- /api/users/me ---------------------------------------------------------
TOKEN=$a3_user api GET /api/users/me
expect_status 200 "GET /api/users/me as a USER"
expect_ours
expect_json .id "$a3_uid" "/me is the caller's own account"
expect_json .email "user.$a3_tag@example.com"
expect_json .role USER
expect_json_raw keys '["createdAt","email","id","name","role","updatedAt"]' \
	"/me shows the public fields only"

TOKEN=$a3_admin api GET /api/users/me
expect_status 200 "GET /api/users/me as the admin"
expect_json .role ADMIN "the seeded account is an ADMIN"
expect_json .email "$(tr '[:upper:]' '[:lower:]' <<<"$ADMIN_EMAIL")" \
	"the admin's /me is the seeded address"

TOKEN='' api GET /api/users/me
expect_status 401 "/me without a token is 401"
expect_ours
expect_json_raw . '{"statusCode":401,"message":"Unauthorized"}' \
	"401 is the bare NestJS shape"

TOKEN=$a3_user api GET /api/users/me/
expect_status 200 "a trailing slash reaches the same route"

# --- ADMIN routes refuse a USER ---------------------------------------------
TOKEN=$a3_user api GET /api/users
expect_status 403 "a USER listing users is 403"
expect_ours
expect_json_raw . \
	'{"statusCode":403,"message":"Forbidden resource","error":"Forbidden"}' \
	"403 is the NestJS guard shape"
TOKEN=$a3_user api PATCH "/api/users/$a3_uid/role" '{"role":"ADMIN"}'
expect_status 403 "a USER cannot promote itself"
TOKEN=$a3_user api GET /api/users/me
expect_json .role USER "and is still a USER afterwards"
TOKEN='' api GET /api/users
expect_status 401 "listing users without a token is 401, not 403"

# --- the list ----------------------------------------------------------------
TOKEN=$a3_admin api GET '/api/users?page=1&size=100'
expect_status 200 "the admin lists users"
expect_ours
expect_json_raw 'keys' '["items","total"]' "the list is {total, items}"
ok '[ "$(json .total)" -ge 2 ] 2>/dev/null' \
	"total counts the admin and the new user"
ok '[ "$(json ".items | length")" -le 100 ]' "no more than size items"
expect_json "[.items[] | select(.id == $a3_uid) | .email] | length" 1 \
	"the new user is in the list"
expect_json '[.items[] | keys] | unique' \
	'[["createdAt","email","id","name","role","updatedAt"]]' \
	"every item shows the public fields only"
expect_json '[.items[].id] == ([.items[].id] | sort)' true "ordered by id"
a3_total=$(json .total)

TOKEN=$a3_admin api GET '/api/users?size=1'
expect_status 200 "size=1"
expect_json '.items | length' 1 "size=1 answers one item"
expect_json .total "$a3_total" "total does not depend on the page size"
a3_first=$(json '.items[0].id')
TOKEN=$a3_admin api GET '/api/users?size=1&page=2'
expect_json '.items | length' 1 "page 2 of size 1 answers one item"
ok '[ "$(json ".items[0].id")" -gt "$a3_first" ] 2>/dev/null' \
	"page 2 starts after page 1"
TOKEN=$a3_admin api GET '/api/users?page=1000000&size=100'
expect_status 200 "a page past the end is not an error"
expect_json '.items | length' 0 "and is empty"

# Query validation: class-validator's messages, all in an array.
for a3_case in \
	'size=101|size must not be greater than 100' \
	'size=0|size must not be less than 1' \
	'page=0|page must not be less than 1' \
	'page=-1|page must not be less than 1' \
	'size=abc|size must be an integer number' \
	'size=12abc|size must be an integer number' \
	'size=1.5|size must be an integer number' \
	'size=|size must be an integer number' \
	'size=1&size=2|size must be an integer number' \
	'page=99999999999999999999|page must be an integer number' \
	'page=9223372036854775807&size=100|page must not be greater than 92233720368547758' \
	'foo=1|property foo should not exist'; do
	TOKEN=$a3_admin api GET "/api/users?${a3_case%%|*}"
	expect_status 400 "GET /api/users?${a3_case%%|*} is 400"
	ok 'a3_has "${a3_case#*|}"' "?${a3_case%%|*}: message has '${a3_case#*|}'"
done
TOKEN=$a3_admin api GET '/api/users?page=0&size=101&foo=1'
expect_json '.message | length' 3 "every query failure is reported at once"
expect_json .error "Bad Request"
TOKEN=$a3_user api GET '/api/users?size=101'
expect_status 403 "the role check comes before query validation"

# --- roles -----------------------------------------------------------------
TOKEN=$a3_admin api PATCH /api/users/999999/role '{"role":"ADMIN"}'
expect_status 404 "changing the role of a missing user is 404"
expect_ours
expect_json_raw . \
	'{"statusCode":404,"message":"User 999999 not found","error":"Not Found"}'
TOKEN=$a3_admin api PATCH "/api/users/$a3_uid/role" '{"role":"ROOT"}'
expect_status 400 "role ROOT is 400"
ok 'a3_has "role must be one of the following values: USER, ADMIN"' \
	"ROOT: message lists the allowed roles"
TOKEN=$a3_admin api PATCH "/api/users/$a3_uid/role" '{"role":"admin"}'
expect_status 400 "roles are case-sensitive"
TOKEN=$a3_admin api PATCH "/api/users/$a3_uid/role" '{}'
expect_status 400 "a role change without a role is 400"
ok 'a3_has "role should not be empty"' "message says role should not be empty"
TOKEN=$a3_admin api PATCH "/api/users/$a3_uid/role" '{"role":"USER","name":"x"}'
expect_status 400 "only role may be changed there"
ok 'a3_has "property name should not exist"' "message names the extra property"
TOKEN=$a3_admin api PATCH /api/users/abc/role '{"role":"USER"}'
expect_status 400 "a non-numeric id is 400"
expect_json .message "Validation failed (numeric string is expected)"
TOKEN=$a3_admin api PATCH /api/users/0/role '{"role":"USER"}'
expect_status 400 "id 0 is 400"

# Promote, then demote, a user holding one and the same token: the role
# comes from the database on each request, not from the token.
a3_vid=$(a3_new victor)
a3_victor=$(login "victor.$a3_tag@example.com" "$a3_pw") || a3_victor=
TOKEN=$a3_victor api GET /api/users
expect_status 403 "before promotion the user cannot list users"
TOKEN=$a3_admin api PATCH "/api/users/$a3_vid/role" '{"role":"ADMIN"}'
expect_status 200 "the admin promotes the user"
expect_json .role ADMIN "the answer shows the new role"
expect_json .id "$a3_vid" "the answer is the promoted user"
expect_json_raw keys '["createdAt","email","id","name","role","updatedAt"]'
TOKEN=$a3_victor api GET /api/users
expect_status 200 "promoted, the old token lists users at once"
TOKEN=$a3_victor api GET /api/users/me
expect_json .role ADMIN "/me shows the promotion"
TOKEN=$a3_admin api PATCH "/api/users/$a3_vid/role" '{"role":"USER"}'
expect_status 200 "the admin demotes the user"
expect_json .role USER
TOKEN=$a3_victor api GET /api/users
expect_status 403 "demoted, the same token is refused at once"
expect_json .message "Forbidden resource"
TOKEN=$a3_victor api PATCH "/api/users/$a3_uid/role" '{"role":"ADMIN"}'
expect_status 403 "demoted, it cannot change roles either"
TOKEN=$a3_user api GET /api/users/me
expect_json .role USER "the other user was never promoted"

TOKEN=
