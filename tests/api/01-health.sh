# 01-health.sh: liveness, health shape, request ids, the fallback 404 and
# how lighttpd's own rejections look.
# shellcheck shell=bash disable=SC2016,SC2034

id_re='[A-Za-z0-9-]{1,64}'

api GET /api/health/live
expect_status 200
expect_ours

api GET /api/health
expect_status 200
expect_ours
expect_json .status ok
expect_json .details.database.status up
expect_json_raw 'keys' '["details","error","info","status"]' \
	"GET /api/health has the shape {status, info, error, details}"

# Request ids: generated, echoed when valid, replaced when not.
api GET /api/health/live
expect_header X-Request-Id "$id_re" \
	"a generated X-Request-Id is 1-64 of [A-Za-z0-9-]"
first=$(header X-Request-Id)
api GET /api/health/live
ok '[ "$(header X-Request-Id)" != "$first" ]' \
	"every request gets its own X-Request-Id"

api GET /api/health/live '' -H 'X-Request-Id: abc-123'
expect_header X-Request-Id 'abc-123' "a valid client X-Request-Id is echoed"

long64=$(printf 'a%.0s' $(seq 64))
api GET /api/health/live '' -H "X-Request-Id: $long64"
expect_header X-Request-Id "$long64" "a 64-character X-Request-Id is echoed"

api GET /api/health/live '' -H 'X-Request-Id: bad id!'
expect_header X-Request-Id "$id_re" \
	"an X-Request-Id with invalid characters is replaced by a valid one"
ok '[ "$(header X-Request-Id)" != "bad id!" ]' \
	"the invalid X-Request-Id is not echoed"

api GET /api/health/live '' -H "X-Request-Id: ${long64}b"
expect_header X-Request-Id "$id_re" "a 65-character X-Request-Id is replaced"
ok '[ "$(header X-Request-Id)" != "${long64}b" ]' \
	"the 65-character X-Request-Id is not echoed"

# Anything no responder claims reaches the fallback: NestJS's 404.
api GET /api/nope
expect_status 404
expect_ours
expect_json_raw . \
	'{"statusCode":404,"message":"Cannot GET /api/nope","error":"Not Found"}'

api POST /api/nope '{}'
expect_status 404
expect_json .message 'Cannot POST /api/nope'

api GET /
expect_status 404
expect_ours "GET / reaches the fallback, not a static file"

# A header past lighttpd's limit (8 KiB) is refused before any responder
# runs: the answer is lighttpd's, in agora's JSON (08-web-server.sh).
big=$(head -c 10000 /dev/zero | tr '\0' x)
api GET /api/health/live '' -H "X-Big: $big"
expect_status 431 "a request header over lighttpd's limit is refused (431)"
expect_lighttpd
