# 11-popular-cache.sh: the popular list is cache-aside under
# popular_issues:v1, and a hit runs no SQL: asserted from outside through
# Server-Timing (and redis-cli with Redis).
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
a11_redis=
case $DATABASE_URL in postgres*) a11_redis=1 ;; esac

# a11_sql: the statement count in the last Server-Timing header.
a11_sql() {
	header Server-Timing | sed -n 's/.*sql;desc="\([0-9]*\)".*/\1/p'
}

# a11_views ID N: read issue ID N times.
a11_views() {
	local i
	for ((i = 0; i < $2; i++)); do
		TOKEN='' api GET "/api/issues/$1"
	done
}

a11_user=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || a11_user=
a11_ids=()
for a11_t in first second third; do
	TOKEN=$a11_user api POST /api/issues "{\"title\":\"popular $a11_t\"}"
	a11_ids+=("$(json .id)")
done
ok '[ ${#a11_ids[@]} = 3 ] && [ -n "${a11_ids[2]}" ]' "three issues to rank"
# More views than any issue of the earlier scenarios: these lead the list.
a11_views "${a11_ids[0]}" 14
a11_views "${a11_ids[1]}" 12
a11_views "${a11_ids[2]}" 10
# A write forgets the list: whatever earlier scenarios cached is gone.
TOKEN=$a11_user api PATCH "/api/issues/${a11_ids[2]}" '{"priority":"HIGH"}'
expect_status 200 "an edit (which forgets the cached list)"

TOKEN='' api GET /api/issues/popular
expect_status 200 "GET /api/issues/popular"
expect_ours
expect_header Server-Timing '.*cache;desc=miss.*' "the first GET is a miss"
a11_n=$(a11_sql)
ok '[ "${a11_n:-0}" -gt 0 ]' "and runs SQL (sql;desc=\"$a11_n\")"
expect_json 'type' array "popular is a bare array"
expect_json '[.[0].id, .[1].id, .[2].id] | map(tostring) | join(" ")' \
	"${a11_ids[*]}" "most viewed first"
expect_json '.[0].viewCount' 14
ok '[ "$(json length)" -le 10 ]' "at most 10 issues"
expect_json '[.[] | select(.status == "CLOSED")] | length' 0 "none CLOSED"
expect_json '[.[] | [-.viewCount, .id]] == ([.[] | [-.viewCount, .id]] | sort)' \
	true "ordered by views, ties by the lower id"
a11_body=$BODY

TOKEN='' api GET /api/issues/popular
expect_status 200 "the second GET"
expect_header Server-Timing 'sql;desc="0";dur=[0-9.]+, cache;desc=hit, total;dur=[0-9.]+' \
	"the second GET is a hit that ran no SQL"
ok '[ "$BODY" = "$a11_body" ]' "and answers the same bytes"

if [ -n "$a11_redis" ]; then
	a11_ttl=$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" TTL popular_issues:v1)
	ok '[ "$a11_ttl" -gt 0 ] && [ "$a11_ttl" -le 300 ]' \
		"redis TTL popular_issues:v1 is in (0, 300]: $a11_ttl"
	ok '[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" GET popular_issues:v1)" = "$a11_body" ]' \
		"Redis holds the very bytes served"
else
	skip "redis-cli TTL popular_issues:v1" "memory cache on this pass"
	skip "Redis holds the list" "memory cache on this pass"
fi

# Views do not forget the list (docs/api.md, popular issues): still a hit, counts as cached.
a11_views "${a11_ids[2]}" 5
TOKEN='' api GET /api/issues/popular
expect_header Server-Timing '.*cache;desc=hit.*' "views alone keep the cached list"
expect_json '.[2].viewCount' 10 "whose counts are as cached"

# A PATCH that changes the ranking: the first issue is CLOSED.
TOKEN=$a11_user api PATCH "/api/issues/${a11_ids[0]}" '{"status":"CLOSED"}'
expect_status 200 "close the most viewed issue"
TOKEN='' api GET /api/issues/popular
expect_header Server-Timing '.*cache;desc=miss.*' "the next GET is a miss"
ok '[ "$(a11_sql)" -gt 0 ]' "that runs SQL again"
expect_json '[.[0].id, .[1].id] | map(tostring) | join(" ")' \
	"${a11_ids[2]} ${a11_ids[1]}" "and shows the new order"
expect_json "[.[] | select(.id == ${a11_ids[0]})] | length" 0 \
	"without the CLOSED issue"
TOKEN='' api GET /api/issues/popular
expect_header Server-Timing '.*cache;desc=hit.*' "then hits again"

TOKEN=$a11_user api DELETE "/api/issues/${a11_ids[2]}"
expect_status 204 "delete the leader"
TOKEN='' api GET /api/issues/popular
expect_header Server-Timing '.*cache;desc=miss.*' "a delete forgets the list"
expect_json '.[0].id' "${a11_ids[1]}" "the next one leads"

TOKEN=$a11_user api POST /api/issues '{"title":"popular fourth"}'
TOKEN='' api GET /api/issues/popular
expect_header Server-Timing '.*cache;desc=miss.*' "a create forgets the list"

# Every responder process of the host sees a write at once: bursts of
# parallel GETs, served by both popular-list processes, warm their copies;
# after a write none of them answers the old list.
a11_burst() {
	local i
	rm -f "$API_STATE"/a11-burst.*
	for i in $(seq 16); do
		curl -sS --max-time "$API_CURL_TIMEOUT" \
			-o "$API_STATE/a11-burst.$i" \
			"$BASE_URL/api/issues/popular" &
	done
	wait
	cat "$API_STATE"/a11-burst.* | jq -s -c '[.[] | [.[].id]] | unique'
}
for _ in 1 2 3; do a11_burst >/dev/null; done
TOKEN=$a11_user api POST /api/issues '{"title":"popular fifth"}'
a11_fifth=$(json .id)
a11_views "$a11_fifth" 40
TOKEN=$a11_user api PATCH "/api/issues/$a11_fifth" '{"priority":"LOW"}'
expect_status 200 "an edit after 40 views of a new issue"
a11_seen=$(for _ in 1 2 3; do a11_burst; done | jq -s -c 'add | unique')
ok '[ "$(jq -r --argjson id "$a11_fifth" "map(.[0] == \$id) | all" <<<"$a11_seen")" = true ]' \
	"48 parallel GETs after the write all lead with it" ||
	diag "lists seen: $a11_seen"

TOKEN='' api GET /api/issues/popular
a11_plain=$(json '[.[].id]')
TOKEN='' api GET '/api/issues/popular?size=5&_=1700000000'
expect_status 200 "popular takes no query parameters and ignores them"
expect_json '[.[].id]' "$a11_plain" "the same list as without them"
TOKEN='' api POST /api/issues/popular '{}'
expect_status 404 "POST /api/issues/popular is no route"

TOKEN=
