# 10-issues.sh: the issue routes, who may do what, and their errors.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
a10_tag=a10$$$RANDOM
a10_pw=password-$a10_tag
a10_keys='["authorId","createdAt","description","id","priority","status","title","updatedAt","viewCount"]'

# a10_new NAME: sign up NAME.$a10_tag@example.com; prints the new id.
a10_new() {
	TOKEN='' api POST /api/auth/signup "$(jq -nc \
		--arg e "$1.$a10_tag@example.com" --arg p "$a10_pw" --arg n "$1" \
		'{email: $e, password: $p, name: $n}')"
	[ "$STATUS" = 201 ] || echo "# signup $1 failed: $(_last)" >&2
	json .id
}

# a10_has MSG: the last response's message array contains MSG.
a10_has() {
	[ "$(jq --arg m "$1" '.message | index($m) != null' \
		<"$API_BODY" 2>/dev/null)" = true ]
}

a10_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || a10_admin=
a10_aid=$(a10_new author)
a10_author=$(login "author.$a10_tag@example.com" "$a10_pw") || a10_author=
a10_oid=$(a10_new other)
a10_other=$(login "other.$a10_tag@example.com" "$a10_pw") || a10_other=
ok '[ -n "$a10_admin" ] && [ -n "$a10_author" ] && [ -n "$a10_other" ]' \
	"admin, author and another user log in"

# Issue 7 must not exist for the message below: make sure of it before
# this scenario creates any.
TOKEN=$a10_admin api DELETE /api/issues/7
TOKEN='' api GET /api/issues/7
expect_status 404 "a missing issue is 404"
expect_ours
expect_json_raw . \
	'{"statusCode":404,"message":"Issue 7 not found","error":"Not Found"}'

# --- create --------------------------------------------------------------------
TOKEN='' api POST /api/issues '{"title":"anonymous"}'
expect_status 401 "creating an issue without a token is 401"

TOKEN=$a10_author api POST /api/issues \
	'{"title":"Login page crashes","description":"on Safari","priority":"HIGH"}'
expect_status 201 "the author creates an issue"
expect_ours
expect_header Server-Timing '.*cache;desc=bypass.*' \
	"a write says cache bypass in Server-Timing"
expect_json_raw keys "$a10_keys" "the issue object has the documented fields"
expect_json .title "Login page crashes"
expect_json .description "on Safari"
expect_json .status OPEN "a new issue is OPEN"
expect_json .priority HIGH
expect_json .viewCount 0 "with no views"
expect_json .authorId "$a10_aid" "authored by the caller"
a10_id=$(json .id)
a10_created=$(json .createdAt)
ok '[[ $a10_created =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z$ ]]' \
	"createdAt is ISO 8601 UTC with milliseconds ($a10_created)"

TOKEN=$a10_other api POST /api/issues '{"title":"Typo on the home page"}'
expect_status 201 "another user creates one with the title alone"
expect_json .priority MEDIUM "priority defaults to MEDIUM"
expect_json .description null "description defaults to null"
a10_id2=$(json .id)

for a10_case in \
	'{}|title should not be empty' \
	'{"title":""}|title must be longer than or equal to 1 characters' \
	'{"title":12}|title must be a string' \
	'{"title":"x","priority":"URGENT"}|priority must be one of the following values: LOW, MEDIUM, HIGH' \
	'{"title":"x","status":"CLOSED"}|property status should not exist' \
	'{"title":"x","viewCount":9}|property viewCount should not exist' \
	'{"title":"x","authorId":1}|property authorId should not exist' \
	'{"title":"x","id":1}|property id should not exist'; do
	TOKEN=$a10_author api POST /api/issues "${a10_case%%|*}"
	expect_status 400 "POST ${a10_case%%|*} is 400"
	ok 'a10_has "${a10_case#*|}"' "message has '${a10_case#*|}'"
done
a10_long=$(printf 'é%.0s' $(seq 201))
TOKEN=$a10_author api POST /api/issues "{\"title\":\"$a10_long\"}"
expect_status 400 "a 201-character title is 400"
ok 'a10_has "title must be shorter than or equal to 200 characters"' \
	"the title limit counts characters"
