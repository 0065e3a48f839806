# 40-orders.sh: orders: made at the catalogue's prices, read, paid and
# cancelled by their user (or an ADMIN), Idempotency-Key, and the outbox
# event every change writes in its transaction.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
o40_tag=o40$$$RANDOM
o40_pw=password-$o40_tag

# o40_has MSG: the last response's message (array or string) contains MSG.
o40_has() {
	[ "$(jq --arg m "$1" '.message | if type == "array" then
		index($m) != null else . == $m end' <"$API_BODY" 2>/dev/null)" = true ]
}

# o40_signup NAME: a new USER; prints its token.
o40_signup() {
	TOKEN='' api POST /api/auth/signup "$(jq -nc \
		--arg e "$1.$o40_tag@example.com" --arg p "$o40_pw" \
		'{email: $e, password: $p, name: "shopper"}')"
	login "$1.$o40_tag@example.com" "$o40_pw"
}

# o40_product PRICE [STATUS]: a product made by the admin; prints its id.
o40_product() {
	TOKEN=$o40_admin api POST /api/products "$(jq -nc \
		--arg n "Item $o40_tag $1" --argjson p "$1" \
		--arg s "${2:-ACTIVE}" '{name: $n, category: "Orders test",
		brand: "Acme", price: $p, status: $s}')"
	json .id
}

# o40_events ORDER: the types of the order's outbox rows, in outbox
# order, space-separated.
o40_events() {
	db_sql "SELECT type FROM outbox WHERE aggregatetype = 'order' \
AND aggregateid = '$1' ORDER BY seq" | tr '\n' ' ' | sed 's/ $//'
}

# o40_payload ORDER TYPE: the payload of the order's event of TYPE.
o40_payload() {
	db_sql "SELECT payload FROM outbox WHERE aggregatetype = 'order' \
AND aggregateid = '$1' AND type = '$2'"
}

o40_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || o40_admin=
o40_user=$(o40_signup u) || o40_user=
o40_other=$(o40_signup v) || o40_other=
ok '[ -n "$o40_admin" ] && [ -n "$o40_user" ] && [ -n "$o40_other" ]' \
	"an admin and two users log in"
TOKEN=$o40_user api GET /api/users/me
o40_uid=$(json .id)

o40_p1=$(o40_product 12000)
o40_p2=$(o40_product 3500)
o40_off=$(o40_product 999 INACTIVE)
ok '[ -n "$o40_p1" ] && [ -n "$o40_p2" ] && [ -n "$o40_off" ]' \
	"the admin makes three products"

# --- permissions ------------------------------------------------------------
o40_body="{\"items\":[{\"productId\":$o40_p1,\"quantity\":2}]}"
TOKEN='' api POST /api/orders "$o40_body"
expect_status 401 "an order without a token is 401"
TOKEN='' api GET /api/orders
expect_status 401 "listing orders without a token is 401"
TOKEN='' api GET /api/orders/1
expect_status 401 "reading an order without a token is 401"
TOKEN='' api POST /api/orders/1/pay '{}'
expect_status 401 "paying without a token is 401"

