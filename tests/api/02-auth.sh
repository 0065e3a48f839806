# 02-auth.sh: sign-up and login: shapes, case-folded emails, duplicates,
# forbidden properties, length bounds, and login failures that look alike.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
a2_tag=a2$$$RANDOM
a2_email=Alice.$a2_tag@Example.COM
a2_lower=$(printf '%s' "$a2_email" | tr '[:upper:]' '[:lower:]')
a2_pw='correct horse battery'

# a2_signup EMAIL PASSWORD NAME: POST a well-formed sign-up body.
a2_signup() {
	api POST /api/auth/signup "$(jq -nc --arg e "$1" --arg p "$2" \
		--arg n "$3" '{email: $e, password: $p, name: $n}')"
}

# a2_has MSG: the last response's message array contains MSG.
a2_has() {
	[ "$(jq --arg m "$1" '.message | index($m) != null' \
		<"$API_BODY" 2>/dev/null)" = true ]
}

# a2_login EMAIL PASSWORD [JQ]: POST a login body (JQ adds to it).
a2_login() {
	TOKEN='' api POST /api/auth/login "$(jq -nc --arg e "$1" --arg p "$2" \
		"{email: \$e, password: \$p}${3:+ | $3}")"
}

# --- sign-up ---------------------------------------------------------------
a2_signup "$a2_email" "$a2_pw" "Alice $a2_tag"
expect_status 201 "signup answers 201"
expect_ours
expect_json '.email' "$a2_lower" "signup stores the email lower-cased"
expect_json '.name' "Alice $a2_tag" "signup echoes the name"
expect_json '.role' USER "a new account is a USER"
expect_json '.id | type' number "id is a number"
ok '[ "$(json .id)" -gt 0 ] 2>/dev/null' "id is positive"
expect_json_raw 'keys' '["createdAt","email","id","name","role","updatedAt"]' \
	"signup answers exactly the public user fields (no password, no hash)"
ok '! grep -qiE "hash|password|[$]2[aby][$]" "$API_BODY"' \
	"no password or bcrypt hash anywhere in the sign-up body"
a2_iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
ok '[[ $(json .createdAt) =~ $a2_iso ]]' \
	"createdAt is ISO 8601 UTC with milliseconds"
ok '[ "$(json .createdAt)" = "$(json .updatedAt)" ]' \
	"createdAt and updatedAt are equal on creation"
a2_id=$(json .id)

# The same address in another case is the same account.
a2_signup "$a2_lower" "$a2_pw" "Alice again"
expect_status 409 "signup with the lower-cased email of an account is 409"
expect_json_raw . \
	'{"statusCode":409,"message":"Email already exists","error":"Conflict"}' \
	"409 body is the NestJS conflict shape"
a2_signup "$(printf '%s' "$a2_email" | tr '[:lower:]' '[:upper:]')" "$a2_pw" x
expect_status 409 "signup with the upper-cased email is 409 too"

# A client may not choose its role.
api POST /api/auth/signup "$(jq -nc --arg e "role.$a2_tag@example.com" \
	'{email: $e, password: "password123", name: "Mallory", role: "ADMIN"}')"
expect_status 400 "signup with a role property is 400"
expect_ours
expect_json '.error' "Bad Request"
ok 'a2_has "property role should not exist"' \
	"message array names the forbidden role property"
a2_login "role.$a2_tag@example.com" password123
expect_status 401 "the rejected sign-up created no account"

# Length bounds: 8..72 for the password, 1..100 for the name.
a2_signup "short.$a2_tag@example.com" 1234567 Bob
expect_status 400 "a 7-character password is 400"
ok 'a2_has "password must be longer than or equal to 8 characters"' \
	"message says the password is too short"
a2_pw72=$(printf 'p%.0s' $(seq 72))
a2_signup "long.$a2_tag@example.com" "${a2_pw72}x" Bob
expect_status 400 "a 73-character password is 400"
ok 'a2_has "password must be shorter than or equal to 72 characters"' \
	"message says the password is too long"