TOKEN=$a10_author api POST /api/issues \
	"{\"title\":\"$(printf 'é%.0s' $(seq 200))\"}"
expect_status 201 "a 200-character title (400 bytes) is fine"
a10_id3=$(json .id)
a10_desc=$(head -c 10001 /dev/zero | tr '\0' d)
TOKEN=$a10_author api POST /api/issues "{\"title\":\"x\",\"description\":\"$a10_desc\"}"
expect_status 400 "a 10001-character description is 400"
ok 'a10_has "description must be shorter than or equal to 10000 characters"' \
	"the description limit"
TOKEN=$a10_author api POST /api/issues '{"title":"x"'
expect_status 400 "truncated JSON is 400"

# --- read one: counts a view ------------------------------------------------------
TOKEN='' api GET "/api/issues/$a10_id"
expect_status 200 "anyone reads an issue"
expect_ours
expect_json .viewCount 1 "the read counted a view"
expect_json .title "Login page crashes"
expect_header Server-Timing '.*cache;desc=bypass.*'
TOKEN='' api GET "/api/issues/$a10_id/"
expect_json .viewCount 2 "the next read counts another"

TOKEN='' api GET /api/issues/abc
expect_status 400 "a non-numeric id is 400"
expect_json .message "Validation failed (numeric string is expected)"
TOKEN='' api GET /api/issues/0
expect_status 400 "id 0 is 400"
TOKEN='' api GET /api/issues/99999999999999999999
expect_status 400 "an id past int64 is 400"

# --- edit: the author or an ADMIN ------------------------------------------------
TOKEN=$a10_other api PATCH "/api/issues/$a10_id" '{"status":"CLOSED"}'
expect_status 403 "another user cannot edit the issue"
expect_json_raw . \
	'{"statusCode":403,"message":"Forbidden resource","error":"Forbidden"}'
TOKEN='' api PATCH "/api/issues/$a10_id" '{"status":"CLOSED"}'
expect_status 401 "editing without a token is 401"
TOKEN='' api GET "/api/issues/$a10_id"
expect_json .status OPEN "refused edits changed nothing"

TOKEN=$a10_author api PATCH "/api/issues/$a10_id" \
	'{"status":"IN_PROGRESS","title":"Login page crashes on Safari"}'
expect_status 200 "the author edits the issue"
expect_ours
expect_json_raw keys "$a10_keys"
expect_json .status IN_PROGRESS
expect_json .title "Login page crashes on Safari"
expect_json .description "on Safari" "fields left out keep their value"
expect_json .priority HIGH
ok '[[ "$(json .updatedAt)" > "$a10_created" ]]' "updatedAt moved on"
expect_json .createdAt "$a10_created" "createdAt did not"
TOKEN=$a10_admin api PATCH "/api/issues/$a10_id" '{"status":"CLOSED"}'
expect_status 200 "an ADMIN edits someone else's issue"
expect_json .status CLOSED
TOKEN=$a10_author api PATCH "/api/issues/$a10_id" '{"status":"OPEN"}'
expect_status 200 "status moves freely: CLOSED back to OPEN"
expect_json .status OPEN
TOKEN=$a10_author api PATCH "/api/issues/$a10_id" '{"description":null}'
expect_status 200 "description may be cleared with null"
expect_json .description null
TOKEN=$a10_author api PATCH "/api/issues/$a10_id" '{}'
expect_status 200 "an empty edit is fine"
expect_json .title "Login page crashes on Safari"

for a10_case in \
	'{"status":"DONE"}|status must be one of the following values: OPEN, IN_PROGRESS, CLOSED' \
	'{"priority":"low"}|priority must be one of the following values: LOW, MEDIUM, HIGH' \
	'{"title":""}|title must be longer than or equal to 1 characters' \
	'{"viewCount":100}|property viewCount should not exist' \
	'{"authorId":1}|property authorId should not exist'; do
	TOKEN=$a10_author api PATCH "/api/issues/$a10_id" "${a10_case%%|*}"
	expect_status 400 "PATCH ${a10_case%%|*} is 400"
	ok 'a10_has "${a10_case#*|}"' "message has '${a10_case#*|}'"
