# 46-orders-consistent.sh: GET /api/orders answers total, the page and
# each order's items from one snapshot while the same user keeps ordering.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
o46_tag=o46$$$RANDOM
o46_dir=$API_STATE/o46
mkdir -p "$o46_dir"

o46_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || o46_admin=
TOKEN='' api POST /api/auth/signup "$(jq -nc \
	--arg e "buyer.$o46_tag@example.com" '{email: $e,
	password: "password-46", name: "buyer"}')"
o46_user=$(login "buyer.$o46_tag@example.com" password-46) || o46_user=
TOKEN=$o46_admin api POST /api/products "$(jq -nc --arg n "Item $o46_tag" \
	'{name: $n, category: "Orders test", brand: "Acme", price: 100}')"
o46_product=$(json .id)
ok '[ -n "$o46_user" ] && [ -n "$o46_product" ]' \
	"a user and a product to order"

# Writers: three loops of curl processes, each making 20 orders back to
# back on one connection, until the reader is done. Reader: one curl
# process reading the first page over and over. Every answer is checked
# afterwards.
o46_url=$BASE_URL/api/orders
o46_reads=200
o46_body=$(jq -nc --argjson p "$o46_product" \
	'{items: [{productId: $p, quantity: 1}]}')
o46_writer() {
	local urls=() i
	for ((i = 0; i < 20; i++)); do
		urls+=("$o46_url")
	done
	while [ ! -e "$o46_dir/done" ]; do
		curl -sS --max-time 30 -X POST \
			-H "Authorization: Bearer $o46_user" \
			-H 'Content-Type: application/json' \
			--data-binary "$o46_body" "${urls[@]}" >/dev/null
	done
}
o46_reader() {
	local urls=() i
	for ((i = 0; i < o46_reads; i++)); do
		urls+=("$o46_url?size=100")
	done
	curl -sS --max-time 60 -H "Authorization: Bearer $o46_user" \
		"${urls[@]}" >"$o46_dir/reads"
	: >"$o46_dir/done"
}
o46_writer &
o46_w1=$!
o46_writer &
o46_w2=$!
o46_writer &
o46_w3=$!
# The first orders exist before the reads start.
sleep 0.2
o46_reader
wait "$o46_w1" "$o46_w2" "$o46_w3"

o46_stats=$(jq -s -c '{reads: length,
	empty: [.[].items[] | select(.items == [])] | length,
	short: [.[] | select(.total >= 100 and (.items | length) < 100)] | length,
	lost: [.[] | select(.total < (.items | length))] | length}' \
	<"$o46_dir/reads" 2>/dev/null)
diag "GET /api/orders during concurrent orders: $o46_stats"
ok '[ "$(jq .reads <<<"$o46_stats")" = "$o46_reads" ]' \
	"every read during the writes answered a list"
ok '[ "$(jq .empty <<<"$o46_stats")" = 0 ]' \
	"no order read with \"items\": [] while orders are being made"
ok '[ "$(jq .short <<<"$o46_stats")" = 0 ] &&
	[ "$(jq .lost <<<"$o46_stats")" = 0 ]' \
	"total and the page agree in every read"
o46_made=$(db_sql "SELECT count(*) FROM orders o JOIN users u \
ON u.id = o.user_id WHERE u.email = 'buyer.$o46_tag@example.com'")
TOKEN=$o46_user api GET '/api/orders?size=1'
expect_json .total "$o46_made" "total counts every order made"

TOKEN=