# --- create: prices from the database -----------------------------------------
o40_before=$(db_sql "SELECT count(*) FROM outbox WHERE aggregatetype = 'order'")
TOKEN=$o40_user api POST /api/orders "{\"items\":[
	{\"productId\":$o40_p1,\"quantity\":2,\"price\":1},
	{\"productId\":$o40_p2,\"quantity\":3}]}"
expect_status 201 "a user makes an order"
expect_ours
o40_id=$(json .id)
expect_json .status PENDING "a new order is PENDING"
expect_json .userId "$o40_uid" "the order is the caller's"
expect_json .totalAmount $((12000 * 2 + 3500 * 3)) \
	"the total comes from the catalogue's prices (a price in the body is ignored)"
expect_json_raw '[.items[] | {productId, quantity, price}]' \
	"[{\"productId\":$o40_p1,\"quantity\":2,\"price\":12000},
	  {\"productId\":$o40_p2,\"quantity\":3,\"price\":3500}]" \
	"each item keeps the price at order time"
expect_json_raw keys '["createdAt","id","items","status","totalAmount",
"updatedAt","userId"]' "the order's fields"
expect_header Content-Type 'application/json.*'

ok '[ "$(o40_events "$o40_id")" = ORDER_CREATED ]' \
	"the order wrote one ORDER_CREATED outbox row"
o40_ev=$(o40_payload "$o40_id" ORDER_CREATED)
o40_evid=$(db_sql "SELECT id FROM outbox WHERE aggregatetype = 'order' \
AND aggregateid = '$o40_id' AND type = 'ORDER_CREATED'")
ok '[ "$(jq -c "{eventType, orderId, userId, totalAmount}" <<<"$o40_ev")" = \
"{\"eventType\":\"ORDER_CREATED\",\"orderId\":$o40_id,\"userId\":$o40_uid,\"totalAmount\":34500}" ]' \
	"the event payload names the order, its user and its total"
ok '[ "$(jq -r .eventId <<<"$o40_ev")" = "$o40_evid" ]' \
	"the payload's eventId is the outbox row's id"
ok '[ "$(jq -r "keys | join(\",\")" <<<"$o40_ev")" = \
"eventId,eventType,orderId,timestamp,totalAmount,userId" ]' \
	"the payload has exactly the seed's fields"
ok '[[ $(jq -r .timestamp <<<"$o40_ev") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]]' \
	"the event timestamp is ISO 8601 UTC"

# A price change later leaves the order as it was.
TOKEN=$o40_admin api PATCH "/api/products/$o40_p1" '{"price":1}'
TOKEN=$o40_user api GET "/api/orders/$o40_id"
expect_status 200 "the user reads the order"
expect_json .totalAmount 34500 "a later price change does not touch the order"
expect_json '.items[0].price' 12000
TOKEN=$o40_admin api PATCH "/api/products/$o40_p1" '{"price":12000}'

# --- validation -----------------------------------------------------------------
for o40_case in \
	'{}|items should not be empty' \
	'{"items":[]}|items must contain at least 1 elements' \
	'{"items":{}}|items must be an array' \
	"{\"items\":[{\"productId\":$o40_p1,\"quantity\":0}]}|items.0.quantity must not be less than 1" \
	"{\"items\":[{\"productId\":$o40_p1,\"quantity\":1001}]}|items.0.quantity must not be greater than 1000" \
	"{\"items\":[{\"productId\":$o40_p1,\"quantity\":\"2\"}]}|items.0.quantity must be an integer number" \
	"{\"items\":[{\"productId\":$o40_p1,\"quantity\":1.5}]}|items.0.quantity must be an integer number" \
	'{"items":[{"quantity":1}]}|items.0.productId should not be empty' \
	'{"items":[{"productId":0,"quantity":1}]}|items.0.productId must not be less than 1' \
	"{\"items\":[{\"productId\":$o40_p1,\"quantity\":1,\"color\":\"red\"}]}|items.0.property color should not exist" \
	'{"items":[7]}|items.0 must be an object' \
	"{\"items\":[{\"productId\":$o40_p1,\"quantity\":1}],\"status\":\"PAID\"}|property status should not exist" \
	"{\"items\":[{\"productId\":$o40_p1,\"quantity\":1}],\"userId\":1}|property userId should not exist" \
	"{\"items\":[{\"productId\":$o40_p1,\"quantity\":1},{\"productId\":$o40_p1,\"quantity\":2}]}|items.1.productId $o40_p1 appears more than once"; do
	TOKEN=$o40_user api POST /api/orders "${o40_case%%|*}"
	ok '[ "$STATUS" = 400 ] && o40_has "${o40_case#*|}"' \
		"${o40_case%%|*} is a 400: ${o40_case#*|}"
done
o40_many=$(jq -nc --argjson p "$o40_p1" '{items: [range(101) | {productId: ($p + 1000000 + .), quantity: 1}]}')
TOKEN=$o40_user api POST /api/orders "$o40_many"
ok '[ "$STATUS" = 400 ] && o40_has "items must contain no more than 100 elements"' \
	"101 items is a 400"
o40_hundred=$(jq -nc --argjson a "$o40_p1" --argjson b "$o40_p2" \
	'{items: [{productId: $a, quantity: 1000}, {productId: $b, quantity: 1}]}')
TOKEN=$o40_user api POST /api/orders "$o40_hundred"
expect_status 201 "a quantity of 1000 is accepted"
TOKEN=$o40_user api POST /api/orders '{"items":[{"productId":99999999,"quantity":1}]}'
expect_status 400 "an unknown product is a 400"
expect_json .message "Product 99999999 is not available" "naming the product"
TOKEN=$o40_user api POST /api/orders \
	"{\"items\":[{\"productId\":$o40_p1,\"quantity\":1},{\"productId\":$o40_off,\"quantity\":1}]}"
expect_status 400 "an INACTIVE product is a 400"
expect_json .message "Product $o40_off is not available" "naming it"
TOKEN=$o40_user api POST /api/orders '{"items":['
expect_status 400 "malformed JSON is a 400"
TOKEN=$o40_user api POST /api/orders "" --data-binary "$o40_body" \
	-H 'Content-Type: text/plain'
expect_status 415 "a body that is not JSON is a 415"
o40_n=$(db_sql "SELECT count(*) FROM outbox WHERE aggregatetype = 'order'")
ok '[ "$o40_n" = $((o40_before + 2)) ]' \
	"refused orders wrote no event ($o40_n events, $o40_before before)"

# --- reads: mine, someone else's, an ADMIN ------------------------------------------
TOKEN=$o40_user api GET /api/orders
expect_status 200 "the user lists their orders"
expect_json .total 2 "both of their orders"
ok '[ "$(json "[.items[].id] | .[0] > .[1]")" = true ]' "newest first"
expect_json '.items[1].id' "$o40_id" "the first order comes last"
expect_json '.items[1].items | length' 2 "listed orders carry their items"
TOKEN=$o40_user api GET '/api/orders?size=1&page=2'
expect_json '[.total, (.items | length), .items[0].id]' "[2,1,$o40_id]" \
	"page and size"
TOKEN=$o40_user api GET '/api/orders?size=101'
expect_status 400 "size 101 is a 400"
TOKEN=$o40_user api GET '/api/orders?status=PAID'
expect_status 400 "an unknown query parameter is a 400"
TOKEN=$o40_other api GET /api/orders
expect_json_raw . '{"total":0,"items":[]}' "another user's list is empty"
TOKEN=$o40_other api GET "/api/orders/$o40_id"
expect_status 404 "someone else's order is 404"
expect_json .message "Order $o40_id not found"
TOKEN=$o40_user api GET /api/orders/99999999
expect_status 404 "an unknown order is 404"
TOKEN=$o40_user api GET /api/orders/abc
expect_status 400 "a non-numeric id is a 400"
TOKEN=$o40_admin api GET "/api/orders/$o40_id"
expect_status 200 "an ADMIN reads anyone's order"
expect_json .id "$o40_id"

# --- pay and cancel ------------------------------------------------------------------
TOKEN=$o40_other api POST "/api/orders/$o40_id/pay" '{}'
expect_status 404 "someone else cannot pay my order (404)"
TOKEN=$o40_other api POST "/api/orders/$o40_id/cancel" '{}'
expect_status 404 "someone else cannot cancel my order (404)"
TOKEN=$o40_user api POST "/api/orders/$o40_id/pay" '{}'
expect_status 201 "the user pays the order"
expect_json .status PAID
expect_json '.items | length' 2 "the answer carries the items"
TOKEN=$o40_user api POST "/api/orders/$o40_id/pay" '{}'
expect_status 409 "paying twice is a 409"
expect_json .message "Order $o40_id is PAID"
expect_json .error Conflict
TOKEN=$o40_user api POST "/api/orders/$o40_id/cancel" '{}'
expect_status 409 "cancelling a paid order is a 409"
expect_json .message "Order $o40_id is PAID"
ok '[ "$(o40_events "$o40_id")" = "ORDER_CREATED ORDER_PAID" ]' \
	"paying wrote ORDER_PAID after ORDER_CREATED, the 409s nothing"
ok '[ "$(jq -c "{eventType, orderId, userId, totalAmount}" <<<"$(o40_payload "$o40_id" ORDER_PAID)")" = \
"{\"eventType\":\"ORDER_PAID\",\"orderId\":$o40_id,\"userId\":$o40_uid,\"totalAmount\":34500}" ]' \
	"the ORDER_PAID payload"

TOKEN=$o40_user api POST /api/orders "$o40_body"
o40_c=$(json .id)
TOKEN=$o40_user api POST "/api/orders/$o40_c/cancel" '{}'
expect_status 201 "the user cancels an order"
expect_json .status CANCELLED
TOKEN=$o40_user api POST "/api/orders/$o40_c/pay" '{}'
expect_status 409 "paying a cancelled order is a 409"
expect_json .message "Order $o40_c is CANCELLED"
ok '[ "$(o40_events "$o40_c")" = "ORDER_CREATED ORDER_CANCELLED" ]' \
	"cancelling wrote ORDER_CANCELLED"

TOKEN=$o40_user api POST /api/orders "$o40_body"
o40_a=$(json .id)
TOKEN=$o40_admin api POST "/api/orders/$o40_a/pay" '{}'
expect_status 201 "an ADMIN pays anyone's order"
expect_json .userId "$o40_uid" "it stays the user's order"
ok '[ "$(jq -r .userId <<<"$(o40_payload "$o40_a" ORDER_PAID)")" = "$o40_uid" ]' \
	"the event names the order's user, not the ADMIN"
TOKEN=$o40_user api POST /api/orders/99999999/cancel '{}'
expect_status 404 "cancelling an unknown order is 404"
TOKEN=$o40_user api POST "/api/orders/$o40_c/cancel" '{"reason":"x"}'
expect_status 400 "a property in a pay or cancel body is a 400"
ok 'o40_has "property reason should not exist"' "naming it"

# Two payments at once: exactly one wins, one event.
TOKEN=$o40_user api POST /api/orders "$o40_body"
o40_r=$(json .id)
for o40_i in 1 2 3 4; do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 -X POST \
		-H "Authorization: Bearer $o40_user" \
		-H 'Content-Type: application/json' --data-binary '{}' \
		"$BASE_URL/api/orders/$o40_r/pay" >"$API_STATE/o40.race.$o40_i" &
done
wait
o40_codes=$(cat "$API_STATE"/o40.race.* | sort | tr '\n' ' ')
ok '[ "$o40_codes" = "201 409 409 409 " ]' \
	"four concurrent payments: one 201, three 409 ($o40_codes)"
ok '[ "$(o40_events "$o40_r")" = "ORDER_CREATED ORDER_PAID" ]' \
	"and one ORDER_PAID event"

# --- Idempotency-Key ---------------------------------------------------------------
o40_key=key-$o40_tag
TOKEN=$o40_user api POST /api/orders "$o40_body" -H "Idempotency-Key: $o40_key"
expect_status 201 "an order with an Idempotency-Key"
o40_k=$(json .id)
o40_n=$(db_sql "SELECT count(*) FROM orders")
TOKEN=$o40_user api POST /api/orders \
	"{ \"items\" : [ {\"quantity\":2, \"productId\":$o40_p1, \"price\":5} ] }" \
	-H "Idempotency-Key: $o40_key"
expect_status 201 "the retry answers 201 as the first time"
expect_json .id "$o40_k" "with the first order"
expect_header Idempotent-Replayed true
ok '[ "$(db_sql "SELECT count(*) FROM orders")" = "$o40_n" ]' \
	"the retry made no second order"
ok '[ "$(o40_events "$o40_k")" = ORDER_CREATED ]' "nor a second event"
TOKEN=$o40_user api POST "/api/orders/$o40_k/pay" '{}'
TOKEN=$o40_user api POST /api/orders "$o40_body" -H "Idempotency-Key: $o40_key"
expect_status 201 "a retry after paying still answers the order"
expect_json '[.id, .status]' "[$o40_k,\"PAID\"]" "as it is now"
TOKEN=$o40_user api POST /api/orders \
	"{\"items\":[{\"productId\":$o40_p1,\"quantity\":3}]}" \
	-H "Idempotency-Key: $o40_key"
expect_status 409 "the same key with a different body is a 409"
expect_json .message "Idempotency-Key was already used with a different request"
TOKEN=$o40_other api POST /api/orders "$o40_body" -H "Idempotency-Key: $o40_key"
expect_status 201 "another user's same key is their own"
ok '[ "$(json .id)" != "$o40_k" ] && [ "$(json .userId)" != "$o40_uid" ]' \
	"and makes their own order"
TOKEN=$o40_user api POST /api/orders "$o40_body" \
	-H "Idempotency-Key: $(head -c 256 /dev/zero | tr '\0' k)"
expect_status 400 "a 256-character key is a 400"
ok 'o40_has "Idempotency-Key must be 1 to 255 visible ASCII characters"' \
	"saying what a key may be"
TOKEN=$o40_user api POST /api/orders "{\"items\":[]}" \
	-H "Idempotency-Key: $o40_key"
expect_status 400 "a used key with an invalid body is still a 400"

# The same key sent by eight clients at once: one order.
o40_key2=race-$o40_tag
for o40_i in 1 2 3 4 5 6 7 8; do
	curl -s -o "$API_STATE/o40.idem.$o40_i" --max-time 10 -X POST \
		-H "Authorization: Bearer $o40_user" \
		-H 'Content-Type: application/json' \
		-H "Idempotency-Key: $o40_key2" --data-binary "$o40_body" \
		"$BASE_URL/api/orders" &
done
wait
o40_ids=$(cat "$API_STATE"/o40.idem.* | jq -r .id | sort -u | tr '\n' ' ')
ok '[ "$(wc -w <<<"$o40_ids")" = 1 ] && [ "$o40_ids" != "null " ]' \
	"eight concurrent requests with one key answer one order ($o40_ids)"
ok '[ "$(db_sql "SELECT count(*) FROM orders WHERE idempotency_key = '"'$o40_key2'"'")" = 1 ]' \
	"and the database holds one"

TOKEN=
