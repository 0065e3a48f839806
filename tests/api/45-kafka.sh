# 45-kafka.sh: the path through Kafka (the kafka pass only): orders reach
# notifications through agora-relayd, the mock broker and agora-notifyd;
# a broker outage, failing Produce requests, a relay crash between the
# delivery report and the mark, a second relay, duplicates, a poison
# message and concurrent writers lose nothing and repeat nothing; a
# consumer group started late reads from the start.
# shellcheck shell=bash disable=SC2016,SC2034

[ "$API_BACKEND" = kafka ] || return 0

k45_tag=k45$$$RANDOM
k45_relayd=$AGORA_BUILDDIR/src/agora-relayd
k45_relayd_pid=$rundir/stack/relayd.pid
k45_log=$rundir/stack/error.log

# k45_alive PID: the process runs (not a zombie).
k45_alive() {
	local line st
	read -r line 2>/dev/null </proc/"$1"/stat || return 1
	st=${line##*) }
	[ "${st%% *}" != Z ]
}

# k45_relayd_stop: SIGTERM the running agora-relayd, wait until it is gone.
k45_relayd_stop() {
	local pid
	read -r pid <"$k45_relayd_pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		k45_alive "$pid" || return 0
		sleep 0.1
	done
	return 1
}

# k45_relayd_start [VAR=value...]: a new agora-relayd with the stack's
# configuration, logging to its error log, where the stack's stop finds it.
k45_relayd_start() {
	env "$@" "$k45_relayd" </dev/null >>"$k45_log" 2>&1 &
	echo $! >"$k45_relayd_pid"
}

# k45_wait SQL VALUE [SECONDS]: wait until SQL prints VALUE (20 s: a
# consumer that lost the broker rejoins its group, which the test broker
# completes only after about 10 s).
k45_wait() {
	local got=
	for _ in $(seq $((${3:-20} * 10))); do
		got=$(db_sql "$1" 2>/dev/null)
		[ "$got" = "$2" ] && return 0
		sleep 0.1
	done
	diag "k45_wait: got '$got', expected '$2' from: $1"
	return 1
}

# k45_order: a new order of the user (2 of the product); sets k45_id.
k45_order() {
	TOKEN=$k45_user api POST /api/orders \
		"{\"items\":[{\"productId\":$k45_product,\"quantity\":2}]}"
	k45_id=$(json .id)
}

# k45_event ORDER TYPE: the outbox event id of the order's event of TYPE.
k45_event() {
	db_sql "SELECT id FROM outbox WHERE aggregatetype = 'order'
		AND aggregateid = '$1' AND type = '$2'"
}

# k45_copies TOPIC EVENTID: how many messages of TOPIC carry the event id.
k45_copies() {
	timeout 10 kcat -C -b "$KAFKA_BROKERS" -t "$1" -e -q \
		-f '%h\n' 2>/dev/null | grep -cE "(^|,)eventId=$2(,|\$)"
}

# k45_produce KEY EVENTID TYPE VALUE: one message on order-events by kcat.
k45_produce() {
	printf '%s\n' "$4" | timeout 10 kcat -P -b "$KAFKA_BROKERS" \
		-t order-events -k "$1" -H "eventId=$2" -H "type=$3" 2>&1
}

# k45_payload EVENTID TYPE ORDERID: an order event as the relay sends it.
k45_payload() {
	jq -nc --arg id "$1" --arg t "$2" --argjson o "$3" \
		--argjson u "$k45_uid" '{eventId: $id, eventType: $t,
		timestamp: "2026-01-01T00:00:00.000Z", orderId: $o,
		userId: $u, totalAmount: 1234}'
}

# k45_notes EVENTID: notifications made of the event.
k45_notes() {
	db_sql "SELECT count(*) FROM notifications WHERE event_id = '$1'"
}

TOKEN='' api POST /api/auth/signup "$(jq -nc --arg e "u.$k45_tag@example.com" \
	'{email: $e, password: "password-k45", name: "kafka"}')"
k45_uid=$(json .id)
k45_user=$(login "u.$k45_tag@example.com" password-k45) || k45_user=
k45_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || k45_admin=
TOKEN=$k45_admin api POST /api/products "$(jq -nc --arg n "Item $k45_tag" \
	'{name: $n, category: "Kafka test", brand: "Acme", price: 4500,
	status: "ACTIVE"}')"
