# 41-notifications.sh: the notifications API over rows written here, then
# (when agora-notifyd runs beside the stack) the notifications order
# events make: the seed's Korean texts.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
n41_tag=n41$$$RANDOM
n41_pw=password-$n41_tag

n41_signup() {
	TOKEN='' api POST /api/auth/signup "$(jq -nc \
		--arg e "$1.$n41_tag@example.com" --arg p "$n41_pw" \
		'{email: $e, password: $p, name: "reader"}')"
	login "$1.$n41_tag@example.com" "$n41_pw"
}

# n41_uid TOKEN: the id of the token's user.
n41_uid() {
	TOKEN=$1 api GET /api/users/me
	json .id
}

# n41_note USER N: a notification row for USER, N seconds into 2026.
n41_note() {
	db_sql "INSERT INTO notifications (user_id, type, message, event_id,
		created_at) VALUES ($1, 'ORDER_PAID', 'note $2 of $1',
		'$n41_tag-$1-$2', '2026-01-01T00:00:$(printf %02d "$2").000Z')" \
		>/dev/null
}

n41_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || n41_admin=
n41_a=$(n41_signup a) || n41_a=
n41_b=$(n41_signup b) || n41_b=
ok '[ -n "$n41_admin" ] && [ -n "$n41_a" ] && [ -n "$n41_b" ]' \
	"an admin and two users log in"
n41_aid=$(n41_uid "$n41_a")
n41_bid=$(n41_uid "$n41_b")

TOKEN=$n41_a api GET /api/notifications
expect_status 200 "a user without notifications gets 200"
expect_json_raw . '[]' "an empty array"

for n41_i in $(seq 1 25); do
	n41_note "$n41_aid" "$n41_i"
done
n41_note "$n41_bid" 30

# --- the list ------------------------------------------------------------------
TOKEN='' api GET /api/notifications
expect_status 401 "the list without a token is 401"
TOKEN=$n41_a api GET /api/notifications
expect_status 200 "a user lists their notifications"
expect_ours
expect_json 'type' array "a bare array, not {total, items}"
expect_json length 20 "the 20 newest of 25"
expect_json '[.[].message] | first + "|" + last' \
	"note 25 of $n41_aid|note 6 of $n41_aid" "newest first"
expect_json '[.[].userId] | unique' "[$n41_aid]" "only the caller's"
expect_json_raw '.[0] | keys' \
	'["createdAt","eventId","id","message","readAt","type","userId"]' \
	"a notification's fields"
expect_json '.[0].readAt' null "unread: readAt is null"
expect_json '.[0].createdAt' 2026-01-01T00:00:25.000Z
n41_first=$(json '.[0].id')
TOKEN=$n41_a api GET '/api/notifications?page=2&_=1700000000'
expect_status 200 "query parameters are ignored (the route takes none)"
expect_json '.[0].id' "$n41_first" "and change nothing: no paging"
TOKEN=$n41_b api GET /api/notifications
expect_json '[length, .[0].message]' "[1,\"note 30 of $n41_bid\"]" \
	"another user sees only theirs"
n41_bnote=$(json '.[0].id')

# --- marking one read -----------------------------------------------------------
TOKEN='' api PATCH "/api/notifications/$n41_first/read" '{}'
expect_status 401 "marking read without a token is 401"
TOKEN=$n41_a api PATCH "/api/notifications/$n41_first/read" '{}'
expect_status 200 "the user marks a notification read"
expect_json .id "$n41_first"
ok '[[ $(json .readAt) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]]' \
	"readAt is set ($(json .readAt))"
n41_read=$(json .readAt)
sleep 0.01
TOKEN=$n41_a api PATCH "/api/notifications/$n41_first/read" '{}'
expect_status 200 "marking it again is still 200"
expect_json .readAt "$n41_read" "and keeps the first readAt"
TOKEN=$n41_a api GET /api/notifications
expect_json '.[0].readAt' "$n41_read" "the list shows it read"
expect_json '.[1].readAt' null "and the others unread"

TOKEN=$n41_a api PATCH "/api/notifications/$n41_bnote/read" '{}'
expect_status 404 "someone else's notification is 404"
expect_json .message "Notification $n41_bnote not found"
TOKEN=$n41_admin api PATCH "/api/notifications/$n41_bnote/read" '{}'
expect_status 404 "an ADMIN's too: notifications are personal"
ok '[ "$(db_sql "SELECT count(*) FROM notifications WHERE id = $n41_bnote AND read_at IS NULL")" = 1 ]' \
	"and it stays unread"
