# 50-docs.sh: the API's description (GET /api/docs-json; the Swagger UI
# page of GET /api/docs, in headless Chromium on the sqlite pass), gzip
# compression by the web server, and CORS (off on the run's stack; on in
# a second stack, on the sqlite pass: CORS lives in lib/, the same for
# every backend).
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
a50_dir=$API_STATE/a50
mkdir -p "$a50_dir"
a50_doc=$srcdir/docs/openapi.json

# --- the document -------------------------------------------------------------
api GET /api/docs-json
expect_status 200
expect_ours
ok 'cmp -s "$API_BODY" "$a50_doc"' \
	"GET /api/docs-json answers docs/openapi.json byte for byte"
expect_json .openapi 3.1.0

# --- the Swagger UI page ------------------------------------------------------
a50_ui=
if [ -f "${SWAGGER_UI_DIR:-/nonexistent}/swagger-ui-bundle.js" ]; then
	a50_ui=1
	api GET /api/docs
	expect_status 200
	expect_header Content-Type 'text/html; charset=utf-8'
	ok 'grep -q "url: \"/api/docs-json\"" "$API_BODY"' \
		"the page loads /api/docs-json"
	api GET /api/docs/swagger-ui-bundle.js
	expect_status 200
	expect_header Content-Type 'text/javascript; charset=utf-8'
	ok 'cmp -s "$API_BODY" "$SWAGGER_UI_DIR/swagger-ui-bundle.js"' \
		"the bundle is swagger-ui-dist's"
	api GET /api/docs/swagger-ui.css
	expect_status 200
	expect_header Content-Type 'text/css; charset=utf-8'
elif [ "${CI:-}" = true ]; then
	_tap "not ok" "swagger-ui-dist is in SWAGGER_UI_DIR (CI=true)"
	diag "SWAGGER_UI_DIR=${SWAGGER_UI_DIR:-}: run script/bootstrap"
else
	skip "the Swagger UI page" \
		"swagger-ui-dist not in SWAGGER_UI_DIR (script/bootstrap)"
fi
api GET /api/docs/index.html
expect_status 404 "a file that is not the page's is a 404"
expect_json .message "Cannot GET /api/docs/index.html"
api GET /api/docs/..%2f..%2fdocs-json
expect_status 404 "no way out of the directory"
expect_ours

# --- compression --------------------------------------------------------------
# (bash warns of the NUL bytes when lib.sh reads a gzip body into a
# variable: quieted here.)
{
api GET /api/docs-json '' -H 'Accept-Encoding: gzip'
expect_status 200
expect_header Content-Encoding gzip "a large JSON answer is gzip-compressed"
expect_header Vary '(.*, *)?Accept-Encoding(, *.*)?'
} 2>/dev/null
ok 'gzip -dc <"$API_BODY" 2>/dev/null | cmp -s - "$a50_doc"' \
	"it decompresses to the document"
api GET /api/docs-json
expect_no_header Content-Encoding "not compressed without Accept-Encoding"
ok 'cmp -s "$API_BODY" "$a50_doc"' "the plain answer is the document"
api GET /api/health/live '' -H 'Accept-Encoding: gzip'
expect_status 200
expect_no_header Content-Encoding "an answer under 1 KiB is not compressed"
api GET /api/nope '' -H 'Accept-Encoding: gzip'
expect_status 404
expect_no_header Content-Encoding "a small error is not compressed"

# A search answer over 1 KiB.
TOKEN=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || TOKEN=
a50_word=gzipword$$$RANDOM
a50_desc=$(printf 'A long description to make the answer large. %.0s' \
	$(seq 12))
for a50_i in 1 2 3; do
	api POST /api/products "$(jq -nc --arg n "$a50_word kettle $a50_i" \
		--arg d "$a50_desc" '{name: $n, description: $d,
		category: "Kitchen", brand: "Acme", price: 1000}')"
done
TOKEN=
settle
{
api GET "/api/search/products?q=$a50_word" '' -H 'Accept-Encoding: gzip'
expect_status 200
expect_header Content-Encoding gzip "a search answer over 1 KiB is gzip-compressed"
} 2>/dev/null
ok '[ "$(gzip -dc <"$API_BODY" | jq .total)" = 3 ]' \
	"it decompresses to the three matches"

# --- CORS off -------------------------------------------------------------------
api OPTIONS /api/products '' -H 'Origin: https://shop.example' \
	-H 'Access-Control-Request-Method: POST'
expect_status 404 "CORS off: a preflight is an unknown route"
expect_no_header Access-Control-Allow-Origin
api GET /api/health/live '' -H 'Origin: https://shop.example'
expect_status 200
expect_no_header Access-Control-Allow-Origin "CORS off: no Allow-Origin"

