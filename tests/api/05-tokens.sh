# 05-tokens.sh: bearer tokens built by hand with openssl. A correctly signed
# HS256 token must pass, so that every forged one failing means something.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
a5_tag=a5$$$RANDOM
a5_pw=password-$a5_tag
a5_bare='{"statusCode":401,"message":"Unauthorized"}'

# a5_b64url: base64url without padding of stdin.
a5_b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# a5_hmac DIGEST: the base64url HMAC-DIGEST of stdin under JWT_SECRET. The
# key goes in hex so that no character of the secret is interpreted.
a5_hmac() {
	openssl dgst -"$1" -mac HMAC \
		-macopt hexkey:"$(printf '%s' "$JWT_SECRET" | od -An -tx1 | tr -d ' \n')" \
		-binary | a5_b64url
}

# a5_jwt HEADER PAYLOAD [DIGEST]: a signed token (DIGEST sha256 by
# default; "none" leaves the signature empty).
a5_jwt() {
	local h p
	h=$(printf '%s' "$1" | a5_b64url)
	p=$(printf '%s' "$2" | a5_b64url)
	case ${3:-sha256} in
	none) printf '%s.%s.\n' "$h" "$p" ;;
	*) printf '%s.%s.%s\n' "$h" "$p" \
		"$(printf '%s.%s' "$h" "$p" | a5_hmac "${3:-sha256}")" ;;
	esac
}

a5_hs256='{"alg":"HS256","typ":"JWT"}'
a5_now=$(date +%s)

# a5_claims SUB EXP [ROLE]: a payload like the one login signs.
a5_claims() {
	jq -nc --argjson sub "$1" --argjson exp "$2" --arg role "${3:-USER}" \
		--arg email "tok.$a5_tag@example.com" --argjson iat "$a5_now" \
		'{sub: $sub, email: $email, role: $role, iat: $iat, exp: $exp}'
}

# a5_refused TOKEN DESC: GET /api/users/me with TOKEN is the bare 401.
a5_refused() {
	TOKEN=$1 api GET /api/users/me
	expect_status 401 "$2: 401"
	expect_json_raw . "$a5_bare" "$2: bare 401 body"
}

ok 'command -v openssl >/dev/null' "openssl is available to build tokens"

TOKEN='' api POST /api/auth/signup "$(jq -nc --arg e "tok.$a5_tag@example.com" \
	--arg p "$a5_pw" '{email: $e, password: $p, name: "Tok"}')"
expect_status 201 "a user for the token tests"
a5_id=$(json .id)
a5_real=$(login "tok.$a5_tag@example.com" "$a5_pw") || a5_real=

TOKEN=$a5_real api GET /api/users/me
expect_status 200 "the login token is accepted"

# The server's own token has the header and claims we forge below.
a5_part() {
	printf '%s' "$1" | cut -d. -f"$2" | tr -- '-_' '+/' |
		awk '{ while (length($0) % 4) $0 = $0 "="; print }' |
		openssl base64 -d -A
}
ok '[ "$(a5_part "$a5_real" 1 | jq -r .alg)" = HS256 ]' \
	"login signs with HS256"
ok '[ "$(a5_part "$a5_real" 2 | jq -r .sub)" = "$a5_id" ]' \
	"the login token's sub is the user id"
ok '[ "$(a5_part "$a5_real" 2 | jq -r ".exp - .iat")" -gt 0 ] 2>/dev/null' \
	"the login token expires after it was issued"

# --- the positive control --------------------------------------------------
a5_good=$(a5_jwt "$a5_hs256" "$(a5_claims "$a5_id" $((a5_now + 600)))")
TOKEN=$a5_good api GET /api/users/me
expect_status 200 "a hand-made HS256 token with a future exp is accepted"
expect_json .id "$a5_id" "and identifies its sub"
TOKEN='' api GET /api/users/me '' -H "Authorization: bearer $a5_good"
expect_status 200 "the Bearer scheme is case-insensitive"