TOKEN=$n41_a api PATCH /api/notifications/99999999/read '{}'
expect_status 404 "an unknown notification is 404"
TOKEN=$n41_a api PATCH /api/notifications/abc/read '{}'
expect_status 400 "a non-numeric id is a 400"
TOKEN=$n41_a api PATCH "/api/notifications/$n41_first/read" '{"readAt":null}'
expect_status 400 "a body with a property is a 400"
TOKEN=$n41_a api POST "/api/notifications/$n41_first/read" '{}'
expect_status 404 "POST is not a route"

# --- from orders, through agora-notifyd ---------------------------------------------
# n41_wait ORDER TYPE: wait for the order's TYPE notification, 10 s at
# most (how fast it comes is for make bench; this tells late from never);
# sets n41_msg, n41_ms and n41_count (how many there are).
n41_wait() {
	local t0=$(date +%s%N)
	n41_count=0
	for _ in $(seq 200); do
		n41_count=$(db_sql "SELECT count(*) FROM notifications
			WHERE type = '$2' AND event_id IN (SELECT id FROM outbox
			WHERE aggregatetype = 'order' AND aggregateid = '$1'
			AND type = '$2')")
		[ "$n41_count" = 0 ] || break
		sleep 0.05
	done
	n41_ms=$((($(date +%s%N) - t0) / 1000000))
	n41_msg=$(db_sql "SELECT message FROM notifications WHERE type = '$2'
		AND event_id IN (SELECT id FROM outbox WHERE aggregatetype =
		'order' AND aggregateid = '$1' AND type = '$2')")
}

if [ ! -s "$API_STATE/../stack/notifyd.pid" ]; then
	skip "order events become notifications" "agora-notifyd is not running"
else
	TOKEN=$n41_admin api POST /api/products "$(jq -nc \
		--arg n "Notified $n41_tag" '{name: $n, category: "Orders test",
		brand: "Acme", price: 15000}')"
	n41_p=$(json .id)
	n41_body="{\"items\":[{\"productId\":$n41_p,\"quantity\":2}]}"

	TOKEN=$n41_a api POST /api/orders "$n41_body"
	n41_o=$(json .id)
	n41_wait "$n41_o" ORDER_CREATED
	ok '[ "$n41_count" = 1 ]' \
		"an order makes one ORDER_CREATED notification ($n41_ms ms)"
	ok '[ "$n41_msg" = "주문이 생성되었습니다. 주문 번호: $n41_o, 금액: 30000원" ]' \
		"with the seed's text ($n41_msg)"
	TOKEN=$n41_a api GET /api/notifications
	expect_json '.[0].message' "$n41_msg" "the newest in the user's list"
	expect_json '.[0].type' ORDER_CREATED
	n41_new=$(json '.[0].id')
	TOKEN=$n41_b api PATCH "/api/notifications/$n41_new/read" '{}'
	expect_status 404 "someone else cannot mark it read"

	TOKEN=$n41_a api POST "/api/orders/$n41_o/pay" '{}'
	n41_wait "$n41_o" ORDER_PAID
	ok '[ "$n41_count" = 1 ] && [ "$n41_msg" = "주문이 결제되었습니다. 주문 번호: $n41_o" ]' \
		"paying makes its notification ($n41_ms ms: $n41_msg)"

	TOKEN=$n41_a api POST /api/orders "$n41_body"
	n41_c=$(json .id)
	TOKEN=$n41_a api POST "/api/orders/$n41_c/cancel" '{}'
	n41_wait "$n41_c" ORDER_CANCELLED
	ok '[ "$n41_count" = 1 ] && [ "$n41_msg" = "주문이 취소되었습니다. 주문 번호: $n41_c" ]' \
		"cancelling makes its notification ($n41_ms ms: $n41_msg)"

	# A refused move makes no event and so no notification.
	TOKEN=$n41_a api POST "/api/orders/$n41_c/pay" '{}'
	expect_status 409 "paying a cancelled order is a 409"
	sleep 0.3
	ok '[ "$(db_sql "SELECT count(*) FROM notifications WHERE event_id IN
		(SELECT id FROM outbox WHERE aggregatetype = '"'order'"'
		AND aggregateid = '"'$n41_c'"')")" = 2 ]' \
		"the 409 made no notification"
	TOKEN=$n41_b api GET /api/notifications
	expect_json length 1 "the other user got none of them"
fi

TOKEN=