# CORS_ORIGINS=*, on the responder run as plain CGI: every origin.
a50_out=$(env -i PATH="$PATH" ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
	UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" DATABASE_URL="$DATABASE_URL" \
	CORS_ORIGINS='*' GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=OPTIONS \
	REQUEST_URI=/api/health HTTP_ORIGIN=https://any.example \
	"$AGORA_BUILDDIR/cgi-bin/health" </dev/null 2>"$a50_dir/cgi.err" |
	tr -d '\r')
ok 'grep -qx "Status: 204 No Content" <<<"$a50_out" &&
	grep -qx "Access-Control-Allow-Origin: \*" <<<"$a50_out" &&
	! grep -q "^Vary:" <<<"$a50_out"' \
	"CORS_ORIGINS=*: a preflight is 204 with Allow-Origin: * and no Vary"

if [ "$API_BACKEND" = sqlite ]; then
	# --- CORS on: a second stack with a list of origins -------------------
	a50_base=$BASE_URL
	a50_up=
	a50_cleanup() {
		if [ -n "$a50_up" ]; then
			"$srcdir/lighttpd/stack" stop "$a50_dir/stack"
			a50_up=
		fi
	}
	trap a50_cleanup EXIT
	BASE_URL=$(CORS_ORIGINS='https://shop.example, http://localhost:5173' \
		AGORA_MAX_PROCS=1 "$srcdir/lighttpd/stack" start \
		"$a50_dir/stack" 2>"$a50_dir/start.log")
	ok '[ -n "$BASE_URL" ]' "a stack with CORS_ORIGINS ($BASE_URL)" &&
		a50_up=1
	[ -n "$a50_up" ] || diag "$(cat "$a50_dir/start.log")"

	api OPTIONS /api/orders '' -H 'Origin: http://localhost:5173' \
		-H 'Access-Control-Request-Method: POST' \
		-H 'Access-Control-Request-Headers: authorization,idempotency-key,content-type'
	expect_status 204 "a preflight from a listed origin is 204"
	expect_header Access-Control-Allow-Origin 'http://localhost:5173'
	expect_header Access-Control-Allow-Methods 'GET,HEAD,PUT,PATCH,POST,DELETE'
	expect_header Access-Control-Allow-Headers \
		'.*Authorization.*' "Authorization may be sent"
	expect_header Access-Control-Allow-Headers \
		'.*Idempotency-Key.*' "Idempotency-Key may be sent"
	expect_header Access-Control-Max-Age '[0-9]+'
	expect_header Vary '(.*, *)?Origin(, *.*)?'
	api OPTIONS /api/orders '' -H 'Origin: https://evil.example' \
		-H 'Access-Control-Request-Method: POST'
	expect_status 204 "a preflight from another origin is answered too"
	expect_no_header Access-Control-Allow-Origin \
		"... without Access-Control-Allow-Origin: the browser refuses"

	api GET /api/health/live '' -H 'Origin: https://shop.example'
	expect_status 200
	expect_header Access-Control-Allow-Origin 'https://shop.example'
	expect_header Vary '(.*, *)?Origin(, *.*)?'
	expect_header Access-Control-Expose-Headers \
		'.*X-Request-Id.*' "X-Request-Id is exposed"
	expect_header Access-Control-Expose-Headers \
		'.*Server-Timing.*' "Server-Timing is exposed"
	api GET /api/users/me '' -H 'Origin: https://shop.example'
	expect_status 401
	expect_header Access-Control-Allow-Origin 'https://shop.example' \
		"an error carries Allow-Origin too (the client can read it)"
	api GET /api/health/live '' -H 'Origin: https://evil.example'
	expect_status 200
	expect_no_header Access-Control-Allow-Origin \
		"an origin not listed gets no Allow-Origin"
	expect_header Vary '(.*, *)?Origin(, *.*)?' \
		"... and Vary: Origin, for caches"
	a50_cleanup
	BASE_URL=$a50_base

	# --- Swagger UI in a real browser --------------------------------------
	if [ -n "$a50_ui" ]; then
		a50_shot=$AGORA_BUILDDIR/tests/api/swagger-ui.png
		a50_log=$("$srcdir/tests/helpers/swagger-ui-check" "$BASE_URL" \
			"$a50_doc" "$a50_shot" 2>&1)
		a50_rc=$?
		ok '[ "$a50_rc" -eq 0 ]' "headless Chromium loads /api/docs" ||
			diag "$a50_log"
		while IFS= read -r a50_line; do
			case $a50_line in
			"ok - "*) _tap ok "Swagger UI: ${a50_line#ok - }" ;;
			"not ok - "*)
				_tap "not ok" "Swagger UI: ${a50_line#not ok - }" ;;
			"# "*) echo "$a50_line" ;;
			esac
		done <<<"$a50_log"
		ok '[ -s "$a50_shot" ]' "the screenshot is kept: $a50_shot"
	fi
fi