k45_product=$(json .id)
ok '[ -n "$k45_user" ] && [ -n "$k45_admin" ] && [ -n "$k45_product" ] &&
	[ -s "$k45_relayd_pid" ] && [ -s "$rundir/stack/notifyd.pid" ]' \
	"a user, a product; relayd and notifyd running"

# --- order -> notification through Kafka ------------------------------------
# Waited for, 15 s at most: how fast it comes is a figure of make bench
# (commit-to-notification latency), shown here, not asserted.
k45_t0=$(date +%s%N)
k45_order
k45_ev=$(k45_event "$k45_id" ORDER_CREATED)
k45_msg=
for _ in $(seq 750); do
	k45_msg=$(db_sql "SELECT message FROM notifications
		WHERE event_id = '$k45_ev'")
	[ -n "$k45_msg" ] && break
	sleep 0.02
done
k45_ms=$((($(date +%s%N) - k45_t0) / 1000000))
ok '[ "$STATUS" = 201 ] && [ -n "$k45_ev" ] &&
	[ "$k45_msg" = "주문이 생성되었습니다. 주문 번호: $k45_id, 금액: 9000원" ]' \
	"order -> notification with the seed's text through Kafka (${k45_ms} ms)"
ok '[ "$(db_sql "SELECT published_at IS NOT NULL FROM outbox
	WHERE id = '\''$k45_ev'\''")" = t ]' \
	"the outbox row is marked published"
k45_line=$(timeout 10 kcat -C -b "$KAFKA_BROKERS" -t order-events -e -q \
	-f '%k|%h|%s\n' 2>/dev/null | grep "eventId=$k45_ev")
ok '[ "${k45_line%%|*}" = "$k45_id" ] &&
	[[ $k45_line == *"type=ORDER_CREATED"* ]] &&
	[ "$(printf "%s" "${k45_line#*|*|}" | jq -r .eventId)" = "$k45_ev" ]' \
	"in order-events: key = the order id, eventId and type headers"

# --- the broker down while orders are made ----------------------------------
echo down >"$KAFKA_MOCK_CTL"
sleep 0.3
k45_fail=0
k45_ids=
for _ in $(seq 10); do
	k45_order
	[ "$STATUS" = 201 ] || k45_fail=$((k45_fail + 1))
	k45_ids="$k45_ids${k45_ids:+,}'$k45_id'"
done
ok '[ "$k45_fail" = 0 ]' "broker down: every POST /api/orders still 201"
sleep 1
ok '[ "$(db_sql "SELECT count(*) FROM outbox WHERE aggregateid IN ($k45_ids)
	AND aggregatetype = '\''order'\'' AND published_at IS NULL")" = 10 ]' \
	"broker down: the 10 events wait in the outbox"
echo up >"$KAFKA_MOCK_CTL"
ok 'k45_wait "SELECT count(*) FROM notifications n JOIN outbox o
	ON o.id = n.event_id WHERE o.aggregateid IN ($k45_ids)
	AND o.aggregatetype = '\''order'\''" 10 30' \
	"broker back: the 10 events delivered and notified"
ok '[ "$(db_sql "SELECT count(*) FROM outbox WHERE aggregateid IN ($k45_ids)
	AND aggregatetype = '\''order'\'' AND published_at IS NULL")" = 0 ]' \
	"broker back: all marked published"

# --- relayd killed between the delivery report and the mark -----------------
ok 'k45_relayd_stop' "relayd stops on SIGTERM"
k45_relayd_start AGORA_RELAYD_CRASH_AFTER_DELIVERY=1
read -r k45_pid <"$k45_relayd_pid"
k45_order
k45_crash=$k45_id
k45_ev=$(k45_event "$k45_crash" ORDER_CREATED)
k45_rc=x
for _ in $(seq 100); do
	k45_alive "$k45_pid" || break
	sleep 0.1
done
if ! k45_alive "$k45_pid"; then
	wait "$k45_pid"
	k45_rc=$?
fi
ok '[ "$k45_rc" = 3 ] && [ "$(db_sql "SELECT published_at IS NULL FROM outbox
	WHERE id = '\''$k45_ev'\''")" = t ]' \
	"relayd crashed after the delivery report, before marking the row"
ok '[ "$(k45_copies order-events "$k45_ev")" = 1 ]' \
	"the event is in Kafka once"
