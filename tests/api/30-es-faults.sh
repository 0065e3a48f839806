# 30-es-faults.sh: Elasticsearch faults and the index's consistency, in the
# es pass only (the stub's control port, agora-indexd running): ES down or
# slow, 429 and 400 on bulk items, a stale event replayed, a reindex while
# products change, and the alias swap that drops stale documents.
# shellcheck shell=bash disable=SC2016,SC2034

if [ "${API_BACKEND:-}" != es ]; then
	skip "Elasticsearch fault scenarios" "only in the es pass"
	return 0
fi

TOKEN=
w30=esf$$$RANDOM
a30=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || a30=
ok '[ -n "$a30" ]' "the admin logs in"

# e30_fault JSON: set faults on the stub ("reset" clears them all).
e30_fault() {
	if [ "$1" = reset ]; then
		curl -sf --max-time 5 -X POST "$ES_STUB_CTL/_stub/reset" >/dev/null
	else
		curl -sf --max-time 5 -X POST "$ES_STUB_CTL/_stub/fault" \
			--data-binary "$1" >/dev/null
	fi
}

# e30_state JQ: a field of the stub's state.
e30_state() {
	curl -sf --max-time 5 "$ES_STUB_CTL/_stub/state" | jq -r "$1"
}

# e30_doc ID JQ: a field of the document ID as Elasticsearch holds it.
e30_doc() {
	curl -s --max-time 5 "$ELASTICSEARCH_NODE/products/_doc/$1" |
		jq -r "$2"
}

# e30_new NAME [PRICE]: create an ACTIVE product, print its id.
e30_new() {
	TOKEN=$a30 api POST /api/products "$(jq -nc --arg n "$1" \
		--argjson p "${2:-1000}" '{name: $n, description: "fault test",
		category: "Faults", brand: "Stub", price: $p}')"
	[ "$STATUS" = 201 ] || echo "# create $1 failed: $(_last)" >&2
	json .id
}

# e30_search Q: the sorted ids a search for Q finds ("" for none).
e30_search() {
	TOKEN='' api GET "/api/search/products?q=$1&size=100"
	json '[.items[].id] | sort | map(tostring) | join(" ")'
}