# --- forgeries -------------------------------------------------------------
a5_h=${a5_good%%.*}
a5_s=${a5_good##*.}

# Payload changed after signing: another sub, the signature kept.
a5_p2=$(a5_claims 1 $((a5_now + 600)) ADMIN | a5_b64url)
a5_refused "$a5_h.$a5_p2.$a5_s" "tampered payload (sub and role changed)"

# One character of the signature changed (the first: changing the last
# could only touch padding bits, which is a different test).
case $a5_s in
A*) a5_s2=B${a5_s#?} ;;
*) a5_s2=A${a5_s#?} ;;
esac
a5_refused "${a5_good%.*}.$a5_s2" "tampered signature"
a5_refused "${a5_good%.*}." "signature removed"
a5_refused "${a5_good%.*}" "two parts only"
a5_refused "$a5_good.$a5_s" "four parts"
a5_refused "${a5_good%.*}.$(printf '%s' "x" | a5_hmac sha256)" \
	"the signature of other bytes"

# The same claims signed with another secret.
a5_other=$(JWT_SECRET=not-the-secret-not-the-secret-not-the-secret \
	a5_jwt "$a5_hs256" "$(a5_claims "$a5_id" $((a5_now + 600)))")
a5_refused "$a5_other" "signed with another secret"

a5_refused "$(a5_jwt "$a5_hs256" "$(a5_claims "$a5_id" $((a5_now - 60)))")" \
	"expired a minute ago"
a5_refused "$(a5_jwt "$a5_hs256" "$(a5_claims "$a5_id" "$a5_now")")" \
	"exp equal to now"
a5_refused "$(a5_jwt "$a5_hs256" "$(a5_claims "$a5_id" $((a5_now + 600)) |
	jq -c 'del(.exp)')")" "no exp claim"
a5_refused "$(a5_jwt "$a5_hs256" "$(a5_claims "$a5_id" $((a5_now + 600)) |
	jq -c '.exp |= tostring')")" "exp as a string"
a5_refused "$(a5_jwt "$a5_hs256" "$(a5_claims "$a5_id" $((a5_now + 600)) |
	jq -c '.nbf = .exp')")" "nbf in the future"
a5_refused "$(a5_jwt "$a5_hs256" "$(a5_claims "$a5_id" $((a5_now + 600)) |
	jq -c '.sub |= tostring')")" "sub as a string"
a5_refused "$(a5_jwt "$a5_hs256" "$(a5_claims 0 $((a5_now + 600)))")" "sub 0"
a5_refused "$(a5_jwt "$a5_hs256" "$(a5_claims 999999999 $((a5_now + 600)))")" \
	"a valid token for a user id that does not exist"

a5_refused "$(a5_jwt '{"alg":"none","typ":"JWT"}' \
	"$(a5_claims "$a5_id" $((a5_now + 600)))" none)" "alg none, no signature"
a5_refused "$(a5_jwt '{"alg":"none","typ":"JWT"}' \
	"$(a5_claims "$a5_id" $((a5_now + 600)))")" "alg none with an HS256 signature"
a5_refused "$(a5_jwt '{"alg":"HS512","typ":"JWT"}' \
	"$(a5_claims "$a5_id" $((a5_now + 600)))" sha512)" \
	"HS512 signed with the same secret"
a5_refused "$(a5_jwt '{"alg":"HS384","typ":"JWT"}' \
	"$(a5_claims "$a5_id" $((a5_now + 600)))" sha384)" \
	"HS384 signed with the same secret"
a5_refused "$(a5_jwt '{"alg":"hs256","typ":"JWT"}' \
	"$(a5_claims "$a5_id" $((a5_now + 600)))")" "alg in lower case"
a5_refused "$(a5_jwt '{"typ":"JWT"}' \
	"$(a5_claims "$a5_id" $((a5_now + 600)))")" "no alg"

a5_refused garbage "a token that is not a JWT"
a5_refused "a.b.c" "three parts of nonsense"
# Long, but under lighttpd's header limit so that agora answers.
a5_refused "$a5_h.$(printf 'x%.0s' $(seq 6000)).$a5_s" \
	"a 6000-character payload"

# Malformed Authorization headers (curl's own header replaces lib.sh's).
for a5_auth in 'Bearer' 'Bearer ' 'Bearer  ' "Basic $(printf 'a:b' | base64)" \
	"$a5_good" "Token $a5_good"; do
	TOKEN='' api GET /api/users/me '' -H "Authorization: $a5_auth"
	expect_status 401 "Authorization '${a5_auth:0:20}': 401"
	expect_json_raw . "$a5_bare" "Authorization '${a5_auth:0:20}': bare body"
done

# The role claim is not trusted: a correctly signed USER token saying ADMIN
# still meets the role stored in the database.
a5_fake_admin=$(a5_jwt "$a5_hs256" \
	"$(a5_claims "$a5_id" $((a5_now + 600)) ADMIN)")
TOKEN=$a5_fake_admin api GET /api/users/me
expect_status 200 "a signed token with role ADMIN for a USER is valid"
expect_json .role USER "but the user is still a USER"
TOKEN=$a5_fake_admin api GET /api/users
expect_status 403 "and an ADMIN route refuses it"

TOKEN=