k45_relayd_start
ok 'k45_wait "SELECT published_at IS NOT NULL FROM outbox
	WHERE id = '\''$k45_ev'\''" t' "the next relay publishes it again"
ok '[ "$(k45_copies order-events "$k45_ev")" = 2 ]' \
	"the event is in Kafka twice"
# Paying writes the next event of the same key: once its notification is
# there, the duplicate before it in the partition has been consumed.
TOKEN=$k45_user api POST "/api/orders/$k45_crash/pay" "{}"
expect_status 201 "the order is paid"
k45_paid=$(k45_event "$k45_crash" ORDER_PAID)
ok '[ -n "$k45_paid" ] && k45_wait "SELECT count(*) FROM notifications
	WHERE event_id = '\''$k45_paid'\''" 1' \
	"a later event of the order notified"
ok '[ "$(k45_notes "$k45_ev")" = 1 ]' \
	"the duplicate publish made one notification"

# --- Produce requests failing: the idempotent producer retries --------------
# NOT_ENOUGH_REPLICAS (19) is retriable: the first three Produce requests
# (API key 0) fail, the retry succeeds, and the event is there once.
echo "errors 0 19 3" >"$KAFKA_MOCK_CTL"
sleep 0.2
ok 'grep -q "^kafka-mock: errors 0 19 3$" "$rundir/kafka-mock.log"' \
	"the broker takes the errors to inject"
k45_order
k45_ev=$(k45_event "$k45_id" ORDER_CREATED)
ok 'k45_wait "SELECT count(*) FROM notifications
	WHERE event_id = '\''$k45_ev'\''" 1' \
	"Produce failing three times: the event still arrives"
ok '[ "$(k45_copies order-events "$k45_ev")" = 1 ]' \
	"and is in Kafka once"

# --- one active relay -------------------------------------------------------
"$k45_relayd" </dev/null >>"$k45_log" 2>&1 &
k45_standby=$!
sleep 1.5
k45_ids=
for _ in $(seq 5); do
	k45_order
	k45_ids="$k45_ids${k45_ids:+,}'$k45_id'"
done
ok 'k45_wait "SELECT count(*) FROM outbox WHERE aggregateid IN ($k45_ids)
	AND aggregatetype = '\''order'\'' AND published_at IS NOT NULL" 5' \
	"two relays running: the 5 events published"