# e30_ids ID...: the ids sorted as e30_search prints them.
e30_ids() {
	printf '%s\n' "$@" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# --- Elasticsearch down -----------------------------------------------------------
keep=$(e30_new "$w30 keep")
edit=$(e30_new "$w30 edit")
gone=$(e30_new "$w30 gone")
settle
ok '[ "$(e30_search "$w30")" = "$(e30_ids "$keep" "$edit" "$gone")" ]' \
	"three products are searchable"

e30_fault '{"down":true}'
ok '! curl -s --max-time 2 "$ELASTICSEARCH_NODE/" >/dev/null' \
	"the stub is down: its port refuses connections"
made=$(e30_new "$w30 made while down")
ok '[ -n "$made" ] && [ "$made" != null ]' "ES down: create still answers 201"
TOKEN=$a30 api PATCH "/api/products/$edit" "{\"name\":\"$w30 edited\"}"
expect_status 200 "ES down: update still answers 200"
TOKEN=$a30 api DELETE "/api/products/$gone"
expect_status 204 "ES down: delete still answers 204"
TOKEN=$a30 api GET "/api/products/$made"
expect_json .name "$w30 made while down" "the database has the new product"

TOKEN='' api GET "/api/search/products?q=$w30"
expect_status 503 "ES down: search answers 503"
expect_ours
expect_json_raw . \
	'{"statusCode":503,"message":"Search is unavailable","error":"Service Unavailable"}' \
	"the 503 says search is unavailable, NestJS-shaped"
ok '! grep -qi -e elastic -e curl -e 127.0.0.1 -e refused "$API_BODY"' \
	"the 503 names no internals"
TOKEN='' api GET /api/health
expect_status 503 "ES down: health is 503"
expect_json .error.search.status down "the search entry is down"
expect_json .info.database.status up "the database is still up"

e30_fault '{"down":false}'
settle
ok '[ "$(e30_search "$w30")" = "$(e30_ids "$keep" "$edit" "$made")" ]' \
	"ES back: indexd caught up by itself (created in, deleted out)"
ok '[ "$(e30_doc "$edit" ._source.name)" = "$w30 edited" ]' \
	"the update made while ES was down is indexed"
TOKEN='' api GET /api/health
expect_status 200 "ES back: health is 200"
expect_json .info.search.status up "the search entry is up"
expect_json .info.search.backend elasticsearch \
	"the search entry names Elasticsearch"

# --- slow: every call has a timeout -------------------------------------------------
# Timed by the responder itself (Server-Timing total), which a busy
# machine slows far less than curl's start and lighttpd's queue: about
# ES_TIMEOUT_MS (1 s) with the timeout, at least the stub's 3 s without.
e30_fault '{"slow_ms":3000}'
TOKEN='' api GET "/api/search/products?q=$w30"
ms=$(header Server-Timing | sed -n 's/.*total;dur=\([0-9]*\).*/\1/p')
expect_status 503 "ES slower than ES_TIMEOUT_MS: search answers 503"
expect_json .message "Search is unavailable" "... Search is unavailable"
ok '[ -n "$ms" ] && [ "$ms" -lt 2500 ]' \
	"within the timeout, not ES's pace (${ms:-?} ms)"
e30_fault reset
# The stub answers the calls it held; let them drain.
sleep 3

# --- 429 on bulk items: retried until indexed ------------------------------------
r429=$(e30_state .rejected_429)
e30_fault '{"bulk_429_every":2}'
b1=$(e30_new "${w30}busy one")
b2=$(e30_new "${w30}busy two")
b3=$(e30_new "${w30}busy three")
b4=$(e30_new "${w30}busy four")
settle
ok '[ "$(e30_state .rejected_429)" -gt "$r429" ]' \
	"the stub answered 429 to some items"
e30_fault reset
settle
ok '[ "$(e30_search "${w30}busy")" = "$(e30_ids "$b1" "$b2" "$b3" "$b4")" ]' \
	"every item that met a 429 was retried and indexed"
ok '[ "$(db_sql "SELECT count(*) FROM index_failures")" = 0 ]' \
	"a 429 is never recorded as a failure"

# --- 400 on an item: recorded, never silently dropped ----------------------------
next=$(db_sql "SELECT seq + 1 FROM sqlite_sequence WHERE name = 'products'")
e30_fault "{\"bulk_400_ids\":[\"$next\"]}"
bad=$(e30_new "$w30 rejected")
ok '[ "$bad" = "$next" ]' "the product the stub rejects is $bad"
settle
ok '[ "$(db_sql "SELECT count(*) FROM index_failures WHERE aggregateid = '"'$bad'"' AND status = 400")" = 1 ]' \
	"the rejected event is recorded in index_failures"
ok '[ "$(e30_doc "$bad" .found)" = false ]' "and it is not in the index"
e30_fault reset
TOKEN=$a30 api PATCH "/api/products/$bad" "{\"price\":1001}"
expect_status 200 "the rejected product is updated"
settle
ok '[ "$(e30_doc "$bad" ._source.price)" = 1001 ]' \
	"its next event is indexed once ES accepts it"

# --- a stale event replayed: the newer document stays -------------------------------
stale=$(e30_new "$w30 stale v1")
TOKEN=$a30 api PATCH "/api/products/$stale" "{\"name\":\"$w30 fresh v2\"}"
settle
ok '[ "$(e30_doc "$stale" ._version)" = 2 ]' "the document is at version 2"
# Rewind indexd's cursor to before the product's first event: indexd
# replays v1, which ES must refuse (409) and indexd must take as done.
first=$(db_sql "SELECT min(seq) - 1 FROM outbox WHERE aggregatetype = 'product' AND aggregateid = '$stale'")
fails=$(db_sql "SELECT count(*) FROM index_failures")
db_sql "UPDATE outbox_offsets SET seq = $first WHERE consumer = 'indexd'"
settle
ok '[ "$(e30_doc "$stale" ._source.name)" = "$w30 fresh v2" ]' \
	"after the replay the newer name stays"
ok '[ "$(e30_doc "$stale" ._version)" = 2 ]' "and so does version 2"
ok '[ "$(db_sql "SELECT count(*) FROM index_failures")" = "$fails" ]' \
	"a 409 is success, not a failure"

# --- reindex while products change: no update lost -------------------------------
# The stub holds the reindex's alias swap: the new index is loaded, the
# old one still serves, and indexd writes the update below to the old one.
# Unless the reindex replays what changed since it began, the swap would
# lose that update.
ru=$(e30_new "$w30 racing")
settle
e30_fault '{"hold_aliases_ms":3000}'
curl -s --max-time 60 -o "$API_STATE/reindex.json" -w '%{http_code}' \
	-X POST -H "Authorization: Bearer $a30" \
	-H 'Content-Type: application/json' --data-binary '{}' \
	"$BASE_URL/api/admin/reindex/products" >"$API_STATE/reindex.code" &
rpid=$!
for _ in $(seq 100); do
	[ "$(e30_state .held)" = 1 ] && break
	sleep 0.05
done
ok '[ "$(e30_state .held)" = 1 ]' "the reindex has loaded and waits to swap"
TOKEN=$a30 api PATCH "/api/products/$ru" '{"price":2008}'
expect_status 200 "a product changes during the reindex"
settle
ok '[ "$(e30_doc "$ru" ._source.price)" = 2008 ]' \
	"indexd wrote it to the index the alias still names"
wait "$rpid"
ok '[ "$(cat "$API_STATE/reindex.code")" = 201 ]' \
	"the reindex answers 201 once the swap is through"
e30_fault reset
settle
want=$(db_sql "SELECT version FROM products WHERE id = $ru")
ok '[ "$(curl -s "$ELASTICSEARCH_NODE/_alias/products" | jq -r "keys[0]")" = "$(jq -r .index "$API_STATE/reindex.json")" ]' \
	"the alias points at the index the reindex made"
ok '[ "$(e30_doc "$ru" ._source.price)" = 2008 ]' \
	"the update made during the reindex is in the new index"
ok '[ "$(e30_doc "$ru" ._version)" = "$want" ]' \
	"at the database's version ($want)"

# --- the alias swap drops stale documents ----------------------------------------
curl -s --max-time 5 -X PUT -H 'Content-Type: application/json' \
	"$ELASTICSEARCH_NODE/products/_doc/99999999?version=1&version_type=external" \
	--data-binary "{\"id\":99999999,\"name\":\"${w30}orphan\",\"category\":\"Faults\",\"brand\":\"Stub\",\"price\":1,\"status\":\"ACTIVE\",\"created_at\":\"2026-01-01T00:00:00.000Z\"}" \
	>/dev/null
settle
ok '[ "$(e30_search "${w30}orphan")" = 99999999 ]' \
	"a document the database does not have is searchable"
old=$(curl -s "$ELASTICSEARCH_NODE/_alias/products" | jq -r 'keys[0]')
TOKEN=$a30 api POST /api/admin/reindex/products '{}'
expect_status 201 "the admin reindexes"
new=$(json .index)
ok '[ "$new" != "$old" ] && [ "${new#products_v}" -eq $((${old#products_v} + 1)) ]' \
	"into the next index ($old -> $new)"
ok '[ "$(json .indexed)" = "$(db_sql "SELECT count(*) FROM products WHERE status = '"'ACTIVE'"'")" ]' \
	"every ACTIVE product is indexed"
ok '[ -z "$(e30_search "${w30}orphan")" ]' "the stale document is gone"
ok '[ "$(e30_search "$w30")" = "$(e30_ids "$keep" "$edit" "$made" "$bad" "$stale" "$ru")" ]' \
	"the real ones are there"
ok '[ "$(e30_state ".indices | keys | join(\" \")")" = "$new" ]' \
	"the old index is deleted"
TOKEN='' api GET /api/health
expect_json .info.search.status up "search is up after the reindex"