# bcrypt reads 72 bytes: 30 Korean characters are 90 of them.
a2_signup "kr.$a2_tag@example.com" "$(printf '비%.0s' $(seq 30))" Bob
expect_status 400 "a 30-character, 90-byte password is 400"
ok 'a2_has "password must be shorter than or equal to 72 bytes"' \
	"message says the password has too many bytes"
a2_signup "p8.$a2_tag@example.com" 12345678 Bob
expect_status 201 "an 8-character password is accepted"
a2_signup "p72.$a2_tag@example.com" "$a2_pw72" Bob
expect_status 201 "a 72-character password is accepted"
ok '[ -n "$(login "p72.$a2_tag@example.com" "$a2_pw72")" ]' \
	"the 72-character password logs in"
a2_signup "name0.$a2_tag@example.com" password123 ""
expect_status 400 "an empty name is 400"
ok 'a2_has "name must be longer than or equal to 1 characters"' \
	"message says the name is too short"
a2_signup "name101.$a2_tag@example.com" password123 \
	"$(printf 'n%.0s' $(seq 101))"
expect_status 400 "a 101-character name is 400"
ok 'a2_has "name must be shorter than or equal to 100 characters"' \
	"message says the name is too long"
a2_signup "name100.$a2_tag@example.com" password123 \
	"$(printf 'n%.0s' $(seq 100))"
expect_status 201 "a 100-character name is accepted"
a2_signup "not-an-email-$a2_tag" password123 Bob
expect_status 400 "an address without @ is 400"
ok 'a2_has "email must be an email"' \
	"message says email must be an email"

# --- login -----------------------------------------------------------------
a2_login "$a2_email" "$a2_pw"
expect_status 200 "login answers 200 (not 201)"
expect_ours
expect_json '.tokenType' Bearer
expect_json '.expiresIn | type' number "expiresIn is a number"
ok '[ "$(json .expiresIn)" -gt 0 ] 2>/dev/null' "expiresIn is positive"
expect_json_raw 'keys' '["accessToken","expiresIn","tokenType"]' \
	"login answers accessToken, tokenType and expiresIn only"
a2_jwt='^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'
ok '[[ $(json .accessToken) =~ $a2_jwt ]]' "accessToken is a three-part JWT"
a2_token=$(json .accessToken)

TOKEN=$a2_token api GET /api/users/me
expect_status 200 "the login token opens /api/users/me"
expect_json '.id' "$a2_id" "and it is the signed-up account"

# Login ignores the case of the address too.
a2_login "$a2_lower" "$a2_pw"
expect_status 200 "login with the lower-cased email works"

# Wrong password and unknown account must be indistinguishable.
a2_login "$a2_email" "wrong password"
expect_status 401 "login with a wrong password is 401"
expect_ours
expect_json_raw . \
	'{"statusCode":401,"message":"Invalid credentials","error":"Unauthorized"}' \
	"wrong password: Invalid credentials"
a2_body_wrong=$BODY
a2_login "nobody.$a2_tag@example.com" "wrong password"
expect_status 401 "login of an unknown account is 401"
ok '[ "$BODY" = "$a2_body_wrong" ]' \
	"unknown account and wrong password answer byte-identical bodies"
a2_login "$a2_email" "$a2_pw "
expect_status 401 "a trailing space makes the password wrong"

TOKEN='' api POST /api/auth/login '{}'
expect_status 400 "login with an empty object is 400"
ok 'a2_has "email should not be empty"' "a missing email is reported"
ok 'a2_has "password should not be empty"' "so is a missing password"
a2_login "$a2_email" "$a2_pw" '.remember = true'
expect_status 400 "login with an unknown property is 400"
ok 'a2_has "property remember should not exist"' \
	"message names the unknown login property"

api GET /api/auth/login
expect_status 404 "GET on the login route is 404"
expect_json '.message' "Cannot GET /api/auth/login"