done
TOKEN=$a10_author api PATCH /api/issues/999999 '{"status":"OPEN"}'
expect_status 404 "editing a missing issue is 404"
expect_json .message "Issue 999999 not found"

# --- the list ---------------------------------------------------------------------
TOKEN='' api GET '/api/issues?size=100'
expect_status 200 "anyone lists issues"
expect_ours
expect_json_raw keys '["items","total"]' "the list is {total, items}"
ok '[ "$(json .total)" -ge 3 ] 2>/dev/null' "total counts the new issues"
expect_json '[.items[].createdAt] == ([.items[].createdAt] | sort | reverse)' \
	true "newest first"
expect_json "[.items[] | select(.id == $a10_id3)] | length" 1 \
	"the newest issue is listed"
expect_json '[.items[] | keys] | unique' "[$a10_keys]" \
	"every item is an issue object"
TOKEN='' api GET "/api/issues?authorId=$a10_oid"
expect_status 200 "filter by author"
expect_json .total 1 "the other user wrote one issue"
expect_json '.items[0].id' "$a10_id2"
TOKEN=$a10_admin api PATCH "/api/issues/$a10_id2" '{"status":"IN_PROGRESS"}'
TOKEN='' api GET "/api/issues?status=IN_PROGRESS&authorId=$a10_oid"
expect_json .total 1 "filter by status and author"
TOKEN='' api GET "/api/issues?status=CLOSED&authorId=$a10_oid"
expect_json .total 0 "no CLOSED issue by that author"
TOKEN='' api GET '/api/issues?status=OPEN&size=100'
expect_json '[.items[].status] | unique | . - ["OPEN"]' '[]' \
	"status=OPEN lists OPEN issues only"
TOKEN='' api GET "/api/issues?authorId=$a10_aid&size=1"
expect_json '.items | length' 1 "size=1 answers one item"
a10_first=$(json '.items[0].id')
TOKEN='' api GET "/api/issues?authorId=$a10_aid&size=1&page=2"
expect_json '.items | length' 1 "page 2 answers the next"
ok '[ "$(json ".items[0].id")" != "$a10_first" ]' "a different issue"
for a10_case in \
	'status=DONE|status must be one of the following values: OPEN, IN_PROGRESS, CLOSED' \
	'authorId=abc|authorId must be an integer number' \
	'authorId=0|authorId must not be less than 1' \
	'size=101|size must not be greater than 100' \
	'page=0|page must not be less than 1' \
	'foo=1|property foo should not exist'; do
	TOKEN='' api GET "/api/issues?${a10_case%%|*}"
	expect_status 400 "GET /api/issues?${a10_case%%|*} is 400"
	ok 'a10_has "${a10_case#*|}"' "message has '${a10_case#*|}'"
done

# --- delete: ADMIN only -------------------------------------------------------------
TOKEN=$a10_author api DELETE "/api/issues/$a10_id3"
expect_status 403 "the author (a USER) cannot delete"
TOKEN='' api DELETE "/api/issues/$a10_id3"
expect_status 401 "deleting without a token is 401"
TOKEN=$a10_admin api DELETE "/api/issues/$a10_id3"
expect_status 204 "an ADMIN deletes the issue"
expect_ours
ok '[ ! -s "$API_BODY" ]' "204 has no body"
TOKEN='' api GET "/api/issues/$a10_id3"
expect_status 404 "a deleted issue is gone"
expect_json .message "Issue $a10_id3 not found"
TOKEN=$a10_admin api DELETE "/api/issues/$a10_id3"
expect_status 404 "deleting it again is 404"

# Every response says what the cache did, other responders included.
TOKEN=$a10_author api GET /api/users/me
expect_header Server-Timing '.*cache;desc=bypass.*' \
	"/api/users/me says cache bypass"
TOKEN=