k45_once=0
for k45_e in $(db_sql "SELECT id FROM outbox WHERE aggregateid IN ($k45_ids)
	AND aggregatetype = 'order'"); do
	[ "$(k45_copies order-events "$k45_e")" = 1 ] &&
		k45_once=$((k45_once + 1))
done
ok '[ "$k45_once" = 5 ]' "each once: only one relay is active ($k45_once)"
ok 'k45_relayd_stop' "the active relay stops"
echo "$k45_standby" >"$k45_relayd_pid"
k45_order
k45_ev=$(k45_event "$k45_id" ORDER_CREATED)
ok 'k45_alive "$k45_standby" && k45_wait "SELECT published_at IS NOT NULL
	FROM outbox WHERE id = '\''$k45_ev'\''" t' "the standby takes over"

# --- the same event produced twice with kcat --------------------------------
k45_key=$((900000 + RANDOM))
k45_dup=dup-$k45_tag
k45_out1=$(k45_produce "$k45_key" "$k45_dup" ORDER_CREATED \
	"$(k45_payload "$k45_dup" ORDER_CREATED "$k45_key")")
k45_out2=$(k45_produce "$k45_key" "$k45_dup" ORDER_CREATED \
	"$(k45_payload "$k45_dup" ORDER_CREATED "$k45_key")")
k45_out3=$(k45_produce "$k45_key" "$k45_dup-next" ORDER_PAID \
	"$(k45_payload "$k45_dup-next" ORDER_PAID "$k45_key")")
ok '[ -z "$k45_out1$k45_out2$k45_out3" ] &&
	[ "$(k45_copies order-events "$k45_dup")" = 2 ]' \
	"kcat produced the same event twice (and one after it)"
ok 'k45_wait "SELECT count(*) FROM notifications
	WHERE event_id = '\''$k45_dup-next'\''" 1' \
	"the event after them notified"
ok '[ "$(k45_notes "$k45_dup")" = 1 ]' \
	"the event produced twice: one notification"

# --- a poison message, then a valid one -------------------------------------
k45_key=$((900000 + RANDOM))
k45_bad=bad-$k45_tag
k45_good=good-$k45_tag
k45_produce "$k45_key" "$k45_bad" ORDER_CREATED "not json $k45_tag" >/dev/null
k45_produce "$k45_key" "$k45_good" ORDER_CREATED \
	"$(k45_payload "$k45_good" ORDER_CREATED "$k45_key")" >/dev/null
ok 'k45_wait "SELECT count(*) FROM notifications
	WHERE event_id = '\''$k45_good'\''" 1' \
	"a valid message after a poison one is processed"
ok '[ "$(k45_notes "$k45_bad")" = 0 ]' "the poison makes no notification"
k45_dlq=$(timeout 10 kcat -C -b "$KAFKA_BROKERS" -t order-events.DLQ -e -q \
	-f '%h|%s\n' 2>/dev/null | grep "not json $k45_tag")
ok '[ -n "$k45_dlq" ] && [[ $k45_dlq == *originalTopic=order-events* ]]' \
	"the poison is in order-events.DLQ with its origin"

# --- 8 clients creating orders at once --------------------------------------
TOKEN='' api POST /api/auth/signup "$(jq -nc --arg e "c.$k45_tag@example.com" \
	'{email: $e, password: "password-k45", name: "crowd"}')"
k45_cuid=$(json .id)
k45_crowd=$(login "c.$k45_tag@example.com" password-k45) || k45_crowd=
k45_dir=$API_STATE/k45
mkdir -p "$k45_dir"
k45_pids=
k45_body="{\"items\":[{\"productId\":$k45_product,\"quantity\":1}]}"
for k45_c in $(seq 8); do
	(
		for _ in $(seq 25); do
			curl -sS --max-time 10 -o /dev/null \
				-w '%{http_code}\n' \
				-H "Authorization: Bearer $k45_crowd" \
				-H 'Content-Type: application/json' \
				--data-binary "$k45_body" "$BASE_URL/api/orders"
		done >"$k45_dir/$k45_c"
	) &
	k45_pids="$k45_pids $!"
done
# shellcheck disable=SC2086
wait $k45_pids
k45_made=$(cat "$k45_dir"/[1-8] | grep -c '^201$')
ok '[ "$k45_made" = 200 ]' "8 clients made 200 orders at once ($k45_made)"
ok 'k45_wait "SELECT count(*) FROM notifications
	WHERE user_id = $k45_cuid" 200 20' "200 notifications: no event skipped"
ok '[ "$(db_sql "SELECT count(*) FROM orders o WHERE o.user_id = $k45_cuid
	AND NOT EXISTS (SELECT 1 FROM outbox x JOIN notifications n
	ON n.event_id = x.id WHERE x.aggregatetype = '\''order'\''
	AND x.aggregateid = CAST(o.id AS text))")" = 0 ]' \
	"every one of the orders has its notification"

# --- a consumer group started after the events: agora-indexd ----------------
# Every product so far went to product-events before indexd first ran; its
# new group must read them from the start.
es_stub_start "$k45_dir/es.url" 2>>"$k45_log"
k45_stub_pid=$ES_STUB_PID
k45_es=$ES_STUB_NODE
ELASTICSEARCH_NODE=$k45_es "$AGORA_BUILDDIR/src/agora-indexd" \
	</dev/null >>"$k45_log" 2>&1 &
k45_indexd=$!
k45_found=
for _ in $(seq 150); do
	if [ "$(curl -s --max-time 2 "$k45_es/products/_doc/$k45_product" |
		jq -r .found 2>/dev/null)" = true ]; then
		k45_found=1
		break
	fi
	sleep 0.1
done
ok '[ -n "$k45_found" ]' \
	"a new consumer group (agora-indexd) reads events made before it began"
kill -TERM "$k45_indexd" 2>/dev/null
for _ in $(seq 100); do
	k45_alive "$k45_indexd" || break
	sleep 0.1
done
ok '! k45_alive "$k45_indexd"' "agora-indexd stops on SIGTERM"
wait "$k45_indexd" 2>/dev/null
kill -TERM "$k45_stub_pid" 2>/dev/null
wait "$k45_stub_pid" 2>/dev/null
true
